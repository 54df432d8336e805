//! Project automation for motionkit.
//!
//! `cargo xtask codegen` turns the hand-written specs in `specs/` into the
//! Rust modules in `crates/models/src/generated/`, the `/process` parameter
//! table in `crates/validation/src/generated/`, the spec format's own
//! JSON Schema, `specs/spec.schema.json`, and the OpenAPI 3.1 document of
//! each service, `specs/openapi/{service}.json` (with a copy the sandbox
//! embeds in `crates/sandbox/src/openapi/`), and copies of the spec files
//! crates read at build time into each such crate's `specs/` folder
//! ([`copies`]). `cargo xtask codegen --check`
//! writes nothing and fails when a committed file differs from what the
//! specs produce.

pub mod api;
pub mod copies;
pub mod deps;
pub mod emit;
pub mod load;
pub mod openapi;
pub mod requests;
pub mod spec;
pub mod types;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The spec files, in generation order: (file name in `specs/`, module name).
pub const SPECS: &[(&str, &str)] = &[
    ("deepmotion.json", "deepmotion"),
    ("motiondynamic.json", "motiondynamic"),
];

/// Where generated Rust goes, relative to the workspace root.
pub const GENERATED_DIR: &str = "crates/models/src/generated";

/// Where the generated validation tables go, relative to the workspace
/// root.
pub const VALIDATION_GENERATED_DIR: &str = "crates/validation/src/generated";

/// Folders that hold only generated files: anything else in them is stale.
pub const GENERATED_DIRS: &[&str] = &[
    GENERATED_DIR,
    VALIDATION_GENERATED_DIR,
    openapi::OPENAPI_DIR,
    openapi::SANDBOX_COPY_DIR,
];

/// Every folder that holds only generated files, the crates' spec copies
/// included.
pub fn generated_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = GENERATED_DIRS.iter().map(PathBuf::from).collect();
    dirs.extend(copies::dirs());
    dirs
}

/// Files under `root/dir`, recursively, as paths relative to `root`.
/// A folder that does not exist has no files.
fn files_under(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
        for entry in entries.flatten() {
            let path = dir.join(entry.file_name());
            if entry.path().is_dir() {
                files.extend(files_under(root, &path));
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_owned()
}

/// One file codegen produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the workspace root.
    pub path: PathBuf,
    /// Full contents.
    pub contents: String,
}

/// Everything codegen produces from the specs under `specs_dir`.
pub fn generate(specs_dir: &Path) -> Result<Vec<Output>, String> {
    let mut outputs = Vec::new();
    let mut errors = Vec::new();
    for (file, module) in SPECS {
        match load::load(&specs_dir.join(file), specs_dir) {
            Ok(spec) => {
                if spec.service != *module {
                    errors.push(format!(
                        "{}: at `service`: expected `{module}`",
                        specs_dir.join(file).display()
                    ));
                    continue;
                }
                if !spec.process_parameters.is_empty() {
                    outputs.push(Output {
                        path: Path::new(VALIDATION_GENERATED_DIR).join("process_table.rs"),
                        contents: rustfmt(&emit::validation_table(&spec, file))?,
                    });
                }
                let code = rustfmt(&emit::service_module(&spec, file))?;
                outputs.push(Output {
                    path: Path::new(GENERATED_DIR).join(format!("{module}.rs")),
                    contents: code,
                });
                let document = openapi::document(&spec, file, specs_dir)?;
                for dir in [openapi::OPENAPI_DIR, openapi::SANDBOX_COPY_DIR] {
                    outputs.push(Output {
                        path: Path::new(dir).join(format!("{module}.json")),
                        contents: document.clone(),
                    });
                }
            }
            Err(spec_errors) => errors.extend(spec_errors.iter().map(ToString::to_string)),
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    let modules: Vec<&str> = SPECS.iter().map(|(_, m)| *m).collect();
    outputs.push(Output {
        path: Path::new(GENERATED_DIR).join("mod.rs"),
        contents: rustfmt(&emit::mod_file(&modules))?,
    });
    outputs.push(Output {
        path: PathBuf::from("specs/spec.schema.json"),
        contents: spec::json_schema(),
    });
    outputs.extend(copies::outputs(specs_dir)?);
    Ok(outputs)
}

/// Formats Rust source with the toolchain's rustfmt.
pub fn rustfmt(source: &str) -> Result<String, String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run rustfmt (install it with `rustup component add rustfmt`): {e}")
        })?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(source.as_bytes())
        .map_err(|e| format!("cannot write to rustfmt: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code (a codegen bug):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt wrote non-UTF-8: {e}"))
}

/// Files under `root` that differ from `outputs`, with a reason each.
/// Also reports stray files in the generated folder.
pub fn stale(root: &Path, outputs: &[Output]) -> Vec<String> {
    let mut problems = Vec::new();
    for output in outputs {
        match std::fs::read_to_string(root.join(&output.path)) {
            Ok(current) if current == output.contents => {}
            Ok(_) => problems.push(format!("{} is out of date", output.path.display())),
            Err(_) => problems.push(format!("{} is missing", output.path.display())),
        }
    }
    for dir in generated_dirs() {
        for path in files_under(root, &dir) {
            if !outputs.iter().any(|o| o.path == path) {
                problems.push(format!("{} is not produced by the specs", path.display()));
            }
        }
    }
    problems
}

/// `cargo xtask codegen --check` for the workspace at `root`, with specs
/// read from `specs_dir`.
pub fn check(root: &Path, specs_dir: &Path) -> Result<(), String> {
    let outputs = generate(specs_dir)?;
    let problems = stale(root, &outputs);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\nrun `cargo xtask codegen` and commit the result",
            problems.join("\n")
        ))
    }
}

/// `cargo xtask codegen`: writes every output under `root`, removing
/// stray generated files. Returns the paths that changed.
pub fn write(root: &Path) -> Result<Vec<PathBuf>, String> {
    let outputs = generate(&root.join("specs"))?;
    let mut changed = Vec::new();
    for dir in generated_dirs() {
        for path in files_under(root, &dir) {
            if !outputs.iter().any(|o| o.path == path) {
                std::fs::remove_file(root.join(&path)).map_err(|e| e.to_string())?;
                changed.push(path);
            }
        }
    }
    for output in outputs {
        let target = root.join(&output.path);
        if std::fs::read_to_string(&target).ok().as_deref() != Some(output.contents.as_str()) {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&target, &output.contents)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            changed.push(output.path);
        }
    }
    Ok(changed)
}
