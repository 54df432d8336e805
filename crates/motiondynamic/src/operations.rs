//! Typed GraphQL operations, generated at compile time by `graphql_client`
//! from `specs/motiondynamic.graphql` and the query documents in
//! `specs/motiondynamic/queries/` (the crate's own copies, written by
//! `cargo xtask codegen` from the repository's `specs/`). A document that
//! does not match the schema does not compile.
#![allow(missing_docs, clippy::all, non_camel_case_types)]

use graphql_client::GraphQLQuery;

/// `UUID` scalar.
pub type UUID = String;
/// `Datetime` scalar (ISO 8601).
pub type Datetime = String;
/// `JSON` scalar.
pub type JSON = serde_json::Value;
/// `Cursor` scalar.
pub type Cursor = String;

/// Every theme with its parameters.
#[derive(Debug, GraphQLQuery)]
#[graphql(
    schema_path = "specs/motiondynamic.graphql",
    query_path = "specs/motiondynamic/queries/themes.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct Themes;

/// One theme with its parameters.
#[derive(Debug, GraphQLQuery)]
#[graphql(
    schema_path = "specs/motiondynamic.graphql",
    query_path = "specs/motiondynamic/queries/theme_by_id.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct ThemeById;

/// Starts a generation.
#[derive(Debug, GraphQLQuery)]
#[graphql(
    schema_path = "specs/motiondynamic.graphql",
    query_path = "specs/motiondynamic/queries/create_generation.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct CreateGeneration;

/// One generation.
#[derive(Debug, GraphQLQuery)]
#[graphql(
    schema_path = "specs/motiondynamic.graphql",
    query_path = "specs/motiondynamic/queries/generation_by_id.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct GenerationById;
