//! `motionkit people detect` and `people animate`: the real binary against
//! a sandbox on 127.0.0.1, with two and three people, the all_characters
//! archives saved as .zip or extracted, the refusal of an unknown tracking
//! id before `/process`, and a second run that resumes instead of
//! submitting again.

mod support;

use std::path::Path;

use motionkit_sandbox::Sandbox;
use serde_json::Value;
use support::*;
use tempfile::TempDir;

const STOCK: &str = "dm-stock-male-01";

fn run(sandbox: &Sandbox, home: &TempDir, args: &[&str]) -> std::process::Output {
    motionkit(home.path())
        .envs(deepmotion_env(sandbox))
        .args(args)
        .output()
        .unwrap()
}

fn video(home: &TempDir, name: &str) -> String {
    let target = home.path().join(name);
    std::fs::copy(fixture("walk.mp4"), &target).unwrap();
    target.display().to_string()
}

fn detect(sandbox: &Sandbox, home: &TempDir, name: &str, out: Option<&Path>) -> Value {
    let video = video(home, name);
    let mut args = vec!["--json", "people", "detect", video.as_str()];
    let out = out.map(|o| o.display().to_string());
    if let Some(out) = &out {
        args.extend(["--out", out.as_str()]);
    }
    json_output(&run(sandbox, home, &args), "people-detect")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_detected_then_animated_with_zip_archives() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let previews = home.path().join("previews");
    let json = detect(&sandbox, &home, "dance.mp4", Some(&previews));
    let people = json["people"].as_array().unwrap();
    let ids: Vec<&str> = people
        .iter()
        .map(|p| p["tracking_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["001", "002"]);
    let preview = people[1]["previews"][0]["path"].as_str().unwrap();
    assert!(preview.ends_with("dance_002.jpg"), "{preview}");
    assert!(std::fs::read(preview).unwrap().starts_with(&[0xFF, 0xD8]));
    let detection = json["rid"].as_str().unwrap().to_owned();

    let out = home.path().join("out");
    let out_arg = out.display().to_string();
    let args = [
        "--json",
        "people",
        "animate",
        &detection,
        "--person",
        "001=dm-stock-male-01",
        "--person",
        "002=dm-stock-robot-01",
        "--formats",
        "bvh,fbx",
        "--out",
        &out_arg,
    ];
    let json = json_output(&run(&sandbox, &home, &args), "people-animate");
    assert_eq!(json["detection"], detection.as_str());
    let animated = json["people"].as_array().unwrap();
    assert_eq!(animated.len(), 2);
    assert_eq!(animated[1]["tracking_id"], "002");
    assert_eq!(animated[1]["model_id"], "dm-stock-robot-01");
    let files = strings(&animated[0]["files"]);
    assert!(
        files[0].ends_with("dance_001.bvh") && files[1].ends_with("dance_001.fbx"),
        "{files:?}"
    );
    let archives = strings(&json["all_characters"]);
    assert_eq!(archives.len(), 2);
    assert!(
        archives[1].ends_with("all_characters.fbx.zip"),
        "{archives:?}"
    );
    assert!(
        std::fs::read(&archives[1])
            .unwrap()
            .starts_with(b"PK\x03\x04")
    );
    let submitted = sandbox.deepmotion().process_submissions();

    // The same command again resumes from the state file: the job is
    // downloaded again (beside the first files), never submitted again.
    let again = json_output(&run(&sandbox, &home, &args), "people-animate");
    assert_eq!(again["rid"], json["rid"]);
    assert_eq!(sandbox.deepmotion().process_submissions(), submitted);
    let again_archives = strings(&again["all_characters"]);
    assert!(
        again_archives[1].ends_with("all_characters.fbx-2.zip"),
        "{again_archives:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_people_and_unzip() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let json = detect(&sandbox, &home, "crowd-people-3.mp4", None);
    let people = json["people"].as_array().unwrap();
    assert_eq!(people.len(), 3);
    assert!(
        people[2]["previews"][0]["path"].is_null(),
        "no --out, nothing saved"
    );
    let detection = json["rid"].as_str().unwrap().to_owned();
    let out = home.path().join("out");
    let out_arg = out.display().to_string();
    let output = run(
        &sandbox,
        &home,
        &[
            "people",
            "animate",
            &detection,
            "--person",
            "003=dm-stock-female-01",
            "--person",
            "001=dm-stock-male-01",
            "--formats",
            "fbx",
            "--unzip",
            "--out",
            &out_arg,
        ],
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("all_characters\t"), "{stdout}");
    let folder = out.join("all_characters-fbx");
    let mut inside: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside.len(), 2, "{inside:?}");
    assert!(
        inside[0].ends_with("_001.fbx") && inside[1].ends_with("_003.fbx"),
        "{inside:?}"
    );
    for name in &inside {
        assert!(
            std::fs::read(folder.join(name))
                .unwrap()
                .starts_with(b"Kaydara FBX Binary")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_tracking_id_is_refused_before_process() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let json = detect(&sandbox, &home, "pair.mp4", None);
    let detection = json["rid"].as_str().unwrap().to_owned();
    let before = sandbox.deepmotion().process_submissions();
    let out = home.path().join("out").display().to_string();
    let output = run(
        &sandbox,
        &home,
        &[
            "--json",
            "people",
            "animate",
            &detection,
            "--person",
            &format!("007={STOCK}"),
            "--out",
            &out,
        ],
    );
    let json = json_output(&output, "people-animate");
    assert_ne!(code(&output), 0);
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("007") && message.contains("001, 002"),
        "{message}"
    );
    let bad = run(
        &sandbox,
        &home,
        &[
            "people", "animate", &detection, "--person", "001", "--out", &out,
        ],
    );
    assert_eq!(code(&bad), 1, "invalid input: {}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("TRACKING_ID=MODEL_ID"));
    assert_eq!(
        sandbox.deepmotion().process_submissions(),
        before,
        "nothing sent"
    );
}

/// `motionkit --json people animate DETECTION --person 001=STOCK --person
/// 002=STOCK --formats bvh --out OUT` against `base`.
fn people_animate(base: &str, home: &Path, detection: &str, out: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_motionkit"));
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DEEPMOTION_API_URL", base)
        .env("DEEPMOTION_CLIENT_ID", "sandbox")
        .env("DEEPMOTION_CLIENT_SECRET", "sandbox-secret")
        .args(["--json", "people", "animate", detection])
        .args([
            "--person",
            &format!("001={STOCK}"),
            "--person",
            &format!("002={STOCK}"),
        ])
        .args(["--formats", "bvh", "--out"])
        .arg(out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_the_post_then_run_again_adopts_the_animation() {
    use motionkit_tests::proxy::{OnProcess, Proxy};
    use std::time::{Duration, Instant};

    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    // The detection goes straight to the sandbox; the proxy sees only the
    // animation's POST /process, and holds its answer.
    let json = detect(&sandbox, &home, "pair.mp4", None);
    let detection = json["rid"].as_str().unwrap().to_owned();
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::AnswerAfter(Duration::from_secs(60)),
        Duration::ZERO,
    )
    .await;
    let out = home.path().join("out");
    let mut child = people_animate(&proxy.base, home.path(), &detection, &out)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while proxy.process_posts() == 0 {
        assert!(child.try_wait().unwrap().is_none(), "ended before its POST");
        assert!(started.elapsed() < Duration::from_secs(60), "no POST");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    let killed = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(killed.status.code(), None, "killed by a signal");
    assert_eq!(proxy.created().len(), 1, "the server created the job");

    proxy.set_on_process(OnProcess::Pass);
    let mut again = people_animate(&proxy.base, home.path(), &detection, &out);
    let rerun = tokio::task::spawn_blocking(move || again.output().unwrap())
        .await
        .unwrap();
    let json = json_output(&rerun, "people-animate");
    assert_eq!(
        proxy.process_posts(),
        1,
        "the second run did not post again"
    );
    assert_eq!(
        vec![json["rid"].as_str().unwrap().to_owned()],
        proxy.created()
    );
    assert_eq!(json["people"].as_array().unwrap().len(), 2);
    assert!(out.join("all_characters.bvh.zip").is_file());
    sandbox.shutdown().await;
}
