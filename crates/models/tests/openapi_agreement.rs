//! The OpenAPI documents xtask writes (`specs/openapi/*.json`) describe the
//! same types as the generated Rust code: every component schema equals,
//! rule for rule, the schema schemars derives for the generated type
//! (descriptions and titles aside, and with `#/components/schemas/` for
//! schemars' `#/$defs/`).

use std::path::Path;

use serde_json::{Map, Value};

fn document(service: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/openapi")
        .join(format!("{service}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Drops annotations (descriptions, titles, examples), turns the `true`
/// schema into `{}`, and writes references the OpenAPI way.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Bool(true) => Value::Object(Map::new()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                match key.as_str() {
                    "description" | "title" | "examples" | "$schema" | "$defs" => {}
                    "$ref" => {
                        let reference = item
                            .as_str()
                            .unwrap()
                            .replace("#/$defs/", "#/components/schemas/");
                        out.insert(key.clone(), Value::String(reference));
                    }
                    "minimum" | "maximum" => {
                        out.insert(key.clone(), serde_json::json!(item.as_f64().unwrap()));
                    }
                    _ => {
                        out.insert(key.clone(), normalize(item));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

#[test]
fn component_schemas_equal_the_schemas_schemars_derives() {
    let mut compared = 0;
    for (service, schemas) in [
        ("deepmotion", motionkit_models::deepmotion::type_schemas()),
        (
            "motiondynamic",
            motionkit_models::motiondynamic::type_schemas(),
        ),
    ] {
        let doc = document(service);
        let components = doc["components"]["schemas"].as_object().unwrap();
        for (name, schema) in schemas {
            let derived = normalize(schema.as_value());
            let written = normalize(
                components
                    .get(name)
                    .unwrap_or_else(|| panic!("{service}: no component schema {name}")),
            );
            assert_eq!(
                written, derived,
                "{service}.{name}: the OpenAPI schema differs from schemars'"
            );
            compared += 1;
        }
    }
    assert!(compared >= 40, "compared {compared} types");
}

#[test]
fn every_endpoint_is_an_operation_with_its_security() {
    let dm = document("deepmotion");
    for endpoint in motionkit_models::deepmotion::endpoints::ALL {
        let operation = &dm["paths"][endpoint.path][endpoint.method.as_str().to_lowercase()];
        assert_eq!(operation["operationId"], endpoint.name, "{}", endpoint.path);
    }
    assert_eq!(
        dm["paths"]["/session/auth"]["get"]["security"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["basicAuth"]
    );
    assert_eq!(
        dm["components"]["securitySchemes"]["sessionCookie"]["name"],
        "dmsess"
    );
    assert_eq!(
        dm["components"]["securitySchemes"]["sessionCookie"]["in"],
        "cookie"
    );
    let md = document("motiondynamic");
    for endpoint in motionkit_models::motiondynamic::endpoints::ALL {
        let operation = &md["paths"][endpoint.path][endpoint.method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{} {}",
            endpoint.method.as_str(),
            endpoint.path
        );
        assert_eq!(
            operation["security"][0]["bearerAuth"],
            serde_json::json!([])
        );
        assert_eq!(
            operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/PostgrestError"
        );
    }
    assert_eq!(
        md["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"],
        "JWT"
    );
}
