//! Reliability with real processes: the sandbox is killed (SIGKILL) and
//! restarted on the same `--data-dir` in the middle of a CLI batch; after
//! the CLI is run again, the batch finishes with every output and each job
//! charged exactly once. Part of `cargo test --test reliability`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
const BIN: &str = env!("CARGO_BIN_EXE_motionkit");

/// `motionkit sandbox` on a fixed port and data folder; returns once it
/// printed its URLs.
fn start_sandbox(port: u16, data: &Path, home: &Path) -> Child {
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--deepmotion-port",
            &port.to_string(),
            "--motiondynamic-port",
            "0",
        ])
        .args(["--time-scale", "8", "--data-dir"])
        .arg(data)
        .env("HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(first, format!("deepmotion http://127.0.0.1:{port}"));
    // Keep draining stdout so the sandbox never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn animate(port: u16, videos: &[PathBuf], out: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--quiet")
        .arg("animate")
        .args(videos)
        .args(["--formats", "bvh", "--concurrency", "3", "--out"])
        .arg(out)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DEEPMOTION_API_URL", format!("http://127.0.0.1:{port}"))
        .env("DEEPMOTION_CLIENT_ID", "sandbox")
        .env("DEEPMOTION_CLIENT_SECRET", "sandbox-secret")
        .env_remove("MOTIONKIT_CONFIG");
    cmd
}

fn jobs_recorded(state: &Path) -> usize {
    std::fs::read(state)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v["videos"]
                .as_object()
                .map(|videos| videos.values().filter(|e| e["rid"].is_string()).count())
        })
        .unwrap_or(0)
}

fn credits(port: u16) -> f64 {
    let output = Command::new(BIN)
        .args(["--json", "credits"])
        .env("DEEPMOTION_API_URL", format!("http://127.0.0.1:{port}"))
        .env("DEEPMOTION_CLIENT_ID", "sandbox")
        .env("DEEPMOTION_CLIENT_SECRET", "sandbox-secret")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    value["credits"]
        .as_f64()
        .unwrap_or_else(|| panic!("no credits in {value}"))
}

#[test]
fn a_sandbox_killed_mid_batch_and_restarted_loses_nothing_and_charges_once() {
    let work = tempfile::tempdir().unwrap();
    let (data, home, out) = (
        work.path().join("data"),
        work.path().join("home"),
        work.path().join("out"),
    );
    std::fs::create_dir_all(&home).unwrap();
    let videos: Vec<PathBuf> = (0..6)
        .map(|i| {
            let path = work.path().join(format!("clip-{i}.mp4"));
            std::fs::copy(Path::new(FIXTURES).join("walk.mp4"), &path).unwrap();
            path
        })
        .collect();
    let port = free_port();
    let mut sandbox = start_sandbox(port, &data, &home);
    let before = credits(port);

    // First run: the sandbox dies once some jobs are submitted.
    let mut batch = animate(port, &videos, &out, &home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state = out.join(".motionkit-state.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while jobs_recorded(&state) < 2 {
        assert!(Instant::now() < deadline, "no job was submitted in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    sandbox.kill().unwrap();
    sandbox.wait().unwrap();
    let first = batch.wait().unwrap();
    assert!(
        !first.success(),
        "the first run cannot finish without its server"
    );
    // It had reached the server before losing it: a temporary failure (2),
    // unlike a server never reached (1, check the URL; tests/messages.rs).
    assert_eq!(first.code(), Some(2), "a lost server is temporary");

    // The sandbox comes back with its data; the same command finishes the batch.
    let mut sandbox = start_sandbox(port, &data, &home);
    let mut second = animate(port, &videos, &out, &home).output().unwrap();
    let said = String::from_utf8_lossy(&second.stderr).into_owned();
    if !second.status.success() && said.contains("--resubmit-unconfirmed") {
        // The kill caught a `POST /process` in flight, before the server
        // kept its job: the rerun does not guess, and says what to do.
        // Doing it sends that one video once; the others are adopted.
        assert!(
            said.contains("whether it created a job is unknown"),
            "{said}"
        );
        second = animate(port, &videos, &out, &home)
            .arg("--resubmit-unconfirmed")
            .output()
            .unwrap();
    }
    assert!(
        second.status.success(),
        "rerun failed: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    for i in 0..6 {
        let bvh = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .flat_map(|p| {
                if p.is_dir() {
                    std::fs::read_dir(p)
                        .unwrap()
                        .flatten()
                        .map(|e| e.path())
                        .collect()
                } else {
                    vec![p]
                }
            })
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n == format!("clip-{i}.bvh").as_str())
            });
        let bvh = bvh.unwrap_or_else(|| panic!("clip-{i}.bvh is missing"));
        let text = std::fs::read_to_string(bvh).unwrap();
        assert!(text.contains("Frames: 60"), "clip-{i}.bvh is incomplete");
    }
    assert_eq!(
        before - credits(port),
        12.0,
        "6 jobs of 2 s, each charged once"
    );
    sandbox.kill().unwrap();
    sandbox.wait().unwrap();
}
