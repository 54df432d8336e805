//! The CLI's generated documentation: the JSON Schemas of its `--json`
//! outputs, committed in `docs/cli-schemas/`, and its man pages.
//!
//! - `cargo xtask cli-schemas` runs `the_committed_schemas_are_current` with
//!   `MOTIONKIT_UPDATE_DOCS=1`: stale files are rewritten (and files of
//!   outputs that no longer exist removed) instead of failing the test, so
//!   that xtask (which depends on no motionkit crate) carries no writer.
//! - The man pages are the binary's own (`motionkit man DIR`, which `cargo
//!   xtask man [DIR]` runs); `every_command_gets_a_man_page` runs it into a
//!   temporary folder, or into `MOTIONKIT_MAN_DIR` when set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the schemas are committed.
const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli-schemas");
/// `1`: rewrite stale schema files instead of failing.
const UPDATE: &str = "MOTIONKIT_UPDATE_DOCS";
/// A folder to write the man pages into.
const MAN_DIR: &str = "MOTIONKIT_MAN_DIR";

/// `docs/cli-schemas/NAME.json`, as messages name it.
fn shown(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!("docs/cli-schemas/{name}")
}

/// Each schema file as the CLI describes it today: `(path, text)`.
fn schema_files() -> Vec<(PathBuf, String)> {
    motionkit_cli::json_schemas()
        .into_iter()
        .map(|(name, schema)| {
            let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            (Path::new(SCHEMAS).join(format!("{name}.json")), text)
        })
        .collect()
}

#[test]
fn the_committed_schemas_are_current() {
    let update = std::env::var_os(UPDATE).is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let mut changed = 0;
    let files = schema_files();
    for (path, text) in &files {
        if std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(SCHEMAS).unwrap();
            std::fs::write(path, text).unwrap();
            eprintln!("cli-schemas: wrote {}", shown(path));
            changed += 1;
        } else {
            problems.push(format!("{} is stale", shown(path)));
        }
    }
    let current: BTreeSet<&PathBuf> = files.iter().map(|(path, _)| path).collect();
    for entry in std::fs::read_dir(SCHEMAS).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") && !current.contains(&path) {
            if update {
                std::fs::remove_file(&path).unwrap();
                eprintln!("cli-schemas: removed {}", shown(&path));
                changed += 1;
            } else {
                problems.push(format!("{} describes no output of the CLI", shown(&path)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nrun `cargo xtask cli-schemas`",
        problems.join("\n")
    );
    if update && changed == 0 {
        eprintln!("cli-schemas: everything is up to date");
    }
}

/// `motionkit man DIR`, the real binary: one page for `motionkit` and one
/// for each subcommand, hidden ones and `help` excepted.
#[test]
fn every_command_gets_a_man_page() {
    let temporary = tempfile::tempdir().unwrap();
    let dir = std::env::var_os(MAN_DIR).map_or_else(|| temporary.path().to_owned(), PathBuf::from);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_motionkit"))
        .arg("man")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("man pages into"), "{stderr}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in [
        "motionkit.1",
        "motionkit-animate.1",
        "motionkit-models-delete.1",
        "motionkit-config-show.1",
        "motionkit-man.1",
    ] {
        assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
    }
    assert!(!names.iter().any(|n| n == "motionkit-help.1"), "{names:?}");
    let page = std::fs::read_to_string(dir.join("motionkit-animate.1")).unwrap();
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    assert!(page.contains("dry\\-run"), "{page}");
    // The config file's format travels with the binary.
    let config = std::fs::read_to_string(dir.join("motionkit-config.1")).unwrap();
    assert!(config.contains("client_secret"), "{config}");
    eprintln!("man: {stderr}");
}
