//! `cargo xtask codegen --check` guards the committed output.

use std::path::Path;

use xtask::{check, generate, workspace_root};

fn copy_specs(to: &Path) {
    let from = workspace_root().join("specs");
    copy_dir(&from, to);
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

#[test]
fn committed_output_matches_the_specs() {
    let root = workspace_root();
    if let Err(e) = check(&root, &root.join("specs")) {
        panic!("{e}");
    }
}

#[test]
fn output_is_deterministic() {
    let specs = workspace_root().join("specs");
    assert_eq!(generate(&specs).unwrap(), generate(&specs).unwrap());
}

#[test]
fn every_generated_file_starts_with_the_preamble() {
    for output in generate(&workspace_root().join("specs")).unwrap() {
        if output.path.extension().is_some_and(|e| e == "rs") {
            assert!(
                output.contents.starts_with(xtask::emit::PREAMBLE),
                "{}",
                output.path.display()
            );
        }
    }
}

#[test]
fn editing_a_spec_without_regenerating_fails_the_check() {
    let temp = tempfile::tempdir().unwrap();
    copy_specs(temp.path());
    let spec = temp.path().join("deepmotion.json");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replace(
        "Get the account's credit balance.",
        "Get the credit balance.",
    );
    assert_ne!(text, edited);
    std::fs::write(&spec, edited).unwrap();

    let err = check(&workspace_root(), temp.path()).unwrap_err();
    assert!(
        err.contains("crates/models/src/generated/deepmotion.rs is out of date"),
        "{err}"
    );
    assert!(err.contains("run `cargo xtask codegen`"), "{err}");
    assert!(!err.contains("motiondynamic.rs"), "{err}");
}

#[test]
fn a_range_changed_in_the_spec_changes_the_validation_table() {
    let temp = tempfile::tempdir().unwrap();
    copy_specs(temp.path());
    let spec = temp.path().join("deepmotion.json");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replace(
        r#""key": "videoSpeedMultiplier", "aliases": ["poseEstimation.videoSpeedMultiplier"], "type": "number", "minimum": 1.0, "maximum": 8.0"#,
        r#""key": "videoSpeedMultiplier", "aliases": ["poseEstimation.videoSpeedMultiplier"], "type": "number", "minimum": 1.0, "maximum": 4.0"#,
    );
    assert_ne!(text, edited, "the spec still has the range this test edits");
    std::fs::write(&spec, edited).unwrap();

    let table = |specs: &Path| {
        generate(specs)
            .unwrap()
            .into_iter()
            .find(|o| {
                o.path
                    .ends_with("crates/validation/src/generated/process_table.rs")
            })
            .expect("codegen writes the validation table")
            .contents
    };
    let shipped = table(&workspace_root().join("specs"));
    let changed = table(temp.path());
    assert!(shipped.contains("VIDEO_SPEED_MULTIPLIER_RANGE: (f64, f64) = (1.0, 8.0)"));
    assert!(changed.contains("VIDEO_SPEED_MULTIPLIER_RANGE: (f64, f64) = (1.0, 4.0)"));
    assert!(changed.contains("maximum: Some(4.0)"));
    // The validation outcome for such a table is shown in
    // crates/validation/src/process/tests.rs (`the_generated_table_drives_the_checks`);
    // the check run against the committed files catches the drift.
    let err = check(&workspace_root(), temp.path()).unwrap_err();
    assert!(
        err.contains("crates/validation/src/generated/process_table.rs is out of date"),
        "{err}"
    );
}

#[test]
fn a_malformed_spec_names_the_file_and_json_path() {
    let temp = tempfile::tempdir().unwrap();
    copy_specs(temp.path());
    let spec = temp.path().join("deepmotion.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    value["endpoints"][3]["method"] = "FETCH".into();
    std::fs::write(&spec, serde_json::to_string_pretty(&value).unwrap()).unwrap();

    let err = generate(temp.path()).unwrap_err();
    assert!(err.contains("deepmotion.json"), "{err}");
    assert!(err.contains("endpoints[3].method"), "{err}");
    assert!(err.contains("FETCH"), "{err}");
}

#[test]
fn semantic_errors_name_the_json_path() {
    let temp = tempfile::tempdir().unwrap();
    copy_specs(temp.path());
    let spec = temp.path().join("motiondynamic.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    value["types"][0]["fields"][1]["type"] = "[Missing]".into();
    value["endpoints"][0]["path"] = "/rest/themes/{theme_id}".into();
    std::fs::write(&spec, serde_json::to_string_pretty(&value).unwrap()).unwrap();

    let err = generate(temp.path()).unwrap_err();
    assert!(err.contains("types[0].fields[1].type"), "{err}");
    assert!(err.contains("`Missing` is not defined"), "{err}");
    assert!(err.contains("endpoints[0].path_params"), "{err}");
}

#[test]
fn spec_schema_is_committed_and_describes_the_format() {
    let schema = std::fs::read_to_string(workspace_root().join("specs/spec.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "endpoints",
        "types",
        "process_parameters",
        "error_codes",
        "webhook",
    ] {
        assert!(properties.contains_key(key), "{key}");
    }
}

#[test]
fn editing_an_embedded_spec_file_without_regenerating_fails_the_check() {
    let temp = tempfile::tempdir().unwrap();
    copy_specs(temp.path());
    let query = temp.path().join("motiondynamic/queries/themes.graphql");
    let text = std::fs::read_to_string(&query).unwrap();
    std::fs::write(&query, format!("{text}\n# edited\n")).unwrap();

    let err = check(&workspace_root(), temp.path()).unwrap_err();
    for copy in [
        "crates/motiondynamic/specs/motiondynamic/queries/themes.graphql is out of date",
        "crates/sandbox/specs/motiondynamic/queries/themes.graphql is out of date",
    ] {
        assert!(err.contains(copy), "{err}");
    }
    assert!(!err.contains("demo_theme.json"), "{err}");
}

#[test]
fn a_stray_file_in_a_crate_copy_folder_fails_the_check() {
    let root = tempfile::tempdir().unwrap();
    copy_specs(&root.path().join("specs"));
    let specs = root.path().join("specs");
    for output in generate(&specs).unwrap() {
        let path = root.path().join(&output.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, output.contents).unwrap();
    }
    check(root.path(), &specs).unwrap();
    let stray = root.path().join("crates/cli/specs/examples/old.json");
    std::fs::write(&stray, "{}").unwrap();

    let err = check(root.path(), &specs).unwrap_err();
    assert!(
        err.contains("crates/cli/specs/examples/old.json is not produced by the specs"),
        "{err}"
    );
    xtask::write(root.path()).unwrap();
    assert!(!stray.exists());
}

#[test]
fn every_crate_copy_equals_its_source_and_is_marked_generated() {
    let root = workspace_root();
    for dir in xtask::copies::dirs() {
        let readme = std::fs::read_to_string(root.join(&dir).join("README.md")).unwrap();
        assert!(readme.starts_with("<!-- Generated by `cargo xtask codegen`"));
    }
    for output in generate(&root.join("specs")).unwrap() {
        let path = output.path.to_str().unwrap();
        if let Some((_, rel)) = path.split_once("/specs/")
            && path.starts_with("crates/")
            && !path.ends_with("README.md")
        {
            let source = std::fs::read_to_string(root.join("specs").join(rel)).unwrap();
            assert_eq!(output.contents, source, "{path}");
        }
    }
}

/// Every endpoint of every spec gets a request type whose constructor
/// takes its path parameters, so the clients cannot leave one out.
#[test]
fn every_endpoint_has_a_request_type_with_its_path_parameters() {
    let root = workspace_root();
    for (file, module) in xtask::SPECS {
        let spec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("specs").join(file)).unwrap())
                .unwrap();
        let generated =
            std::fs::read_to_string(root.join(xtask::GENERATED_DIR).join(format!("{module}.rs")))
                .unwrap();
        for endpoint in spec["endpoints"].as_array().unwrap() {
            let name = xtask::requests::type_name(endpoint["name"].as_str().unwrap());
            assert!(
                generated.contains(&format!("pub struct {name}")),
                "{module}: no request type {name}"
            );
            let constant = endpoint["name"].as_str().unwrap().to_uppercase();
            let fields: Vec<String> = endpoint["path_params"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .map(|p| format!("self.{}", p["name"].as_str().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let fill = format!("endpoints::{constant}.fill_path(&[{}])", fields.join(", "));
            assert!(
                generated.contains(&fill),
                "{module}: {name} does not call {fill}"
            );
        }
    }
}
