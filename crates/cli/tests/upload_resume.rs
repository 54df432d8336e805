//! `motionkit animate` interrupted with Ctrl-C (SIGINT), or killed
//! (SIGKILL), in the middle of a large upload, then run again: the second run goes on in the resumable
//! session the first one recorded in its state file, from the offset the
//! storage has committed. A changed file or an expired session starts the
//! upload over, with a warning on stderr and in `--json` output.
//!
//! The sandbox runs in this process, so the test reads its storage
//! counters; a pace on its storage makes sure the interruption lands
//! mid-upload.

mod support;

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use motionkit_sandbox::Sandbox;
use serde_json::Value;
use support::*;

const MIB: u64 = 1024 * 1024;
/// The CLI's upload chunk (the library's default).
const CHUNK: u64 = 8 * MIB;

/// A valid MP4 of `size` bytes: the fixture, then one `free` box whose
/// content is a hole in a sparse file, so it is written at once.
fn sparse_video(dir: &Path, name: &str, size: u64) -> PathBuf {
    let head = std::fs::read(fixture("walk.mp4")).unwrap();
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(&head).unwrap();
    let pad = u32::try_from(size - head.len() as u64).unwrap();
    file.write_all(&pad.to_be_bytes()).unwrap();
    file.write_all(b"free").unwrap();
    file.set_len(size).unwrap();
    path
}

/// True when both files hold the same bytes, read in pieces.
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (mut a, mut b) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    if a.metadata().unwrap().len() != b.metadata().unwrap().len() {
        return false;
    }
    let (mut x, mut y) = (vec![0u8; 4 * MIB as usize], vec![0u8; 4 * MIB as usize]);
    loop {
        let n = a.read(&mut x).unwrap();
        if n == 0 {
            return true;
        }
        b.read_exact(&mut y[..n]).unwrap();
        if x[..n] != y[..n] {
            return false;
        }
    }
}

fn animate(sandbox: &Sandbox, home: &Path, video: &Path, out: &Path, json: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_motionkit"));
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .envs(deepmotion_env(sandbox));
    if json {
        cmd.arg("--json");
    }
    cmd.arg("animate")
        .arg(video)
        .args(["--formats", "bvh", "--out"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `animate` and sends it SIGINT once the storage has received
/// `after` more bytes; the upload is paced so that it is still running.
async fn interrupted(sandbox: &Sandbox, home: &Path, video: &Path, out: &Path, after: u64) {
    stopped(sandbox, home, video, out, after, "INT").await;
}

/// [`interrupted`] with any signal: `INT` (Ctrl-C, exit 130) or `KILL` (a
/// crash: nothing runs after it).
async fn stopped(
    sandbox: &Sandbox,
    home: &Path,
    video: &Path,
    out: &Path,
    after: u64,
    signal: &str,
) {
    let dm = sandbox.deepmotion();
    dm.set_upload_rate(Some(64 * MIB));
    let (before, submissions) = (dm.storage_bytes_received(), dm.process_submissions());
    let mut child = animate(sandbox, home, video, out, false).spawn().unwrap();
    let started = Instant::now();
    while dm.storage_bytes_received() - before < after {
        assert!(
            child.try_wait().unwrap().is_none(),
            "animate ended before the interruption"
        );
        assert!(started.elapsed() < Duration::from_secs(20), "no upload");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    dm.set_upload_rate(None);
    let expected = if signal == "INT" { 130 } else { -1 };
    assert_eq!(code(&output), expected, "{}", text(&output.stderr));
    assert!(dm.storage_bytes_received() - before < std::fs::metadata(video).unwrap().len());
    assert_eq!(
        dm.process_submissions(),
        submissions,
        "interrupted before /process"
    );
}

/// The recorded upload session of the only video in `out`'s state file.
fn recorded_session(out: &Path) -> Value {
    let path = out.join(".motionkit-state.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the state file is private");
    let state: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let videos = state["videos"].as_object().unwrap();
    assert_eq!(videos.len(), 1);
    videos.values().next().unwrap()["upload_session"].clone()
}

async fn finish(sandbox: &Sandbox, home: &Path, video: &Path, out: &Path) -> (Value, String) {
    let mut cmd = animate(sandbox, home, video, out, true);
    cmd.env(
        "MOTIONKIT_LOG",
        "motionkit_transport=debug,motionkit_deepmotion=debug",
    );
    let output: Output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 0, "{stderr}");
    (json_output(&output, "animate"), stderr)
}

fn secret_of(session: &Value) -> String {
    let uri = session["session"].as_str().unwrap();
    let (_, id) = uri.split_once("upload_id=").expect("a session URI");
    assert!(id.len() > 16, "{uri}");
    id.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_upload_then_a_rerun_sends_only_the_rest() {
    let sandbox = sandbox(|_| {}).await;
    let dm = sandbox.deepmotion();
    let dir = tempfile::tempdir().unwrap();
    let (home, out) = (dir.path().join("home"), dir.path().join("out"));
    let size = 200 * MIB + 12_345;
    let video = sparse_video(dir.path(), "big.mp4", size);

    interrupted(&sandbox, &home, &video, &out, 3 * CHUNK).await;
    let session = recorded_session(&out);
    let secret = secret_of(&session);
    assert_eq!(session["file"]["size"], size);
    assert_eq!(
        Path::new(session["file"]["path"].as_str().unwrap()),
        video.canonicalize().unwrap()
    );
    let upload_url = session["upload_url"].as_str().unwrap().to_owned();
    let first = dm.storage_bytes_received();

    let (json, stderr) = finish(&sandbox, &home, &video, &out).await;
    assert!(stderr.contains("resuming the upload at"), "{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
    assert!(
        !stderr.contains(&secret),
        "the session URI leaked: {stderr}"
    );
    assert_eq!(json["videos"][0]["status"], "done");
    assert_eq!(json["videos"][0]["warnings"], Value::Array(Vec::new()));
    assert!(!json.to_string().contains(&secret));

    let total = dm.storage_bytes_received();
    assert!(
        total <= size + CHUNK,
        "{total} bytes received for a {size}-byte file ({first} before the interruption)"
    );
    assert!(
        total - first < size,
        "the rerun did not send everything again"
    );
    assert_eq!(dm.requests("upload_url"), 1, "one signed URL, one session");
    assert_eq!(dm.process_submissions(), 1);
    let stored = dm.stored_upload(&upload_url).expect("the object is stored");
    assert!(same_bytes(&stored, &video), "the stored object differs");
    assert!(recorded_session(&out).is_null(), "forgotten once uploaded");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_or_an_expired_session_starts_the_upload_over_with_a_warning() {
    let sandbox = sandbox(|_| {}).await;
    let dm = sandbox.deepmotion();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let size = 40 * MIB + 7;

    // The session expires between the runs.
    let (video, out) = (
        sparse_video(dir.path(), "a.mp4", size),
        dir.path().join("a"),
    );
    interrupted(&sandbox, &home, &video, &out, CHUNK).await;
    let before = recorded_session(&out);
    assert_eq!(dm.expire_upload_sessions(), 1);
    let (json, stderr) = finish(&sandbox, &home, &video, &out).await;
    let warnings = json["videos"][0]["warnings"].as_array().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{json}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains("expired") && warning.contains("410"),
        "{warning}"
    );
    assert!(stderr.contains("warning:") && stderr.contains("uploading it from the start"));
    assert!(!stderr.contains(&secret_of(&before)), "{stderr}");
    assert_eq!(dm.requests("upload_url"), 2, "a new signed URL");
    let url = dm_upload_url(&out);
    assert!(same_bytes(&dm.stored_upload(&url).unwrap(), &video));

    // The file changes between the runs (same size, other bytes).
    let (video, out) = (
        sparse_video(dir.path(), "b.mp4", size),
        dir.path().join("b"),
    );
    interrupted(&sandbox, &home, &video, &out, CHUNK).await;
    std::thread::sleep(Duration::from_millis(20));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&video)
        .unwrap();
    file.seek(SeekFrom::Start(size - 1)).unwrap();
    file.write_all(b"!").unwrap();
    drop(file);
    let (json, stderr) = finish(&sandbox, &home, &video, &out).await;
    let warnings = json["videos"][0]["warnings"].as_array().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{json}");
    assert!(warnings[0].as_str().unwrap().contains("the file changed"));
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(!stderr.contains("resuming the upload"), "{stderr}");
    let url = dm_upload_url(&out);
    assert!(same_bytes(&dm.stored_upload(&url).unwrap(), &video));
    assert_eq!(dm.process_submissions(), 2);
    sandbox.shutdown().await;
}

/// The signed URL of the finished upload recorded in `out`'s state file.
fn dm_upload_url(out: &Path) -> String {
    let state: Value =
        serde_json::from_slice(&std::fs::read(out.join(".motionkit-state.json")).unwrap()).unwrap();
    let video = state["videos"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    video["upload"]["url"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_upload_resumes_too() {
    let sandbox = sandbox(|_| {}).await;
    let dm = sandbox.deepmotion();
    let dir = tempfile::tempdir().unwrap();
    let (home, out) = (dir.path().join("home"), dir.path().join("out"));
    let size = 40 * MIB + 3;
    let video = sparse_video(dir.path(), "crash.mp4", size);
    // SIGKILL: no handler runs; the session was recorded before the first byte.
    stopped(&sandbox, &home, &video, &out, 2 * CHUNK, "KILL").await;
    let session = recorded_session(&out);
    let upload_url = session["upload_url"].as_str().unwrap().to_owned();
    let (json, stderr) = finish(&sandbox, &home, &video, &out).await;
    assert!(stderr.contains("resuming the upload at"), "{stderr}");
    assert_eq!(json["videos"][0]["warnings"], Value::Array(Vec::new()));
    let total = dm.storage_bytes_received();
    assert!(total <= size + CHUNK, "{total} bytes for {size}");
    assert!(same_bytes(&dm.stored_upload(&upload_url).unwrap(), &video));
    sandbox.shutdown().await;
}
