//! Benchmark 8: a 1 GiB upload and download from Python, the `motionkit`
//! package against DeepMotion's official SDK (dm-animate3d-api 1.0.2), for
//! time and peak RSS.
//!
//! The package is built in the release profile (`pip install
//! crates/python`) into a virtual environment of its own in cargo's target
//! directory, with the SDK beside it; `crates/python/bench/transfer_rss.py`
//! runs each transfer in a fresh child process and reports its figures as
//! JSON.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{Plan, Row, Section};

/// The section's title.
pub const TITLE: &str = "8. Python: upload and download against the official SDK";

fn run_ok(command: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let out = command
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .chars()
            .rev()
            .take(1500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!("{what} failed: {tail}"));
    }
    Ok(out.stdout)
}

/// The virtual environment, created once and refreshed on every run (pip
/// rebuilds the package only when its sources changed).
fn venv(root: &Path, target: &Path) -> Result<std::path::PathBuf, String> {
    let venv = target.join("bench-python-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run_ok(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        )?;
    }
    run_ok(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "dm-animate3d-api==1.0.2",
        ]),
        "pip install dm-animate3d-api",
    )?;
    run_ok(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--force-reinstall",
                "--no-deps",
            ])
            .arg(root.join("crates/python"))
            .env("CARGO_TARGET_DIR", target),
        "pip install crates/python",
    )?;
    Ok(python)
}

fn figure(side: &Value, key: &str) -> Option<f64> {
    side.get(key).and_then(Value::as_f64)
}

/// Benchmark 8.
pub fn run(plan: &Plan, target: &Path) -> Result<Section, String> {
    let root = crate::workspace_root();
    let python = venv(&root, target)?;
    let mib = plan.file_bytes >> 20;
    let out = run_ok(
        Command::new(&python)
            .arg(root.join("crates/python/bench/transfer_rss.py"))
            .args(["--json", "--size-mib", &mib.to_string()]),
        "transfer_rss.py",
    )?;
    let report: Value =
        serde_json::from_slice(&out).map_err(|e| format!("transfer_rss.py: {e}"))?;
    let budget = report["budget_mib"].as_f64().unwrap_or(64.0);
    let mut section = Section::new(TITLE);
    for row in report["rows"].as_array().into_iter().flatten() {
        let what = row["what"].as_str().unwrap_or("?");
        let ours = &row["motionkit"];
        let (Some(seconds), Some(rss)) = (figure(ours, "seconds"), figure(ours, "rss_mib")) else {
            return Err(format!("transfer_rss.py: no figures for {what}"));
        };
        let sdk = &row["sdk"];
        let mut time_row = Row::new(
            format!("{what} {mib} MiB from Python, time"),
            format!("{seconds:.2} s"),
        );
        let mut rss_row = Row::new(
            format!("{what} {mib} MiB from Python, peak RSS"),
            format!("{rss:.0} MiB"),
        )
        .target(format!("<= {budget:.0} MiB"), rss <= budget);
        if let (Some(their_s), Some(their_rss)) = (figure(sdk, "seconds"), figure(sdk, "rss_mib")) {
            time_row = time_row
                .baseline(format!("{their_s:.2} s (official SDK)"))
                .ratio(format!("{:.2}x", seconds / their_s));
            rss_row = rss_row
                .baseline(format!("{their_rss:.0} MiB (official SDK)"))
                .ratio(format!("{:.2}x", rss / their_rss));
        }
        section.rows.push(time_row);
        section.rows.push(rss_row);
    }
    section.notes.push(
        "Each transfer runs in a fresh Python process (peak RSS includes the interpreter); the \
         official SDK runs its own upload (`_upload_video`, one PUT of the whole file read into \
         memory) and download (`_download_files`, the whole body in memory) code paths; the \
         servers run in processes of their own."
            .into(),
    );
    Ok(section)
}
