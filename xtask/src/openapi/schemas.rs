//! The schemas of the OpenAPI documents: each spec type and type
//! expression as schemars writes it for the generated Rust type, the
//! components section and the security schemes.

use serde_json::{Map, Value, json};

use super::{Examples, bullets};
use crate::spec::{Auth, FieldSpec, Spec, TypeKind, TypeSpec};
use crate::types::TypeExpr;

/// The schema of a type expression, as schemars writes it for the
/// generated Rust type.
pub(super) fn expr_schema(expr: &TypeExpr) -> Value {
    match expr {
        TypeExpr::String => json!({ "type": "string" }),
        TypeExpr::Integer => json!({ "type": "integer", "format": "int64" }),
        TypeExpr::Number => json!({ "type": "number", "format": "double" }),
        TypeExpr::Boolean => json!({ "type": "boolean" }),
        TypeExpr::Json => json!({}),
        TypeExpr::Array(inner) => json!({ "type": "array", "items": expr_schema(inner) }),
        TypeExpr::Map(inner) => {
            json!({ "type": "object", "additionalProperties": expr_schema(inner) })
        }
        TypeExpr::Named(name) => json!({ "$ref": format!("#/components/schemas/{name}") }),
    }
}

pub(super) fn parse(expr: &str) -> TypeExpr {
    // The spec was checked by `load`, so every expression parses.
    TypeExpr::parse(expr).unwrap_or(TypeExpr::Json)
}

/// Makes `schema` also accept `null`.
pub(super) fn or_null(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    match map.get("type").cloned() {
        Some(Value::String(ty)) => {
            map.insert("type".into(), json!([ty, "null"]));
            Value::Object(map)
        }
        Some(_) => Value::Object(map),
        None if map.contains_key("$ref") => {
            let reference = map.remove("$ref").unwrap_or_default();
            map.insert(
                "anyOf".into(),
                json!([{ "$ref": reference }, { "type": "null" }]),
            );
            Value::Object(map)
        }
        // Without a type it accepts anything, `null` included.
        None => Value::Object(map),
    }
}

pub(super) fn number(value: f64, integer: bool) -> Value {
    if integer && value.fract() == 0.0 && value.abs() < 9.0e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

pub(super) fn field_schema(field: &FieldSpec) -> Value {
    let expr = parse(&field.ty);
    let mut schema = expr_schema(&expr);
    if let Value::Object(map) = &mut schema {
        let integer = expr == TypeExpr::Integer;
        if let Some(format) = field.format {
            map.insert("format".into(), json!(format.as_str()));
        }
        if let Some(pattern) = &field.pattern {
            map.insert("pattern".into(), json!(pattern));
        }
        if let Some(min) = field.min_length {
            map.insert("minLength".into(), json!(min));
        }
        if let Some(max) = field.max_length {
            map.insert("maxLength".into(), json!(max));
        }
        if let Some(min) = field.minimum {
            map.insert("minimum".into(), number(min, integer));
        }
        if let Some(max) = field.maximum {
            map.insert("maximum".into(), number(max, integer));
        }
    }
    if !field.required || field.nullable {
        schema = or_null(schema);
    }
    if let Value::Object(map) = &mut schema {
        map.insert("description".into(), json!(field.description));
    }
    schema
}

pub(super) fn type_schema(ty: &TypeSpec, examples: &Examples) -> Value {
    let mut description = ty.description.clone();
    let mut map = Map::new();
    match ty.kind {
        TypeKind::Struct => {
            map.insert("type".into(), json!("object"));
            let properties: Map<String, Value> = ty
                .fields
                .iter()
                .map(|f| (f.name.clone(), field_schema(f)))
                .collect();
            map.insert("properties".into(), Value::Object(properties));
            let required: Vec<&str> = ty
                .fields
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name.as_str())
                .collect();
            if !required.is_empty() {
                map.insert("required".into(), json!(required));
            }
            let aliases: Vec<String> = ty
                .fields
                .iter()
                .flat_map(|f| {
                    f.aliases
                        .iter()
                        .map(move |a| format!("`{a}` for `{}`", f.name))
                })
                .collect();
            if !aliases.is_empty() {
                description.push_str(&format!(
                    "\n\nAlso read from servers: {}.",
                    aliases.join(", ")
                ));
            }
        }
        TypeKind::Enum => {
            map.insert("type".into(), json!("string"));
            let wires: Vec<&str> = ty.variants.iter().map(|v| v.wire.as_str()).collect();
            map.insert("examples".into(), json!(wires));
            description.push_str("\n\nKnown values (others may appear and are kept):\n\n");
            let lines: Vec<String> = ty
                .variants
                .iter()
                .map(|v| format!("`{}`: {}", v.wire, v.description))
                .collect();
            description.push_str(&bullets(&lines));
        }
    }
    if !ty.notes.is_empty() {
        description.push_str("\n\n");
        description.push_str(&bullets(&ty.notes));
    }
    map.insert("description".into(), json!(description));
    if let Some(list) = examples.0.get(&ty.name).filter(|l| !l.is_empty()) {
        let values: Vec<Value> = list.iter().map(|(_, _, v)| v.clone()).collect();
        map.insert("examples".into(), Value::Array(values));
    }
    Value::Object(map)
}

pub(super) fn components(spec: &Spec, examples: &Examples) -> Value {
    let mut schemas: Map<String, Value> = spec
        .types
        .iter()
        .map(|ty| (ty.name.clone(), type_schema(ty, examples)))
        .collect();
    if !spec.error_codes.is_empty() {
        let mut variants: Vec<Value> = spec
            .error_codes
            .iter()
            .map(|c| json!({ "const": c.code, "description": c.message }))
            .collect();
        variants.push(json!({
            "type": "integer",
            "description": "A code the document's table does not list; clients keep it.",
        }));
        let codes: Vec<u32> = spec.error_codes.iter().map(|c| c.code).collect();
        schemas.insert(
            "ErrorCode".into(),
            json!({
                "description": "The document's error codes. A failed job (status FAILURE or RETRY) carries one at the start of `exc_message` in its status details, such as `513: Failed to detect character in the video`; they are not HTTP statuses.",
                "anyOf": variants,
                "examples": codes,
            }),
        );
    }
    let mut security = Map::new();
    let used = |kind: Auth| spec.endpoints.iter().any(|e| e.auth == kind);
    if used(Auth::Basic) {
        security.insert(
            "basicAuth".into(),
            json!({
                "type": "http",
                "scheme": "basic",
                "description": "The client id and secret, only for /session/auth, which answers with the session cookie.",
            }),
        );
    }
    if used(Auth::Session) {
        security.insert(
            "sessionCookie".into(),
            json!({
                "type": "apiKey",
                "in": "cookie",
                "name": session_cookie(spec),
                "description": "The session cookie /session/auth sets; call /session/auth again when it expires.",
            }),
        );
    }
    if used(Auth::Bearer) {
        security.insert(
            "bearerAuth".into(),
            json!({
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "The JWT the service issued, as `Authorization: Bearer <JWT>`.",
            }),
        );
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Object(schemas));
    if !security.is_empty() {
        out.insert("securitySchemes".into(), Value::Object(security));
    }
    Value::Object(out)
}

pub(super) fn session_cookie(spec: &Spec) -> String {
    spec.constants
        .iter()
        .find(|c| c.name == "SESSION_COOKIE")
        .and_then(|c| c.value.as_str())
        .unwrap_or("session")
        .to_owned()
}

pub(super) fn security(auth: Auth) -> Value {
    match auth {
        Auth::None => json!([]),
        Auth::Basic => json!([{ "basicAuth": [] }]),
        Auth::Session => json!([{ "sessionCookie": [] }]),
        Auth::Bearer => json!([{ "bearerAuth": [] }]),
    }
}
