//! Rows as GraphQL objects: the value that flows through the resolvers,
//! its fields read from the rows' columns, and where the rows come from.

use async_graphql::dynamic::FieldValue;
use async_graphql::{Name, Value as GqlValue};
use base64::Engine as _;
use serde_json::Value;

use crate::motiondynamic::store::MotionDynamicStore;

/// A value flowing through the resolvers.
#[derive(Debug, Clone)]
pub(super) enum Obj {
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
    pub(super) fn get(&self, field: &str) -> Option<Value> {
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

    pub(super) fn into_field_value(self) -> FieldValue<'static> {
        FieldValue::owned_any(self)
    }

    /// For fields typed as the `Node` interface, which need the concrete type.
    pub(super) fn into_node_value(self) -> FieldValue<'static> {
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
pub(super) fn camel(screaming: &str) -> String {
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

pub(super) fn json_to_gql(value: Value, enum_field: bool) -> GqlValue {
    match (value, enum_field) {
        (Value::String(s), true) => GqlValue::Enum(Name::new(s)),
        (Value::Array(items), true) => {
            GqlValue::List(items.into_iter().map(|v| json_to_gql(v, true)).collect())
        }
        (value, _) => GqlValue::from_json(value).unwrap_or(GqlValue::Null),
    }
}

fn rows_of(values: Vec<Value>, wrap: fn(Value) -> Obj) -> Vec<Obj> {
    values.into_iter().map(wrap).collect()
}

pub(super) fn themes(store: &MotionDynamicStore) -> Vec<Obj> {
    rows_of(
        store
            .themes()
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect(),
        Obj::Theme,
    )
}

pub(super) fn parameters(store: &MotionDynamicStore) -> Vec<Obj> {
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

pub(super) fn generations(store: &MotionDynamicStore) -> Vec<Obj> {
    rows_of(
        store
            .generations()
            .iter()
            .filter_map(|g| serde_json::to_value(g).ok())
            .collect(),
        Obj::Generation,
    )
}

pub(super) fn by_key(rows: Vec<Obj>, field: &str, key: &str) -> Option<Obj> {
    rows.into_iter().find(|row| {
        row.get(field)
            .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case(key)))
            .unwrap_or(false)
    })
}

pub(super) fn theme_of(store: &MotionDynamicStore, row: &Obj) -> Option<Obj> {
    let id = row.get("themeId")?;
    by_key(themes(store), "themeId", id.as_str()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_between_graphql_and_columns() {
        assert_eq!(snake("parameterTypeId"), "parameter_type_id");
        assert_eq!(camel("PARAMETER_TYPE_ID"), "parameterTypeId");
        assert_eq!(camel("TITLE"), "title");
    }
}
