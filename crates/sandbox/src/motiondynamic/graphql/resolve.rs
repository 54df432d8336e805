//! Resolves one field of one type, over the rows and connections.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext};
use async_graphql::{ErrorExtensions as _, Value as GqlValue};
use base64::Engine as _;
use serde_json::Value;

use super::bad_input;
use super::connection::{connection, cursor};
use super::rows::{Obj, by_key, generations, json_to_gql, parameters, theme_of, themes};
use crate::motiondynamic::store::MotionDynamicStore;

/// A string argument. `ID` arguments may also be written as integers, which
/// GraphQL coerces to their decimal text (found by schemathesis: `node(nodeId:
/// 4)` failed with "internal: not a string").
fn arg_string(ctx: &ResolverContext<'_>, name: &str) -> async_graphql::Result<String> {
    let value = ctx.args.try_get(name)?;
    match value.as_value() {
        GqlValue::Number(n) => Ok(n.to_string()),
        _ => Ok(value.string().map_err(|e| bad_input(e.message))?.to_owned()),
    }
}

/// Resolves one field of one type.
pub(super) async fn resolve(
    ctx: ResolverContext<'_>,
    type_name: &str,
    field: &str,
    enum_field: bool,
) -> async_graphql::Result<Option<FieldValue<'static>>> {
    let store = ctx.data::<Arc<MotionDynamicStore>>()?.clone();
    let parent = ctx.parent_value.try_downcast_ref::<Obj>().ok().cloned();
    let obj = |o: Option<Obj>| Ok(o.map(Obj::into_field_value));
    let value = |v: GqlValue| Ok(Some(FieldValue::value(v)));
    let connections = type_name.ends_with("Connection");
    let edges = type_name.ends_with("Edge");

    match (type_name, field, parent) {
        ("Query", "query", _) | ("CreateGenerationPayload", "query", _) => obj(Some(Obj::Query)),
        ("Query", "nodeId", _) => value(GqlValue::String("query".into())),
        ("Query", "node", _) => {
            let id = arg_string(&ctx, "nodeId")?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&id)
                .ok()
                .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok());
            let found = match decoded.as_deref() {
                Some([table, key]) => match table.as_str() {
                    "themes" => by_key(themes(&store), "themeId", key),
                    "parameters" => by_key(parameters(&store), "parameterTypeId", key),
                    "generations" => by_key(generations(&store), "generationId", key),
                    _ => None,
                },
                _ => None,
            };
            Ok(found.map(Obj::into_node_value))
        }
        ("Query", "allThemes", _) => obj(Some(connection(&ctx, themes(&store), "themeId")?)),
        ("Query", "allGenerations", _) => {
            obj(Some(connection(&ctx, generations(&store), "generationId")?))
        }
        ("Query", "themeByThemeId", _) => obj(by_key(
            themes(&store),
            "themeId",
            &arg_string(&ctx, "themeId")?,
        )),
        ("Query", "parameterByParameterTypeId", _) => obj(by_key(
            parameters(&store),
            "parameterTypeId",
            &arg_string(&ctx, "parameterTypeId")?,
        )),
        ("Query", "generationByGenerationId", _) => obj(by_key(
            generations(&store),
            "generationId",
            &arg_string(&ctx, "generationId")?,
        )),
        ("Mutation", "createGeneration", _) => {
            let input = ctx.args.try_get("input")?.as_value().clone().into_json()?;
            let generation = &input["generation"];
            let body = serde_json::json!({
                "theme_id": generation.get("themeId"),
                "webhook": generation.get("webhook"),
                "values": generation.get("values"),
            });
            let mut body = body;
            if let Some(id) = generation.get("generationId").filter(|v| !v.is_null()) {
                body["generation_id"] = id.clone();
            }
            let (row, _) = store.create(&body).await.map_err(|e| {
                let client = e.status.is_client_error();
                async_graphql::Error::new(e.message.clone()).extend_with(|_, ext| {
                    ext.set("code", e.code.clone());
                    if client {
                        // The PostgreSQL code stays in `code`; the
                        // classification says the request was at fault.
                        ext.set("classification", "BAD_REQUEST");
                    }
                })
            })?;
            let row = serde_json::to_value(row)?;
            obj(Some(Obj::Payload {
                client_mutation_id: input
                    .get("clientMutationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                generation: Box::new(Obj::Generation(row)),
            }))
        }
        ("Theme", "parametersByThemeId", Some(theme)) => {
            let id = theme.get("themeId").unwrap_or_default();
            let rows = parameters(&store)
                .into_iter()
                .filter(|p| p.get("themeId") == Some(id.clone()))
                .collect();
            obj(Some(connection(&ctx, rows, "parameterTypeId")?))
        }
        ("Theme", "generationsByThemeId", Some(theme)) => {
            let id = theme
                .get("themeId")
                .and_then(|v| v.as_str().map(str::to_lowercase))
                .unwrap_or_default();
            let rows = generations(&store)
                .into_iter()
                .filter(|g| {
                    g.get("themeId")
                        .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case(&id)))
                        .unwrap_or(false)
                })
                .collect();
            obj(Some(connection(&ctx, rows, "generationId")?))
        }
        (_, "themeByThemeId", Some(row @ (Obj::Parameter(_) | Obj::Generation(_)))) => {
            obj(theme_of(&store, &row))
        }
        (
            "CreateGenerationPayload",
            "clientMutationId",
            Some(Obj::Payload {
                client_mutation_id, ..
            }),
        ) => Ok(client_mutation_id.map(|s| FieldValue::value(GqlValue::String(s)))),
        ("CreateGenerationPayload", "generation", Some(Obj::Payload { generation, .. })) => {
            obj(Some(*generation))
        }
        ("CreateGenerationPayload", "themeByThemeId", Some(Obj::Payload { generation, .. })) => {
            obj(theme_of(&store, &generation))
        }
        ("CreateGenerationPayload", "generationEdge", Some(Obj::Payload { generation, .. })) => {
            obj(Some(Obj::Edge {
                cursor: cursor(0),
                node: generation,
            }))
        }
        (_, "nodes", Some(Obj::Connection { nodes, .. })) if connections => Ok(Some(
            FieldValue::list(nodes.into_iter().map(Obj::into_field_value)),
        )),
        (_, "edges", Some(Obj::Connection { nodes, offset, .. })) if connections => Ok(Some(
            FieldValue::list(nodes.into_iter().enumerate().map(|(i, node)| {
                Obj::Edge {
                    cursor: cursor(offset + i),
                    node: Box::new(node),
                }
                .into_field_value()
            })),
        )),
        (_, "totalCount", Some(Obj::Connection { total, .. })) if connections => {
            value(GqlValue::from(total as i64))
        }
        (
            _,
            "pageInfo",
            Some(Obj::Connection {
                nodes,
                offset,
                has_next,
                has_previous,
                ..
            }),
        ) if connections => {
            let (start, end) = if nodes.is_empty() {
                (None, None)
            } else {
                (Some(cursor(offset)), Some(cursor(offset + nodes.len() - 1)))
            };
            obj(Some(Obj::PageInfo {
                has_next,
                has_previous,
                start,
                end,
            }))
        }
        (_, "cursor", Some(Obj::Edge { cursor, .. })) if edges => value(GqlValue::String(cursor)),
        (_, "node", Some(Obj::Edge { node, .. })) if edges => obj(Some(*node)),
        (
            "PageInfo",
            _,
            Some(Obj::PageInfo {
                has_next,
                has_previous,
                start,
                end,
            }),
        ) => match field {
            "hasNextPage" => value(GqlValue::Boolean(has_next)),
            "hasPreviousPage" => value(GqlValue::Boolean(has_previous)),
            "startCursor" => Ok(start.map(|s| FieldValue::value(GqlValue::String(s)))),
            _ => Ok(end.map(|s| FieldValue::value(GqlValue::String(s)))),
        },
        (_, _, Some(row @ (Obj::Theme(_) | Obj::Parameter(_) | Obj::Generation(_)))) => Ok(row
            .get(field)
            .filter(|v| !v.is_null())
            .map(|v| FieldValue::value(json_to_gql(v, enum_field)))),
        _ => Ok(None),
    }
}
