//! The subcommands that xtask hands to cargo, so that it depends on none
//! of the crates it generates into:
//!
//! - `cargo xtask bench [ARGS]` is `cargo run --release -p motionkit-bench
//!   -- ARGS` (the benchmark harness, `bench/`, which also builds the
//!   release `motionkit-sandbox` it starts);
//! - `cargo xtask cli-schemas` runs the CLI's test that checks
//!   `docs/cli-schemas/`, with `MOTIONKIT_UPDATE_DOCS=1` so that it rewrites
//!   them (`crates/cli/tests/generated_docs.rs`);
//! - `cargo xtask man [DIR]` is `cargo run -p motionkit-cli -- man DIR`
//!   (the binary writes its own man pages), into `man/` of cargo's target
//!   directory by default (`cargo metadata`'s `target_directory`, so
//!   `CARGO_TARGET_DIR` is followed).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The CLI's test file that writes its generated documentation.
const DOCS_TEST: &str = "generated_docs";

/// Runs `cargo ARGS` in `root` with `envs`; its exit code becomes ours.
fn cargo(root: &Path, args: &[&str], envs: &[(&str, &Path)]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(args).current_dir(root);
    without_run_env(&mut command);
    for (name, value) in envs {
        command.env(name, value);
    }
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("xtask: `cargo {}` failed ({status})", args.join(" "));
            // Its own code (2 for a usage error), else 1.
            let code = status.code().and_then(|c| u8::try_from(c).ok());
            ExitCode::from(code.filter(|&c| c != 0).unwrap_or(1))
        }
        Err(e) => {
            eprintln!("xtask: cannot run {cargo}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Leaves out of `command`'s environment what `cargo run` set for xtask
/// (`CARGO_PKG_*`, `CARGO_MANIFEST_DIR`, ...): build scripts that watch
/// them (ring's) would otherwise run again, and rebuild all that depends on
/// them, whenever cargo is started from here after a shell or the other
/// way round.
pub fn without_run_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let set_by_run = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(
                name,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
            );
        if set_by_run {
            command.env_remove(name);
        }
    }
}

/// `cargo xtask bench [ARGS]`.
pub fn bench(root: &Path, args: &[&str]) -> ExitCode {
    let mut run = vec!["run", "--release", "-p", "motionkit-bench", "--"];
    run.extend_from_slice(args);
    cargo(root, &run, &[])
}

/// The arguments of `cargo test` for one test of the CLI's documentation
/// test file, with its output shown.
fn docs_test(name: &str) -> [&str; 10] {
    [
        "test",
        "-p",
        "motionkit-cli",
        "--test",
        DOCS_TEST,
        "--",
        "--exact",
        name,
        "--nocapture",
        "--quiet",
    ]
}

/// `cargo xtask cli-schemas`.
pub fn cli_schemas(root: &Path) -> ExitCode {
    cargo(
        root,
        &docs_test("the_committed_schemas_are_current"),
        &[("MOTIONKIT_UPDATE_DOCS", Path::new("1"))],
    )
}

/// cargo's target directory for the workspace at `root` (`cargo metadata`'s
/// `target_directory`: `target/`, `CARGO_TARGET_DIR` or `build.target-dir`).
pub fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root);
    without_run_env(&mut command);
    let output = command
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`cargo metadata` printed no JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "`cargo metadata` names no target_directory".to_owned())
}

/// `cargo xtask man [DIR]`: a relative `DIR` is taken from the current
/// folder, as users expect (cargo runs the binary in the workspace root).
pub fn man(root: &Path, args: &[&str]) -> ExitCode {
    let dir = match args {
        [] => match target_dir(root) {
            Ok(target) => target.join("man"),
            Err(e) => {
                eprintln!("man: where cargo builds: {e}");
                return ExitCode::FAILURE;
            }
        },
        [dir] => match std::path::absolute(dir) {
            Ok(dir) => dir,
            Err(e) => {
                eprintln!("man: {dir}: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("usage: cargo xtask man [DIR]");
            return ExitCode::from(2);
        }
    };
    let Some(dir) = dir.to_str() else {
        eprintln!("man: {} is not UTF-8", dir.display());
        return ExitCode::FAILURE;
    };
    cargo(
        root,
        &["run", "--quiet", "-p", "motionkit-cli", "--", "man", dir],
        &[],
    )
}
