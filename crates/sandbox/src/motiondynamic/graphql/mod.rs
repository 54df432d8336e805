//! `/graphql`, served from `specs/motiondynamic.graphql` itself: the schema
//! is built at start-up from the spec file's type definitions, so what is
//! served cannot drift from what is specified.
//!
//! This module builds the schema and reads what a request asks for;
//! `resolve` answers each field, over the rows of `rows` (themes,
//! parameters and generations as GraphQL objects) and the PostGraphile
//! connections of `connection` (conditions, ordering, cursors and pages).

mod connection;
mod resolve;
mod rows;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_graphql::ErrorExtensions as _;
use async_graphql::dynamic::{
    Enum, Field, FieldFuture, InputObject, InputValue, Interface, InterfaceField, Object, Scalar,
    Schema, TypeRef,
};
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

use super::store::MotionDynamicStore;
use resolve::resolve;

/// The schema document served.
pub(super) const SDL: &str = include_str!("../../../specs/motiondynamic.graphql");

/// The executable schema, with `store` as its data.
pub(super) fn schema(store: Arc<MotionDynamicStore>) -> Result<Schema, String> {
    let document = async_graphql::parser::parse_schema(SDL).map_err(|e| e.to_string())?;
    let enums: BTreeSet<String> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) if matches!(t.node.kind, TypeKind::Enum(_)) => {
                Some(t.node.name.node.to_string())
            }
            _ => None,
        })
        .collect();
    let (mut query, mut mutation) = ("Query".to_owned(), None);
    let mut types: Vec<async_graphql::dynamic::Type> = Vec::new();
    for definition in &document.definitions {
        let definition = match definition {
            TypeSystemDefinition::Schema(s) => {
                if let Some(q) = &s.node.query {
                    query = q.node.to_string();
                }
                mutation = s.node.mutation.as_ref().map(|m| m.node.to_string());
                continue;
            }
            TypeSystemDefinition::Type(t) => &t.node,
            TypeSystemDefinition::Directive(_) => continue,
        };
        let name = definition.name.node.to_string();
        let description = definition.description.as_ref().map(|d| d.node.clone());
        let ty: async_graphql::dynamic::Type = match &definition.kind {
            TypeKind::Scalar => {
                let mut scalar = Scalar::new(&name);
                if let Some(d) = description {
                    scalar = scalar.description(d);
                }
                scalar.into()
            }
            TypeKind::Enum(e) => {
                let mut item = Enum::new(&name);
                if let Some(d) = description {
                    item = item.description(d);
                }
                item.items(e.values.iter().map(|v| v.node.value.node.to_string()))
                    .into()
            }
            TypeKind::InputObject(input) => {
                let mut object = InputObject::new(&name);
                if let Some(d) = description {
                    object = object.description(d);
                }
                for field in &input.fields {
                    object = object.field(input_value(&field.node));
                }
                object.into()
            }
            TypeKind::Interface(interface) => {
                let mut object = Interface::new(&name);
                if let Some(d) = description {
                    object = object.description(d);
                }
                for field in &interface.fields {
                    let mut f = InterfaceField::new(
                        field.node.name.node.to_string(),
                        type_ref(&field.node.ty.node),
                    );
                    if let Some(d) = &field.node.description {
                        f = f.description(d.node.clone());
                    }
                    object = object.field(f);
                }
                object.into()
            }
            TypeKind::Object(object_type) => {
                let mut object = Object::new(&name);
                if let Some(d) = description {
                    object = object.description(d);
                }
                for implemented in &object_type.implements {
                    object = object.implement(implemented.node.to_string());
                }
                for field in &object_type.fields {
                    let field_name = field.node.name.node.to_string();
                    let is_enum = enums.contains(&named(&field.node.ty.node));
                    let (t, f) = (name.clone(), field_name.clone());
                    let mut built =
                        Field::new(field_name, type_ref(&field.node.ty.node), move |ctx| {
                            let (t, f) = (t.clone(), f.clone());
                            FieldFuture::new(async move { resolve(ctx, &t, &f, is_enum).await })
                        });
                    if let Some(d) = &field.node.description {
                        built = built.description(d.node.clone());
                    }
                    for argument in &field.node.arguments {
                        built = built.argument(input_value(&argument.node));
                    }
                    object = object.field(built);
                }
                object.into()
            }
            TypeKind::Union(_) => continue,
        };
        types.push(ty);
    }
    let mut builder = Schema::build(&query, mutation.as_deref(), None).data(store);
    for ty in types {
        builder = builder.register(ty);
    }
    builder.finish().map_err(|e| e.to_string())
}

fn input_value(definition: &async_graphql::parser::types::InputValueDefinition) -> InputValue {
    let mut value = InputValue::new(
        definition.name.node.to_string(),
        type_ref(&definition.ty.node),
    );
    if let Some(d) = &definition.description {
        value = value.description(d.node.clone());
    }
    if let Some(default) = &definition.default_value {
        value = value.default_value(default.node.clone());
    }
    value
}

fn type_ref(ty: &Type) -> TypeRef {
    let base = match &ty.base {
        BaseType::Named(name) => TypeRef::Named(name.to_string().into()),
        BaseType::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
    };
    if ty.nullable {
        base
    } else {
        TypeRef::NonNull(Box::new(base))
    }
}

fn named(ty: &Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => named(inner),
    }
}

/// An error caused by the request's own arguments, labelled as such
/// (`extensions.code = BAD_USER_INPUT`, as Apollo servers do) so generic
/// clients and fuzzers do not take it for a server failure.
fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", "BAD_USER_INPUT"))
}

/// Fields whose value is read from `generations` (a row or a list of rows).
const GENERATION_READS: &[&str] = &[
    "allGenerations",
    "generationsByThemeId",
    "generationByGenerationId",
    "generation",
    "generationEdge",
];

/// Whether a GraphQL document selects anything read from `generations`
/// (including the `generation` a `createGeneration` payload returns), for
/// a role that may insert generations but not read them. A document that
/// does not parse reads nothing; the schema reports it.
pub(super) fn reads_generations(document: &str) -> bool {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                GENERATION_READS.contains(&field.node.name.node.as_str())
                    || walk(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    let Ok(document) = async_graphql::parser::parse_query(document) else {
        return false;
    };
    document
        .operations
        .iter()
        .any(|(_, operation)| walk(&operation.node.selection_set.node))
        || document
            .fragments
            .values()
            .any(|fragment| walk(&fragment.node.selection_set.node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_that_read_generations_are_recognised() {
        assert!(reads_generations(
            "query { allGenerations { nodes { generationId } } }"
        ));
        assert!(reads_generations(
            "query G($id: UUID!) { generationByGenerationId(generationId: $id) { status } }"
        ));
        // The created row, asked back from the mutation.
        assert!(reads_generations(
            "mutation { createGeneration(input: {generation: {themeId: \"x\", webhook: \"y\", values: []}}) { generation { generationId } } }"
        ));
        assert!(reads_generations(
            "query { ...F } fragment F on Query { allThemes { nodes { generationsByThemeId { totalCount } } } }"
        ));
        assert!(!reads_generations(
            "mutation { createGeneration(input: {generation: {themeId: \"x\", webhook: \"y\", values: []}}) { clientMutationId } }"
        ));
        assert!(!reads_generations(
            "query { allThemes { nodes { themeId } } }"
        ));
        assert!(!reads_generations("not graphql {"));
    }
}
