//! The generated types agree with `specs/`: every field's wire name,
//! required-ness and constraints appear in the schema schemars derives, and
//! every example payload round-trips through serde unchanged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(specs_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

type Schemas = Vec<(&'static str, schemars::Schema)>;

fn services() -> Vec<(&'static str, Value, Schemas)> {
    vec![
        (
            "deepmotion",
            load("deepmotion.json"),
            motionkit_models::deepmotion::type_schemas(),
        ),
        (
            "motiondynamic",
            load("motiondynamic.json"),
            motionkit_models::motiondynamic::type_schemas(),
        ),
    ]
}

fn strings(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a property schema admits `null`: an unconstrained schema does,
/// and so does one whose type list names `null`.
fn accepts_null(property: &Value) -> bool {
    match property {
        Value::Bool(b) => *b,
        Value::Object(map) => {
            let typed = map.contains_key("type") || map.contains_key("$ref");
            let combined = map.contains_key("anyOf") || map.contains_key("oneOf");
            !(typed || combined)
                || serde_json::to_string(property)
                    .unwrap()
                    .contains("\"null\"")
        }
        _ => false,
    }
}

#[test]
fn schemas_agree_with_specs() {
    let mut checked = 0;
    for (service, spec, schemas) in services() {
        let types = spec["types"].as_array().unwrap();
        assert_eq!(types.len(), schemas.len(), "{service}: one schema per type");
        for ty in types {
            let name = ty["name"].as_str().unwrap();
            let schema = schemas
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.as_value().clone())
                .unwrap_or_else(|| panic!("{service}: no schema for {name}"));
            if ty["kind"] == "enum" {
                let wires: BTreeSet<String> = ty["variants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["wire"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(schema["type"], "string", "{name}");
                assert_eq!(
                    strings(schema.get("examples")),
                    wires,
                    "{name}: known values"
                );
                checked += 1;
                continue;
            }
            let properties = schema["properties"].as_object().unwrap();
            let fields = ty["fields"].as_array().unwrap();
            let wire: BTreeSet<String> = fields
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_owned())
                .collect();
            let derived: BTreeSet<String> = properties.keys().cloned().collect();
            assert_eq!(derived, wire, "{service}.{name}: field names");
            let required: BTreeSet<String> = fields
                .iter()
                .filter(|f| f["required"] == true)
                .map(|f| f["name"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                strings(schema.get("required")),
                required,
                "{service}.{name}: required fields"
            );
            for field in fields {
                let key = field["name"].as_str().unwrap();
                let property = &properties[key];
                for (spec_key, schema_key) in [
                    ("minimum", "minimum"),
                    ("maximum", "maximum"),
                    ("pattern", "pattern"),
                    ("format", "format"),
                    ("min_length", "minLength"),
                    ("max_length", "maxLength"),
                ] {
                    if let Some(expected) = field.get(spec_key) {
                        let found = property.get(schema_key).unwrap_or_else(|| {
                            panic!("{service}.{name}.{key}: schema lacks {schema_key}")
                        });
                        let same = match (expected.as_f64(), found.as_f64()) {
                            (Some(a), Some(b)) => a == b,
                            _ => expected == found,
                        };
                        assert!(
                            same,
                            "{service}.{name}.{key}.{schema_key}: {found} != {expected}"
                        );
                    }
                }
                let nullable = field["nullable"] == true;
                let accepts_null = accepts_null(property);
                let optional = field["required"] == false;
                assert_eq!(
                    accepts_null,
                    nullable || optional,
                    "{service}.{name}.{key}: null accepted only where the spec allows it"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "checked {checked} types");
}

fn example_files(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            example_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            let relative = path.strip_prefix(specs_dir()).unwrap();
            out.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn every_example_round_trips_unchanged() {
    let mut referenced = BTreeSet::new();
    for (service, spec, _) in services() {
        for ty in spec["types"].as_array().unwrap() {
            let name = ty["name"].as_str().unwrap();
            for example in strings(ty.get("examples")) {
                let text = std::fs::read_to_string(specs_dir().join(&example)).unwrap();
                let original: Value = serde_json::from_str(&text).unwrap();
                let reencode = match service {
                    "deepmotion" => motionkit_models::deepmotion::reencode,
                    _ => motionkit_models::motiondynamic::reencode,
                };
                let back = reencode(name, &text)
                    .unwrap_or_else(|| panic!("no type {name}"))
                    .unwrap_or_else(|e| panic!("{example} does not decode as {name}: {e}"));
                assert_eq!(
                    back, original,
                    "{example} changed in a round trip through {name}"
                );
                referenced.insert(example);
            }
        }
    }
    let mut on_disk = BTreeSet::new();
    example_files(&specs_dir().join("examples"), &mut on_disk);
    let unreferenced: Vec<_> = on_disk.difference(&referenced).collect();
    assert!(
        unreferenced.is_empty(),
        "examples no type lists: {unreferenced:?}"
    );
    assert!(referenced.len() >= 30, "{} examples", referenced.len());
}

#[test]
fn demo_theme_has_its_eleven_parameters() {
    let text = std::fs::read_to_string(specs_dir().join("examples/motiondynamic/demo_theme.json"))
        .unwrap();
    let theme: motionkit_models::motiondynamic::Theme = motionkit_models::decode(&text).unwrap();
    assert_eq!(
        theme.theme_id,
        motionkit_models::motiondynamic::DEMO_THEME_ID
    );
    let parameters = theme.parameters.unwrap();
    assert_eq!(parameters.len(), 11);
    let texts = parameters
        .iter()
        .filter(|p| p.kind == motionkit_models::motiondynamic::ParameterType::Text)
        .count();
    assert_eq!(texts, 8);
    let price = parameters
        .iter()
        .find(|p| p.parameter.layer.as_deref() == Some("l3_prix_01"))
        .unwrap();
    assert_eq!(
        price.parameter.pattern,
        Some(Some("^[0-9\\.]+$".to_owned()))
    );
    assert_eq!(price.parameter.max_length, Some(5));
}
