//! The `motionkit` binary driven as a user would, against sandboxes on
//! 127.0.0.1 started here (or the embedded one).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};
use serde_json::Value;
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

async fn sandbox(tune: impl FnOnce(&mut SandboxArgs)) -> Sandbox {
    let mut args = SandboxArgs::default().time_scale(60.0);
    tune(&mut args);
    Sandbox::start(SandboxConfig::from_args(args).unwrap())
        .await
        .unwrap()
}

/// The binary with a clean environment: no credentials, and config and
/// cache folders of its own under `home`.
fn motionkit(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("motionkit").unwrap();
    for var in [
        "DEEPMOTION_CLIENT_ID",
        "DEEPMOTION_CLIENT_SECRET",
        "DEEPMOTION_API_URL",
        "MOTIONDYNAMIC_TOKEN",
        "MOTIONDYNAMIC_API_URL",
        "MOTIONKIT_CONFIG",
        "MOTIONKIT_SANDBOX",
        "MOTIONKIT_PROFILE",
        "MOTIONKIT_LOG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .timeout(Duration::from_secs(60));
    cmd
}

fn deepmotion_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    vec![
        ("DEEPMOTION_API_URL", sandbox.deepmotion_url()),
        ("DEEPMOTION_CLIENT_ID", "sandbox".into()),
        ("DEEPMOTION_CLIENT_SECRET", "sandbox-secret".into()),
    ]
}

fn motiondynamic_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    let token = motionkit_sandbox::mint_token(&SandboxArgs::default().jwt_secret, 3600);
    vec![
        ("MOTIONDYNAMIC_API_URL", sandbox.motiondynamic_url()),
        ("MOTIONDYNAMIC_TOKEN", token),
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// The one error line on stderr.
fn error_line(output: &Output) -> String {
    let stderr = text(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("motionkit: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected: {stderr}");
    errors[0].to_owned()
}

/// `Frames: N` of a BVH, checked against the number of motion lines.
fn bvh_frames(path: &Path) -> usize {
    let body = std::fs::read_to_string(path).unwrap();
    let (head, motion) = body.split_once("MOTION").expect("a MOTION section");
    assert!(head.starts_with("HIERARCHY"), "{path:?}");
    let mut lines = motion.lines().filter(|l| !l.trim().is_empty());
    let frames: usize = lines
        .next()
        .and_then(|l| l.strip_prefix("Frames:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Frames: N");
    assert!(lines.next().unwrap().starts_with("Frame Time:"));
    assert_eq!(lines.count(), frames, "motion lines of {path:?}");
    frames
}

#[test]
fn help_documents_the_exit_codes() {
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path()).arg("--help").output().unwrap();
    assert_eq!(code(&output), 0);
    let help = text(&output.stdout);
    for needle in ["Exit codes", "2  temporary", "3  authentication", "animate"] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

#[test]
fn a_file_in_an_unknown_format_is_planned_as_a_video_with_one_warning() {
    let home = TempDir::new().unwrap();
    let raw = home.path().join("raw.mp4");
    std::fs::write(&raw, [0x00, 0x01, 0x02, 0xFE, 0xFF, 0x10, 0x80]).unwrap();
    let output = motionkit(home.path())
        .args(["--sandbox", "animate", "--dry-run"])
        .arg(&raw)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stdout}");
    assert!(
        warnings[0].starts_with("warning: VIDEO[0] (")
            && warnings[0].contains("raw.mp4")
            && warnings[0].ends_with(motionkit_validation::UNKNOWN_FORMAT_WARNING),
        "{stdout}"
    );
}

#[test]
fn animate_with_sandbox_uses_the_embedded_sandbox_and_leaves_a_60_frame_bvh() {
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let output = motionkit(home.path())
        .args(["--sandbox", "--quiet", "animate"])
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 0, "{stderr}");
    // `--quiet` does not hide that the results are simulated.
    assert_eq!(stderr.matches("simulated").count(), 1, "{stderr}");
    assert_eq!(bvh_frames(&out.join("walk.bvh")), 60);
    let stdout = text(&output.stdout);
    for kind in ["bvh", "fbx", "mp4"] {
        let line = stdout
            .lines()
            .find(|l| l.split('\t').nth(1) == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} line in {stdout}"));
        let path = PathBuf::from(line.split('\t').nth(2).unwrap());
        assert!(
            path.is_file() && path.metadata().unwrap().len() > 0,
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animate_json_lists_every_output_and_the_job() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["--json", "animate", "--formats", "bvh,fbx", "--out"])
        .arg(&out)
        .arg(fixture("turn.mov"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["ok"], true);
    let video = &json["videos"][0];
    assert_eq!(video["status"], "done");
    assert_eq!(
        video["rid"].as_str().unwrap(),
        sandbox.deepmotion().job_ids()[0]
    );
    let files = video["files"].as_array().unwrap();
    let kinds: Vec<&str> = files.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["bvh", "fbx"]);
    let bvh = PathBuf::from(files[0]["path"].as_str().unwrap());
    assert_eq!(bvh_frames(&bvh), 24);
    assert!(!text(&output.stderr).contains("embedded"));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_options_exit_1_naming_flag_rule_and_value_before_any_upload() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .arg("animate")
        .arg(fixture("walk.mp4"))
        .args(["--speed-multiplier", "9", "--out"])
        .arg(home.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    let line = error_line(&output);
    for needle in ["--speed-multiplier", "range", "\"9\"", "1.0..=8.0"] {
        assert!(line.contains(needle), "{needle}: {line}");
    }
    assert_eq!(sandbox.deepmotion().requests("upload_url"), 0);
    assert_eq!(sandbox.deepmotion().process_submissions(), 0);

    // A usage error is a permanent error too, not clap's 2.
    let output = motionkit(home.path())
        .args(["animate", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    error_line(&output);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_secret_exits_3_without_showing_it() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .env("DEEPMOTION_CLIENT_SECRET", "not-the-secret-4711")
        .arg("credits")
        .output()
        .unwrap();
    assert_eq!(code(&output), 3);
    let line = error_line(&output);
    assert!(line.contains("authentication failed"), "{line}");
    assert!(!text(&output.stderr).contains("not-the-secret-4711"));
    assert!(!text(&output.stdout).contains("not-the-secret-4711"));

    // Credentials in the config file work the same way.
    let config = home.path().join("motionkit.toml");
    std::fs::write(
        &config,
        format!(
            "[deepmotion]\napi_url = \"{}\"\nclient_id = \"sandbox\"\nclient_secret = \"sandbox-secret\"\n",
            sandbox.deepmotion_url()
        ),
    )
    .unwrap();
    let output = motionkit(home.path())
        .env("MOTIONKIT_CONFIG", &config)
        .args(["--json", "credits"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["credits"], 1000.0);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_failures_exit_2_and_a_server_never_reached_exits_1() {
    let home = TempDir::new().unwrap();
    // Nothing listens on this port any more.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let output = motionkit(home.path())
        .env("DEEPMOTION_API_URL", format!("http://{closed}"))
        .env("DEEPMOTION_CLIENT_ID", "sandbox")
        .env("DEEPMOTION_CLIENT_SECRET", "sandbox-secret")
        .arg("credits")
        .output()
        .unwrap();
    // Never reached in this run: most likely a wrong URL, so not "try
    // again later" (see tests/messages.rs for the hint).
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let line = error_line(&output);
    assert!(line.contains("connection failed"), "{line}");
    // The error names the host and port that could not be reached.
    assert!(line.contains(&closed.to_string()), "{line}");

    // Every answer a 5xx.
    let faults = home.path().join("faults.toml");
    std::fs::write(&faults, "[default]\nerror_rate = 1.0\n").unwrap();
    let sandbox = sandbox(|args| args.faults = Some(faults.clone())).await;
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .arg("credits")
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    assert!(error_line(&output).contains("HTTP 5"));
    assert!(sandbox.deepmotion().injected_faults() > 0);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_receives_the_webhook_and_downloads_the_mp4() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("videos");
    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args([
            "--json",
            "generate",
            "--theme",
            "8239de5c-5cbd-4e39-a102-220e5354a551",
            "--set",
            "l1_titre_01=Hello",
            "--set",
            "background_color=00FF00",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["via"], "webhook", "{json}");
    let path = PathBuf::from(json["path"].as_str().unwrap());
    assert!(path.starts_with(&out));
    let mp4 = std::fs::read(&path).unwrap();
    assert_eq!(&mp4[4..8], b"ftyp");
    let generations = sandbox.motiondynamic().store().generations();
    assert_eq!(generations.len(), 1);
    assert_eq!(
        generations[0].generation_id,
        json["generation_id"].as_str().unwrap()
    );
    let deliveries = sandbox.motiondynamic().store().deliveries();
    assert!(
        deliveries.iter().any(|d| d.status == Some(200)),
        "{deliveries:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_can_leave_a_picture_out_of_reach_to_the_api() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let picture = "https://pictures.invalid/product.png";
    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args(["--json", "generate", "--no-fetch-pictures", "--set"])
        .arg(format!("image_produit={picture}"))
        .arg("--out")
        .arg(home.path().join("videos"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let generations = sandbox.motiondynamic().store().generations();
    assert_eq!(generations.len(), 1);
    let sent = serde_json::to_string(&generations[0]).unwrap();
    assert!(sent.contains(picture), "{sent}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_checks_values_and_creates_no_generation() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args(["validate", "--set", "l3_prix_01=12,1"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    let line = error_line(&output);
    for needle in ["l3_prix_01", "pattern", "\"12,1\""] {
        assert!(line.contains(needle), "{needle}: {line}");
    }

    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args(["--json", "validate", "--set", "l3_prix_01=99.5"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["values"].as_array().unwrap().len(), 11);
    assert!(sandbox.motiondynamic().store().generations().is_empty());

    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args(["--json", "themes"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let demo = json["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["theme_id"] == "8239de5c-5cbd-4e39-a102-220e5354a551")
        .unwrap();
    let price = demo["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["layer"] == "l3_prix_01")
        .unwrap();
    assert_eq!(price["kind"]["max_length"], 5, "{price}");
    assert!(sandbox.motiondynamic().store().generations().is_empty());
    sandbox.shutdown().await;
}

fn read_state(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_batch_resumes_without_resubmitting_or_reuploading() {
    let sandbox = sandbox(|args| args.time_scale = 15.0).await;
    let home = TempDir::new().unwrap();
    let videos = home.path().join("videos");
    std::fs::create_dir(&videos).unwrap();
    for name in ["a.mp4", "b.mp4", "c.mp4"] {
        std::fs::copy(fixture("walk.mp4"), videos.join(name)).unwrap();
    }
    std::fs::copy(fixture("turn.mov"), videos.join("d.mov")).unwrap();
    let out = home.path().join("out");
    let args: Vec<String> = vec![
        "animate".into(),
        videos.join("a.mp4").display().to_string(),
        videos.join("b.mp4").display().to_string(),
        videos.join("c.mp4").display().to_string(),
        videos.join("d.mov").display().to_string(),
        "--formats".into(),
        "bvh,fbx".into(),
        "--concurrency".into(),
        "2".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    let env = deepmotion_env(&sandbox);

    // First run: killed once a job is recorded, before the batch is done.
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin!("motionkit"));
    first
        .args(&args)
        .envs(env.clone())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = first.spawn().unwrap();
    let state_path = out.join(".motionkit-state.json");
    let started = Instant::now();
    let state = loop {
        if let Some(state) = read_state(&state_path) {
            let videos = state["videos"].as_object().unwrap();
            if videos.values().any(|v| v.get("rid").is_some()) {
                break state;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended before it could be interrupted"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no job recorded"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let done_at_kill = state["videos"]
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v["done"] == true)
        .count();
    assert!(done_at_kill < 4, "{state}");

    // Second run: the same command finishes the batch. A video killed
    // between recording its submission and the server creating its job is
    // not sent again on its own: it exits 2 until `/list` shows the job or
    // `--resubmit-unconfirmed` says to send it (the sandbox lists a job as
    // soon as it exists, so here it never existed).
    let mut output = motionkit(home.path())
        .envs(env.clone())
        .args(&args)
        .output()
        .unwrap();
    if code(&output) == 2 {
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("it is not sent again") && stderr.contains("--resubmit-unconfirmed"),
            "{stderr}"
        );
        assert!(sandbox.deepmotion().process_submissions() < 4);
        output = motionkit(home.path())
            .envs(env.clone())
            .args(&args)
            .arg("--resubmit-unconfirmed")
            .output()
            .unwrap();
    }
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let dm = sandbox.deepmotion();
    assert_eq!(dm.process_submissions(), 4, "each job submitted once");
    assert_eq!(dm.requests("upload_url"), 4, "each video uploaded once");
    // 2 s walk clips cost 2 credits each, the 1 s turn clip 1.
    assert_eq!(dm.credits(), 1000.0 - 7.0);
    for (stem, frames) in [("a", 60), ("b", 60), ("c", 60), ("d", 24)] {
        assert_eq!(
            bvh_frames(&out.join(stem).join(format!("{stem}.bvh"))),
            frames
        );
        assert!(out.join(stem).join(format!("{stem}.fbx")).is_file());
    }
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 8, "{stdout}");

    // Third run: nothing left to do, nothing sent again.
    let downloads = dm.requests("storage_download");
    let output = motionkit(home.path())
        .envs(env)
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(dm.process_submissions(), 4);
    assert_eq!(dm.requests("upload_url"), 4);
    assert_eq!(dm.requests("storage_download"), downloads);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_bars_are_drawn_on_a_terminal_only() {
    let sandbox = sandbox(|args| args.time_scale = 20.0).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("motionkit"));
    command
        .arg("animate")
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(&out)
        .envs(deepmotion_env(&sandbox))
        .env("TERM", "xterm-256color")
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_CONFIG_HOME", home.path().join("config"));
    let screen = tokio::task::spawn_blocking(move || {
        use expectrl::Expect as _;
        let mut session = expectrl::Session::spawn(command).unwrap();
        session.set_expect_timeout(Some(Duration::from_secs(60)));
        let captures = session.expect(expectrl::Eof).unwrap();
        text(captures.as_bytes())
    })
    .await
    .unwrap();
    assert!(screen.contains('%'), "no percentage drawn: {screen:?}");
    assert!(
        screen.contains("=>") || screen.contains("=]"),
        "no bar drawn: {screen:?}"
    );
    assert!(out.join("walk.bvh").is_file());

    // The same run without a terminal draws nothing on stderr.
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .arg("animate")
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(home.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0);
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains('\u{1b}'),
        "no escape codes off a terminal: {stderr}"
    );
    assert!(
        stderr.contains("walk.mp4: upload"),
        "plain lines instead: {stderr}"
    );
    assert!(
        stderr.contains("walk.mp4: job ") && stderr.contains(" rid="),
        "the job's state and rid: {stderr}"
    );

    // With --quiet nothing is drawn at all.
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["--quiet", "animate"])
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(home.path().join("out3"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0);
    assert_eq!(text(&output.stderr), "");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_cut_off_before_its_rid_was_recorded_is_adopted_not_resent() {
    use motionkit_deepmotion::{Client, Process};
    use motionkit_validation::{OutputFormat, ProcessParams};

    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let video = home.path().join("clip.mp4");
    std::fs::copy(fixture("walk.mp4"), &video).unwrap();
    let out = home.path().join("out");
    std::fs::create_dir(&out).unwrap();

    // What an interrupted run did: uploaded, marked the submission as
    // started, and the server created the job; then the process died.
    let client = Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .unwrap();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let upload = client.upload(&video, &Default::default()).await.unwrap();
    let params = ProcessParams::new().formats([OutputFormat::Bvh]);
    let rid = Process::new(&upload)
        .params(params.clone())
        .send(&client)
        .await
        .unwrap()
        .rid;
    let meta = std::fs::metadata(&video).unwrap();
    let mtime_ms = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let key = video.canonicalize().unwrap().display().to_string();
    let state = serde_json::json!({
        "version": 1,
        "videos": { key: {
            "source": { "size": meta.len(), "mtime_ms": mtime_ms },
            "params": params.to_params(),
            "out_dir": out,
            "upload": { "url": upload.url, "name": upload.name, "size": upload.size },
            "submitting": { "upload_name": upload.name, "since_ms": since },
            "downloads": {},
            "done": false,
        }}
    });
    std::fs::write(
        out.join(".motionkit-state.json"),
        serde_json::to_vec(&state).unwrap(),
    )
    .unwrap();
    let uploads_before = sandbox.deepmotion().requests("upload_url");

    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["--json", "animate", "--formats", "bvh", "--out"])
        .arg(&out)
        .arg(&video)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["videos"][0]["rid"], rid.as_str());
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    assert_eq!(sandbox.deepmotion().requests("upload_url"), uploads_before);
    assert!(text(&output.stderr).contains("an earlier run started"));
    assert_eq!(bvh_frames(&out.join("clip.bvh")), 60);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_exits_1_and_is_not_charged_again_on_a_rerun() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    // The sandbox fails a job whose file name asks for it.
    let video = home.path().join("clip-fail-513.mp4");
    std::fs::copy(fixture("walk.mp4"), &video).unwrap();
    let out = home.path().join("out");
    let run = |extra: &[&str]| {
        motionkit(home.path())
            .envs(deepmotion_env(&sandbox))
            .arg("animate")
            .arg(&video)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let output = run(&[]);
    assert_eq!(code(&output), 1);
    let line = error_line(&output);
    assert!(
        line.contains("DeepMotion error code 513 (Failed to detect character"),
        "{line}"
    );
    let output = run(&[]);
    assert_eq!(code(&output), 1);
    error_line(&output);
    assert!(text(&output.stderr).contains("hint: add --retry-failed"));
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    let output = run(&["--retry-failed"]);
    assert_eq!(code(&output), 1);
    assert_eq!(sandbox.deepmotion().process_submissions(), 2);
    assert_eq!(sandbox.deepmotion().requests("upload_url"), 1);
    sandbox.shutdown().await;
}
