//! `motionkit-bench`: side-by-side benchmarks of the clients against the
//! sandbox, run by `cargo xtask bench [--quick]` (or
//! `cargo run --release -p motionkit-bench -- [--quick]`).
//!
//! Every figure is a ratio measured in one run against a baseline run next
//! to it (curl, a bare reqwest call, a naive polling loop), because shared
//! machines are noisy. The results are printed and written between the
//! markers of `docs/BENCHMARKS.md`, with the machine description; the rest
//! of that file is left as it is.
//!
//! The benchmarks measure release builds: a debug `motionkit-bench` builds
//! itself and `motionkit-sandbox` in release mode and runs the release
//! binary; a release one builds the two (a no-op when they are current)
//! so that the sandbox binary beside it is current. Transfers run in child
//! processes (the `motionkit-sandbox` binary, curl, and this binary's own
//! `motionkit-bench worker` mode) so that each one's peak RSS is its own.

mod child;
mod download;
mod download_cli;
mod fleet;
mod machine;
mod overhead;
mod python;
mod rate_limit;
mod report;
mod tracking;
mod upload;
mod validation;
mod worker;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["worker", rest @ ..] => worker::main(rest),
        rest => bench(rest),
    }
}

/// The workspace root: `docs/BENCHMARKS.md` and the specs' examples are
/// read and written there.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("motionkit-bench lives inside the workspace")
        .to_owned()
}

/// Whether a row meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Met {
    /// The target is met.
    Yes,
    /// The target is missed.
    No,
    /// Informational: no target.
    Info,
}

impl Met {
    /// `Yes` when `ok`, else `No`.
    pub fn from(ok: bool) -> Met {
        if ok { Met::Yes } else { Met::No }
    }

    /// The word shown in the table.
    pub fn word(self) -> &'static str {
        match self {
            Met::Yes => "yes",
            Met::No => "**no**",
            Met::Info => "info",
        }
    }
}

/// One line of the results table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub name: String,
    /// The motionkit figure.
    pub ours: String,
    /// The baseline figure.
    pub baseline: String,
    /// motionkit against the baseline.
    pub ratio: String,
    /// The target, or `-`.
    pub target: String,
    /// Whether the target is met.
    pub met: Met,
}

impl Row {
    /// A row; `ratio`, `target` and `met` are filled by the builder methods.
    pub fn new(name: impl Into<String>, ours: impl Into<String>) -> Row {
        Row {
            name: name.into(),
            ours: ours.into(),
            baseline: "-".into(),
            ratio: "-".into(),
            target: "-".into(),
            met: Met::Info,
        }
    }

    /// Sets the baseline figure.
    pub fn baseline(mut self, baseline: impl Into<String>) -> Row {
        self.baseline = baseline.into();
        self
    }

    /// Sets the ratio column.
    pub fn ratio(mut self, ratio: impl Into<String>) -> Row {
        self.ratio = ratio.into();
        self
    }

    /// Sets the target and whether it is met.
    pub fn target(mut self, target: impl Into<String>, ok: bool) -> Row {
        self.target = target.into();
        self.met = Met::from(ok);
        self
    }
}

/// What one benchmark found: table rows and notes for the details section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading, such as `1. Upload 1 GiB`.
    pub title: String,
    /// Table rows.
    pub rows: Vec<Row>,
    /// Method and extra figures, one bullet each.
    pub notes: Vec<String>,
}

impl Section {
    /// An empty section.
    pub fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A section for a benchmark that could not run.
    pub fn failed(title: impl Into<String>, error: &str) -> Section {
        let mut section = Section::new(title);
        section
            .rows
            .push(Row::new("did not run", "-").target("run", false));
        section.notes.push(format!("Error: {error}"));
        section
    }
}

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// `--quick`.
    pub quick: bool,
    /// Size of the transfer test file.
    pub file_bytes: u64,
    /// Interleaved rounds of each transfer.
    pub rounds: usize,
    /// Sizes of the download benchmark's test files.
    pub download_sizes: &'static [u64],
    /// Interleaved rounds of the download benchmark, per size.
    pub download_rounds: usize,
    /// Jobs tracked in flight.
    pub jobs: usize,
    /// Requests per side of the overhead benchmark.
    pub requests: usize,
    /// MotionDynamic generations.
    pub generations: usize,
}

impl Plan {
    /// The full run, or the quick one.
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                quick,
                file_bytes: 256 << 20,
                rounds: 1,
                download_sizes: &[256 << 20],
                download_rounds: 3,
                jobs: 1000,
                requests: 2_000,
                generations: 100,
            }
        } else {
            Plan {
                quick,
                file_bytes: 1 << 30,
                rounds: 3,
                download_sizes: &[256 << 20, 1 << 30],
                download_rounds: 5,
                jobs: 1000,
                requests: 10_000,
                generations: 500,
            }
        }
    }

    /// The command that reproduces this run.
    pub fn command(&self) -> &'static str {
        if self.quick {
            "cargo xtask bench --quick"
        } else {
            "cargo xtask bench"
        }
    }
}

/// `cargo xtask bench [--quick]`, or `cargo xtask bench --only fleet`
/// (benchmark 7 alone) or `--only download` (benchmark 2 alone), printed
/// and not written to `docs/BENCHMARKS.md`.
fn bench(args: &[&str]) -> ExitCode {
    let quick = match args {
        [] => false,
        ["--quick"] => true,
        ["--only", "fleet"] => return only_fleet(),
        ["--only", "python"] => {
            let root = workspace_root();
            let section =
                target_dir(&root).and_then(|target| python::run(&Plan::new(false), &target));
            return print_section(or_failed(python::TITLE, section));
        }
        ["--only", "download"] => {
            if let Some(code) = in_release(args) {
                return code;
            }
            return only_download();
        }
        _ => {
            eprintln!(
                "usage: cargo xtask bench [--quick] | cargo xtask bench --only fleet|download|python \
                 (or motionkit-bench with the same arguments)"
            );
            return ExitCode::from(2);
        }
    };
    if let Some(code) = in_release(args) {
        return code;
    }
    let plan = Plan::new(quick);
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let started = Instant::now();
    let sections = runtime.block_on(run_all(&plan));
    let report = report::Report {
        plan,
        machine: machine::Machine::describe(),
        sections,
        elapsed: started.elapsed(),
    };
    print!("{}", report.table());
    let path = workspace_root().join("docs/BENCHMARKS.md");
    match report.write(&path) {
        Ok(()) => eprintln!("bench: wrote {}", path.display()),
        Err(e) => {
            eprintln!("bench: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Benchmark 7 alone, printed as a table.
fn only_fleet() -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    print_section(or_failed(fleet::TITLE, runtime.block_on(fleet::run())))
}

/// Benchmark 2 alone (full size), printed as a table.
fn only_download() -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let plan = Plan::new(false);
    let section = runtime.block_on(async {
        match upload::Setup::start(&plan).await {
            Ok(setup) => or_failed("2. Download", download::run(&setup, &plan).await),
            Err(e) => or_failed("2. Download", Err(e)),
        }
    });
    print_section(section)
}

/// A multi-threaded runtime, or `None` (said on stderr).
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| eprintln!("bench: cannot start the runtime: {e}"))
        .ok()
}

/// Prints one section as a table; fails when a target is missed.
fn print_section(section: Section) -> ExitCode {
    println!("{}", section.title);
    for row in &section.rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            row.ours,
            row.baseline,
            row.ratio,
            row.target,
            row.met.word()
        );
    }
    for note in &section.notes {
        println!("- {note}");
    }
    if section.rows.iter().any(|row| row.met == Met::No) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Builds `motionkit-bench` and `motionkit-sandbox` in release mode. In a
/// debug build, then runs the release `motionkit-bench` with `args` and
/// returns its outcome; in a release build, returns `None` (go on here,
/// with the sandbox binary beside this one current) unless the build
/// failed.
fn in_release(args: &[&str]) -> Option<ExitCode> {
    let root = workspace_root();
    let target = match target_dir(&root) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("bench: where cargo builds: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("bench: building motionkit-bench and motionkit-sandbox in release mode");
    // Both in one build, as `motionkit-bench` enables the sandbox's default
    // features: the same feature set as `cargo run --release -p
    // motionkit-bench`, so nothing is built twice.
    let mut build = Command::new(&cargo);
    for (name, _) in std::env::vars_os() {
        if set_by_cargo_run(&name) {
            build.env_remove(name);
        }
    }
    let built = build
        .args([
            "build",
            "--release",
            "-p",
            "motionkit-bench",
            "-p",
            "motionkit-sandbox",
            "-p",
            "motionkit-cli",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(&root)
        .status();
    match built {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!("bench: the release build failed ({status})");
            return Some(ExitCode::FAILURE);
        }
        Err(e) => {
            eprintln!("bench: cannot run {cargo}: {e}");
            return Some(ExitCode::FAILURE);
        }
    }
    // A release binary goes on, unless that build replaced it (its code
    // changed): then the new one runs, as the workers it starts will be.
    let replaced = !std::env::current_exe().is_ok_and(|exe| exe.is_file());
    if !cfg!(debug_assertions) && !replaced {
        return None;
    }
    let mut release = Command::new(target.join("release").join("motionkit-bench"));
    release.args(args).current_dir(&root);
    Some(match release.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench: cannot run the release motionkit-bench: {e}");
            ExitCode::FAILURE
        }
    })
}

/// Whether `cargo run` set the variable `name` for this process
/// (`CARGO_PKG_*`, `CARGO_MANIFEST_DIR`, ...). The cargo started here goes
/// without them: build scripts that watch them (ring's) would otherwise run
/// again and rebuild everything above them, replacing the build that
/// `cargo run --release -p motionkit-bench` just made.
fn set_by_cargo_run(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    ["CARGO_PKG_", "CARGO_MANIFEST_"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || [
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_PRIMARY_PACKAGE",
        ]
        .contains(&&*name)
}

/// The target directory this binary was built into (`TARGET/PROFILE/
/// motionkit-bench`), else the one cargo names (`cargo metadata`'s
/// `target_directory`: `CARGO_TARGET_DIR`, `build.target-dir` or the
/// workspace's `target`).
fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let built_in = std::env::current_exe().ok().and_then(|exe| {
        let profile = exe.parent()?;
        matches!(profile.file_name()?.to_str()?, "debug" | "release").then_some(())?;
        Some(profile.parent()?.to_path_buf())
    });
    match built_in {
        Some(dir) => Ok(dir),
        None => cargo_target_dir(root),
    }
}

/// `cargo metadata`'s `target_directory` for the workspace at `root`.
fn cargo_target_dir(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!("`{cargo} metadata` failed ({})", output.status));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`{cargo} metadata` printed no JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| format!("`{cargo} metadata` names no target_directory"))
}

/// Runs every benchmark; one that fails becomes a failed section. The
/// benchmarks that share the sandbox process run first.
async fn run_all(plan: &Plan) -> Vec<Section> {
    let mut sections = Vec::new();
    eprintln!("bench: starting the sandbox process, writing the test file");
    match upload::Setup::start(plan).await {
        Ok(setup) => {
            eprintln!("bench: 1. upload");
            sections.push(or_failed("1. Upload", upload::run(&setup, plan).await));
            eprintln!("bench: 2. download");
            sections.push(or_failed("2. Download", download::run(&setup, plan).await));
            eprintln!("bench: 4. per-request overhead");
            let mut overhead = or_failed(
                "4. Per-request overhead",
                overhead::run(&setup.sandbox.deepmotion_url, plan).await,
            );
            if let Some(kib) = setup.sandbox.peak_rss_kib() {
                overhead.notes.push(format!(
                    "Peak RSS of the sandbox process that served benchmarks 1, 2 and 4: {}.",
                    mib(kib)
                ));
            }
            sections.push(overhead);
        }
        Err(e) => {
            for title in ["1. Upload", "2. Download", "4. Per-request overhead"] {
                sections.push(Section::failed(title, &e));
            }
        }
    }
    eprintln!("bench: 3. tracking jobs in flight");
    sections.push(or_failed(
        "3. Tracking jobs in flight",
        tracking::run(plan).await,
    ));
    eprintln!("bench: 5. MotionDynamic under the rate limit");
    sections.push(or_failed(
        "5. MotionDynamic under the rate limit",
        rate_limit::run(plan).await,
    ));
    eprintln!("bench: 6. validation");
    sections.push(or_failed("6. Validation", validation::run()));
    eprintln!("bench: {}", fleet::TITLE);
    sections.push(or_failed(fleet::TITLE, fleet::run().await));
    eprintln!("bench: {}", python::TITLE);
    let python = target_dir(&workspace_root()).and_then(|target| python::run(plan, &target));
    sections.push(or_failed(python::TITLE, python));
    sections.sort_by(|a, b| a.title.cmp(&b.title));
    sections
}

fn or_failed(title: &str, result: Result<Section, String>) -> Section {
    result.unwrap_or_else(|e| {
        eprintln!("bench: {title} failed: {e}");
        Section::failed(title, &e)
    })
}

/// `kib` as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The `p`-th percentile (0..=100) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(values, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut values = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&mut values), 3.0);
        assert_eq!(percentile(&values, 99.0), 5.0);
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn worker_output_parses() {
        let out =
            worker::parse_output("bytes=10 secs=1.5 last_byte_secs=1.25 vmhwm_kib=900\n").unwrap();
        assert_eq!((out.bytes, out.peak_kib), (10, 900));
        assert_eq!((out.secs, out.last_byte_secs), (1.5, 1.25));
        assert!(worker::parse_output("bytes=10").is_none());
        assert_eq!(upload::parse_curl("1073741824 2.5"), Some((1 << 30, 2.5)));
    }
}
