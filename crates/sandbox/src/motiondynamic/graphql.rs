//! `/graphql`, served from `specs/motiondynamic.graphql` itself: the schema
//! is built at start-up from the spec file's type definitions, so what is
//! served cannot drift from what is specified.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_graphql::dynamic::{
    Enum, Field, FieldFuture, FieldValue, InputObject, InputValue, Interface, InterfaceField,
    Object, ResolverContext, Scalar, Schema, TypeRef,
};
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use async_graphql::{ErrorExtensions as _, Name, Value as GqlValue};
use base64::Engine as _;
use serde_json::Value;

use super::store::Store;

/// The schema document served.
pub const SDL: &str = include_str!("../../specs/motiondynamic.graphql");

/// A value flowing through the resolvers.
#[derive(Debug, Clone)]
enum Obj {
    Query,
    Theme(Value),
    Parameter(Value),
    Generation(Value),
    Connection {
        nodes: Vec<Obj>,
        total: usize,
        offset: usize,
        has_next: bool,
        has_previous: bool,
    },
    Edge {
        cursor: String,
        node: Box<Obj>,
    },
    PageInfo {
        has_next: bool,
        has_previous: bool,
        start: Option<String>,
        end: Option<String>,
    },
    Payload {
        client_mutation_id: Option<String>,
        generation: Box<Obj>,
    },
}

impl Obj {
    fn type_name(&self) -> &'static str {
        match self {
            Obj::Query => "Query",
            Obj::Theme(_) => "Theme",
            Obj::Parameter(_) => "Parameter",
            Obj::Generation(_) => "Generation",
            Obj::Connection { .. } | Obj::Edge { .. } => "",
            Obj::PageInfo { .. } => "PageInfo",
            Obj::Payload { .. } => "CreateGenerationPayload",
        }
    }

    /// A column by its GraphQL field name, for rows.
    fn get(&self, field: &str) -> Option<Value> {
        let (row, table) = match self {
            Obj::Theme(row) => (row, "themes"),
            Obj::Parameter(row) => (row, "parameters"),
            Obj::Generation(row) => (row, "generations"),
            _ => return None,
        };
        if field == "nodeId" {
            let key = self.primary_key()?;
            let encoded = base64::engine::general_purpose::STANDARD
                .encode(serde_json::json!([table, key]).to_string());
            return Some(Value::String(encoded));
        }
        match self {
            Obj::Parameter(row) => match field {
                "parameterTypeId" => row["parameter"].get("parameterType_id").cloned(),
                "themeId" => row.get("theme_id").cloned(),
                "type" => row.get("type").map(upper),
                "userId" => row["parameter"].get("user_id").cloned(),
                other => row["parameter"].get(other).cloned(),
            },
            _ => {
                let column = snake(field);
                let value = row.get(&column).cloned()?;
                Some(if field == "status" {
                    upper(&value)
                } else {
                    value
                })
            }
        }
    }

    fn primary_key(&self) -> Option<String> {
        let value = match self {
            Obj::Theme(row) => row.get("theme_id"),
            Obj::Parameter(row) => row["parameter"].get("parameterType_id"),
            Obj::Generation(row) => row.get("generation_id"),
            _ => None,
        };
        value.and_then(Value::as_str).map(str::to_owned)
    }

    fn into_field_value(self) -> FieldValue<'static> {
        FieldValue::owned_any(self)
    }

    /// For fields typed as the `Node` interface, which need the concrete type.
    fn into_node_value(self) -> FieldValue<'static> {
        let name = self.type_name();
        FieldValue::owned_any(self).with_type(name)
    }
}

fn upper(value: &Value) -> Value {
    value
        .as_str()
        .map_or(Value::Null, |s| Value::String(s.to_uppercase()))
}

/// `parameterTypeId` → `parameter_type_id`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `PARAMETER_TYPE_ID` → `parameterTypeId`.
fn camel(screaming: &str) -> String {
    let mut out = String::new();
    for (i, part) in screaming.split('_').enumerate() {
        let lower = part.to_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    out
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

fn json_to_gql(value: Value, enum_field: bool) -> GqlValue {
    match (value, enum_field) {
        (Value::String(s), true) => GqlValue::Enum(Name::new(s)),
        (Value::Array(items), true) => {
            GqlValue::List(items.into_iter().map(|v| json_to_gql(v, true)).collect())
        }
        (value, _) => GqlValue::from_json(value).unwrap_or(GqlValue::Null),
    }
}

fn cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:{index}"))
}

fn decode_cursor(text: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("cursor:")?
        .parse()
        .ok()
}

/// Builds a connection from rows, honouring PostGraphile's paging,
/// ordering and condition arguments.
fn connection(
    ctx: &ResolverContext<'_>,
    mut rows: Vec<Obj>,
    primary: &str,
) -> async_graphql::Result<Obj> {
    if let Ok(condition) = ctx.args.try_get("condition")
        && let Ok(condition) = condition.object()
    {
        for (name, expected) in condition.iter() {
            let expected = expected.as_value().clone().into_json()?;
            let expected_text = expected.as_str().map(str::to_owned);
            rows.retain(|row| {
                let actual = row.get(name.as_str()).unwrap_or(Value::Null);
                match (actual.as_str(), expected_text.as_deref()) {
                    (Some(a), Some(e)) if name.as_str().ends_with("Id") => {
                        a.eq_ignore_ascii_case(e)
                    }
                    _ => actual == expected,
                }
            });
        }
    }
    let order: Vec<String> = match ctx.args.try_get("orderBy") {
        Ok(list) => list
            .list()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.enum_name().ok().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => vec!["PRIMARY_KEY_ASC".into()],
    };
    for term in order.iter().rev() {
        if term == "NATURAL" {
            continue;
        }
        let (column, descending) = match term.rsplit_once('_') {
            Some((column, "DESC")) => (column, true),
            Some((column, _)) => (column, false),
            None => continue,
        };
        let field = if column == "PRIMARY_KEY" {
            primary.to_owned()
        } else {
            camel(column)
        };
        rows.sort_by(|a, b| {
            let x = a.get(&field).map(|v| v.to_string()).unwrap_or_default();
            let y = b.get(&field).map(|v| v.to_string()).unwrap_or_default();
            if descending { y.cmp(&x) } else { x.cmp(&y) }
        });
    }
    let total = rows.len();
    let int = |name: &str| -> async_graphql::Result<Option<usize>> {
        match ctx.args.try_get(name) {
            Ok(v) if !v.is_null() => {
                let n = v.i64().map_err(|e| bad_input(e.message))?;
                usize::try_from(n)
                    .map(Some)
                    .map_err(|_| bad_input(format!("`{name}` must not be negative")))
            }
            _ => Ok(None),
        }
    };
    let after = ctx
        .args
        .try_get("after")
        .ok()
        .and_then(|v| v.string().ok().and_then(decode_cursor))
        .map_or(0, |i| i + 1);
    let before = ctx
        .args
        .try_get("before")
        .ok()
        .and_then(|v| v.string().ok().and_then(decode_cursor))
        .unwrap_or(total)
        .min(total);
    let mut start = after.max(int("offset")?.unwrap_or(0) + after).min(before);
    let mut end = before;
    if let Some(first) = int("first")? {
        end = end.min(start + first);
    }
    if let Some(last) = int("last")? {
        start = start.max(end.saturating_sub(last));
    }
    let nodes = rows.drain(start..end).collect();
    Ok(Obj::Connection {
        nodes,
        total,
        offset: start,
        has_next: end < total,
        has_previous: start > 0,
    })
}

fn rows_of(values: Vec<Value>, wrap: fn(Value) -> Obj) -> Vec<Obj> {
    values.into_iter().map(wrap).collect()
}

fn themes(store: &Store) -> Vec<Obj> {
    rows_of(
        store
            .themes()
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect(),
        Obj::Theme,
    )
}

fn parameters(store: &Store) -> Vec<Obj> {
    rows_of(
        store
            .themes()
            .iter()
            .flat_map(|t| t.parameters.iter().flatten())
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect(),
        Obj::Parameter,
    )
}

fn generations(store: &Store) -> Vec<Obj> {
    rows_of(
        store
            .generations()
            .iter()
            .filter_map(|g| serde_json::to_value(g).ok())
            .collect(),
        Obj::Generation,
    )
}

fn by_key(rows: Vec<Obj>, field: &str, key: &str) -> Option<Obj> {
    rows.into_iter().find(|row| {
        row.get(field)
            .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case(key)))
            .unwrap_or(false)
    })
}

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

/// An error caused by the request's own arguments, labelled as such
/// (`extensions.code = BAD_USER_INPUT`, as Apollo servers do) so generic
/// clients and fuzzers do not take it for a server failure.
fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", "BAD_USER_INPUT"))
}

fn theme_of(store: &Store, row: &Obj) -> Option<Obj> {
    let id = row.get("themeId")?;
    by_key(themes(store), "themeId", id.as_str()?)
}

/// Resolves one field of one type.
async fn resolve(
    ctx: ResolverContext<'_>,
    type_name: &str,
    field: &str,
    enum_field: bool,
) -> async_graphql::Result<Option<FieldValue<'static>>> {
    let store = ctx.data::<Arc<Store>>()?.clone();
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

/// The executable schema, with `store` as its data.
pub fn schema(store: Arc<Store>) -> Result<Schema, String> {
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
pub fn reads_generations(document: &str) -> bool {
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

    #[test]
    fn names_convert_between_graphql_and_columns() {
        assert_eq!(snake("parameterTypeId"), "parameter_type_id");
        assert_eq!(camel("PARAMETER_TYPE_ID"), "parameterTypeId");
        assert_eq!(camel("TITLE"), "title");
        assert_eq!(decode_cursor(&cursor(41)), Some(41));
        assert_eq!(decode_cursor("bm9wZQ=="), None);
    }
}
