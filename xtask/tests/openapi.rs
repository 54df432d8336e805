//! The generated OpenAPI documents carry everything the issue promises:
//! every endpoint with its parameters and bodies, the security schemes, the
//! error answers, the examples and the notes; and `--check` guards them.

use std::path::Path;

use serde_json::Value;
use xtask::{check, workspace_root};

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn spec(service: &str) -> Value {
    load(&workspace_root().join(format!("specs/{service}.json")))
}

fn document(service: &str) -> Value {
    load(&workspace_root().join(format!("specs/openapi/{service}.json")))
}

fn operations(doc: &Value) -> Vec<&Value> {
    doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .collect()
}

#[test]
fn every_endpoint_is_an_operation_with_its_parameters_and_bodies() {
    for service in ["deepmotion", "motiondynamic"] {
        let spec = spec(service);
        let doc = document(service);
        assert_eq!(doc["openapi"], "3.1.0");
        for endpoint in spec["endpoints"].as_array().unwrap() {
            let name = endpoint["name"].as_str().unwrap();
            let method = endpoint["method"].as_str().unwrap().to_lowercase();
            let path = endpoint["path"].as_str().unwrap();
            let op = &doc["paths"][path][&method];
            let named = op["operationId"] == name
                || op["x-endpoints"]
                    .as_array()
                    .is_some_and(|names| names.iter().any(|n| n == name));
            assert!(named, "{service}: {name} is not an operation");
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|p| p.iter().map(|p| p["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            for key in ["path_params", "query_params"] {
                for param in endpoint[key].as_array().into_iter().flatten() {
                    let param = param["name"].as_str().unwrap();
                    assert!(
                        params.contains(&param),
                        "{service}.{name}: parameter {param}"
                    );
                }
            }
            if let Some(request) = endpoint["request"].as_str() {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                assert!(
                    schema.to_string().contains(request),
                    "{service}.{name}: request {request}"
                );
            }
            let status = endpoint["status"].as_u64().unwrap_or(200).to_string();
            if let Some(response) = endpoint["response"].as_str() {
                let schema = &op["responses"][&status]["content"]["application/json"]["schema"];
                let inner = response.trim_start_matches('[').trim_end_matches(']');
                assert!(
                    schema.to_string().contains(inner),
                    "{service}.{name}: response {response}"
                );
            }
            assert!(op["security"].is_array(), "{service}.{name}: security");
        }
    }
}

#[test]
fn security_schemes_follow_the_documents() {
    let dm = document("deepmotion");
    let schemes = &dm["components"]["securitySchemes"];
    assert_eq!(schemes["basicAuth"]["scheme"], "basic");
    assert_eq!(schemes["sessionCookie"]["in"], "cookie");
    assert_eq!(schemes["sessionCookie"]["name"], "dmsess");
    assert_eq!(
        dm["paths"]["/session/auth"]["get"]["security"],
        serde_json::json!([{ "basicAuth": [] }])
    );
    assert_eq!(
        dm["paths"]["/process"]["post"]["security"],
        serde_json::json!([{ "sessionCookie": [] }])
    );
    let md = document("motiondynamic");
    assert_eq!(
        md["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    for op in operations(&md) {
        assert_eq!(op["security"], serde_json::json!([{ "bearerAuth": [] }]));
    }
}

#[test]
fn error_answers_and_codes_are_described() {
    let dm = document("deepmotion");
    let codes = dm["components"]["schemas"]["ErrorCode"]["anyOf"]
        .as_array()
        .unwrap();
    for code in spec("deepmotion")["error_codes"].as_array().unwrap() {
        assert!(
            codes
                .iter()
                .any(|c| c["const"] == code["code"] && c["description"] == code["message"]),
            "error code {}",
            code["code"]
        );
    }
    assert_eq!(
        dm["paths"]["/list"]["get"]["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    let md = document("motiondynamic");
    let error = &md["components"]["schemas"]["PostgrestError"];
    for field in ["code", "message", "details", "hint"] {
        assert!(
            error["properties"][field].is_object(),
            "PostgrestError.{field}"
        );
    }
    let themes = &md["paths"]["/rest/themes"]["get"]["responses"];
    for status in ["400", "401", "429"] {
        assert_eq!(
            themes[status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/PostgrestError",
            "{status}"
        );
    }
}

#[test]
fn every_example_and_note_is_carried() {
    for service in ["deepmotion", "motiondynamic"] {
        let spec = spec(service);
        let doc = document(service);
        let text = doc.to_string();
        let mut notes: Vec<&Value> = spec["notes"].as_array().unwrap().iter().collect();
        for key in ["endpoints", "types"] {
            for item in spec[key].as_array().unwrap() {
                notes.extend(item["notes"].as_array().into_iter().flatten());
            }
        }
        notes.extend(spec["webhook"]["notes"].as_array().into_iter().flatten());
        for note in notes {
            let note = note.as_str().unwrap();
            let escaped = serde_json::to_string(note).unwrap();
            assert!(
                text.contains(&escaped[1..escaped.len() - 1]),
                "{service}: note missing: {note}"
            );
        }
        for ty in spec["types"].as_array().unwrap() {
            let name = ty["name"].as_str().unwrap();
            for example in ty["examples"].as_array().into_iter().flatten() {
                let value = load(
                    &workspace_root()
                        .join("specs")
                        .join(example.as_str().unwrap()),
                );
                let examples = doc["components"]["schemas"][name]["examples"]
                    .as_array()
                    .unwrap();
                assert!(examples.contains(&value), "{service}.{name}: {example}");
            }
        }
    }
}

#[test]
fn check_covers_the_documents_and_the_sandbox_copy() {
    let temp = tempfile::tempdir().unwrap();
    let specs = temp.path().join("specs");
    copy_dir(&workspace_root().join("specs"), &specs);
    let file = specs.join("motiondynamic.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("Maximum number of rows.", "At most this many rows.");
    assert_ne!(text, edited);
    std::fs::write(&file, edited).unwrap();
    let err = check(&workspace_root(), &specs).unwrap_err();
    assert!(
        err.contains("specs/openapi/motiondynamic.json is out of date"),
        "{err}"
    );
    assert!(
        err.contains("crates/sandbox/src/openapi/motiondynamic.json is out of date"),
        "{err}"
    );
    assert!(!err.contains("openapi/deepmotion.json"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
