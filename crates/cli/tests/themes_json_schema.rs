//! `motionkit themes ID --json-schema` prints the JSON Schema of a theme's
//! values, judged here by an independent validator (the `jsonschema`
//! crate): it accepts the document's example values, keyed by parameter id,
//! and rejects `12,1` for `l3_prix_01` and `#00FF00` for `background_color`.
//! The embedded sandbox (chosen with `MOTIONKIT_SANDBOX=1`) answers, so
//! nothing leaves this machine.

use std::path::Path;

mod support;

use assert_cmd::Command;
use serde_json::{Map, Value, json};

const DEMO: &str = "8239de5c-5cbd-4e39-a102-220e5354a551";

/// The binary with a clean environment and the embedded sandbox, chosen
/// explicitly.
fn motionkit(home: &Path) -> Command {
    let mut cmd = support::motionkit(home);
    cmd.env("MOTIONKIT_SANDBOX", "1");
    cmd
}

fn example_values() -> Map<String, Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs/examples/motiondynamic/generation_request.json");
    let request: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    request["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["parameter_id"].as_str().unwrap().to_owned(),
                v["value"].clone(),
            )
        })
        .collect()
}

#[test]
fn the_demo_themes_schema_accepts_the_documents_values_and_rejects_the_broken_ones() {
    let home = tempfile::tempdir().unwrap();
    let output = motionkit(home.path())
        .args(["themes", DEMO, "--json-schema"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["x-theme-id"], DEMO);
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let values = example_values();
    assert_eq!(values.len(), 11);
    assert!(validator.is_valid(&Value::Object(values.clone())));

    let id_of = |layer: &str| -> String {
        schema["properties"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, p)| p["x-layer"] == layer)
            .map(|(id, _)| id.clone())
            .unwrap()
    };
    for (layer, bad) in [("l3_prix_01", "12,1"), ("background_color", "#00FF00")] {
        let mut broken = values.clone();
        broken.insert(id_of(layer), json!(bad));
        assert!(
            !validator.is_valid(&Value::Object(broken)),
            "{layer} = {bad} must be rejected"
        );
    }
    // Annotations a form shows: titles, layers and the default colour.
    let color = &schema["properties"][id_of("background_color")];
    assert_eq!(color["default"], "FF00FF");
    assert_eq!(color["title"], "title forbackground_color");
}

#[test]
fn json_schema_needs_a_theme_id() {
    let home = tempfile::tempdir().unwrap();
    let output = motionkit(home.path())
        .args(["themes", "--json-schema"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("THEME_ID"));
}
