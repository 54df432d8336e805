//! The CLI's contract with scripts, driven through pipes against the
//! standalone sandbox: the sandbox only when chosen, per-service config,
//! logs without secrets, JSON that validates against its schema (errors
//! included) with the same exit codes as without `--json`, completions,
//! no overwrite without `--clobber`, `--dry-run` that sends nothing,
//! confirmed deletes, and terminal-safe output of server strings.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;
use tempfile::TempDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_commands_exit_3_and_the_sandbox_must_be_chosen() {
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let output = motionkit(home.path())
        .arg("animate")
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&output), 3, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("DEEPMOTION_CLIENT_ID"), "{stderr}");
    assert!(stderr.contains("--sandbox"), "{stderr}");
    assert!(
        !out.join("walk.bvh").exists(),
        "nothing is simulated silently"
    );

    let output = motionkit(home.path())
        .args(["--json", "validate"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 3);
    let json = json_output(&output, "validate");
    assert_eq!(json["error"]["kind"], "auth");
    assert!(
        json["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--sandbox")
    );

    // Chosen: exit 0, marked in JSON and on stderr even with --quiet.
    let output = motionkit(home.path())
        .args(["--sandbox", "--json", "--quiet", "credits"])
        .output()
        .unwrap();
    let json = json_output(&output, "credits");
    assert_eq!(json["simulated"], true);
    assert!(text(&output.stderr).contains("simulated"));
    let output = motionkit(home.path())
        .env("MOTIONKIT_SANDBOX", "1")
        .args(["--json", "-q", "validate"])
        .output()
        .unwrap();
    let json = json_output(&output, "validate");
    assert_eq!(
        (json["simulated"].clone(), json["valid"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    assert!(text(&output.stderr).contains("MotionDynamic results are simulated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_set_config_of_one_service_does_not_affect_the_other() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    // DeepMotion half set, MotionDynamic working.
    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .env("DEEPMOTION_CLIENT_ID", "x")
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    // MotionDynamic half set (a URL, no token), DeepMotion working.
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .env("MOTIONDYNAMIC_API_URL", "http://127.0.0.1:9")
        .arg("credits")
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    // A broken [motiondynamic] table only breaks MotionDynamic commands.
    let config = home.path().join("motionkit.toml");
    std::fs::write(&config, "[motiondynamic]\ntokn = \"typo\"\n").unwrap();
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .env("MOTIONKIT_CONFIG", &config)
        .arg("credits")
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let output = motionkit(home.path())
        .env("MOTIONKIT_CONFIG", &config)
        .args(["--json", "themes"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    let json = json_output(&output, "themes");
    assert_eq!(json["error"]["kind"], "config");
    assert!(
        json["error"]["message"].as_str().unwrap().contains("tokn"),
        "{json}"
    );
    // And the half-set service itself says what to set.
    let output = motionkit(home.path())
        .env("DEEPMOTION_CLIENT_ID", "x")
        .arg("credits")
        .output()
        .unwrap();
    assert_eq!(code(&output), 3);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("DEEPMOTION_CLIENT_SECRET") && !stderr.contains("unset"),
        "{stderr}"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_show_each_http_attempt_and_no_secret() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let secret = "sandbox-secret";
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["-v", "animate", "--formats", "bvh", "--out"])
        .arg(home.path().join("out"))
        .arg(fixture("walk.mp4"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    let host = sandbox
        .deepmotion_url()
        .trim_start_matches("http://")
        .to_owned();
    let http: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("http_request{"))
        .collect();
    assert!(!http.is_empty(), "{stderr}");
    assert!(
        http.iter().any(|l| l.contains(&format!("host={host}"))
            && l.contains("method=GET")
            && l.contains("path=/status/")
            && l.contains("attempt=1")
            && l.contains("status=200")
            && l.contains("elapsed_ms=")),
        "{stderr}"
    );
    assert!(
        stderr.contains("session established"),
        "re-logins are logged: {stderr}"
    );
    // JWT of MotionDynamic, with -vv.
    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args(["-vv", "generate", "--out"])
        .arg(home.path().join("videos"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let stderr_md = text(&output.stderr);
    assert!(stderr_md.contains("http_request{"), "{stderr_md}");
    // RUST_LOG is honoured too.
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .env("RUST_LOG", "motionkit_transport=debug")
        .arg("credits")
        .output()
        .unwrap();
    let stderr_env = text(&output.stderr);
    assert!(stderr_env.contains("http_request{"), "{stderr_env}");
    let jwt = token();
    for log in [&stderr, &stderr_md, &stderr_env] {
        assert!(!log.contains(secret), "client secret in {log}");
        assert!(!log.contains("dmsess="), "session cookie in {log}");
        assert!(!log.contains(&jwt[..40]), "JWT in {log}");
        assert!(!log.contains("signature="), "signed query in {log}");
        assert!(!log.contains("expires="), "signed query in {log}");
        assert!(!log.contains("upload_id"), "resumable session URI in {log}");
        assert!(
            !log.contains("Authorization") && !log.contains("Bearer ey"),
            "{log}"
        );
    }
    sandbox.shutdown().await;
}

#[test]
fn completions_are_generated_for_each_shell() {
    let home = TempDir::new().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = motionkit(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(code(&output), 0, "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        assert!(
            script.contains("motionkit") && script.contains("animate"),
            "{shell}"
        );
        assert!(script.contains("dry-run"), "{shell}");
        if shell == "bash" {
            let path = home.path().join("motionkit.bash");
            std::fs::write(&path, &script).unwrap();
            if let Ok(status) = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .status()
            {
                assert!(status.success(), "bash -n refuses the script");
            }
        }
    }
    let output = motionkit(home.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_output_validates_against_its_schema_with_the_same_exit_codes() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let dm = deepmotion_env(&sandbox);
    let md = motiondynamic_env(&sandbox);
    let run = |args: &[&str]| {
        motionkit(home.path())
            .envs(dm.clone())
            .envs(md.clone())
            .args(args)
            .output()
            .unwrap()
    };
    let out = home.path().join("out");
    let out_s = out.to_str().unwrap();
    let walk = fixture("walk.mp4");
    let walk = walk.to_str().unwrap();

    let json = json_output(
        &run(&[
            "--json",
            "animate",
            walk,
            "--formats",
            "bvh",
            "--out",
            out_s,
        ]),
        "animate",
    );
    assert_eq!(json["simulated"], false);
    let rid = json["videos"][0]["rid"].as_str().unwrap().to_owned();
    json_output(
        &run(&["--json", "animate", walk, "--dry-run", "--out", out_s]),
        "process-plan",
    );
    let json = json_output(&run(&["--json", "status", &rid]), "status");
    assert_eq!(json["jobs"][0]["status"], "SUCCESS");
    json_output(&run(&["--json", "list"]), "list");
    let dl = home.path().join("dl");
    json_output(
        &run(&["--json", "download", &rid, "--out", dl.to_str().unwrap()]),
        "download",
    );
    json_output(
        &run(&["--json", "rerun", &rid, "--formats", "fbx", "--dry-run"]),
        "process-plan",
    );
    json_output(
        &run(&["--json", "rerun", &rid, "--formats", "fbx"]),
        "rerun",
    );
    json_output(&run(&["--json", "credits"]), "credits");
    json_output(&run(&["--json", "video-info", walk]), "video-info");
    json_output(&run(&["--json", "models", "list"]), "models-list");
    let json = json_output(
        &run(&["--json", "webhooks", "create", "http://127.0.0.1:9/hook"]),
        "webhook",
    );
    let id = json["endpoint"]["id"].as_str().unwrap().to_owned();
    json_output(&run(&["--json", "webhooks", "get", &id]), "webhook");
    json_output(
        &run(&[
            "--json",
            "webhooks",
            "update",
            &id,
            "http://127.0.0.1:9/other",
        ]),
        "webhook",
    );
    json_output(&run(&["--json", "webhooks", "list"]), "webhooks-list");
    json_output(
        &run(&["--json", "webhooks", "delete", &id, "--yes"]),
        "delete",
    );
    json_output(&run(&["--json", "themes"]), "themes");
    json_output(&run(&["--json", "validate"]), "validate");
    json_output(&run(&["--json", "generate", "--dry-run"]), "generate-plan");
    let videos = home.path().join("videos");
    json_output(
        &run(&["--json", "generate", "--out", videos.to_str().unwrap()]),
        "generate",
    );
    json_output(&run(&["--json", "config", "show"]), "config-show");

    // Failures: JSON on stdout with the exit code of the plain run.
    let failures: &[(&[&str], &str, &str, i32)] = &[
        (&["status", "no-such-rid"], "status", "not_found", 1),
        (
            &["models", "delete", "no-such-model", "--yes"],
            "delete",
            "not_found",
            1,
        ),
        (
            &["webhooks", "get", "no-such-endpoint"],
            "webhook",
            "not_found",
            1,
        ),
        (
            &["validate", "--set", "l3_prix_01=12,1"],
            "validate",
            "invalid_input",
            1,
        ),
        (
            &["animate", walk, "--speed-multiplier", "9", "--out", out_s],
            "animate",
            "invalid_input",
            1,
        ),
        (&["animate", "--no-such-flag"], "error", "usage", 1),
    ];
    for (args, schema, kind, exit) in failures {
        let plain = run(args);
        assert_eq!(code(&plain), *exit, "{args:?}: {}", text(&plain.stderr));
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let output = run(&with_json);
        assert_eq!(code(&output), *exit, "{args:?}");
        let json = json_output(&output, schema);
        assert_eq!(json["error"]["kind"], *kind, "{args:?}: {json}");
    }
    let json = json_output(
        &run(&["--json", "validate", "--set", "l3_prix_01=12,1"]),
        "validate",
    );
    assert_eq!(json["valid"], false);
    assert_eq!(json["problems"][0]["field"], "l3_prix_01");
    let json = json_output(
        &run(&["--json", "webhooks", "get", "no-such-endpoint"]),
        "webhook",
    );
    assert_eq!(json["error"]["hint"], "see `motionkit webhooks list`");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_refuses_to_overwrite_without_clobber() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["--json", "animate", "--formats", "bvh", "--out"])
        .arg(&out)
        .arg(fixture("walk.mp4"))
        .output()
        .unwrap();
    let json = json_output(&output, "animate");
    let rid = json["videos"][0]["rid"].as_str().unwrap().to_owned();
    let dir = home.path().join("dl");
    std::fs::create_dir(&dir).unwrap();
    let mine = dir.join("walk.bvh");
    std::fs::write(&mine, "my own file").unwrap();
    let downloads = sandbox.deepmotion().requests("storage_download");
    let download = |extra: &[&str]| {
        motionkit(home.path())
            .envs(deepmotion_env(&sandbox))
            .args(["download", &rid, "--out"])
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap()
    };
    let output = download(&[]);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--clobber") && stderr.contains("walk.bvh"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own file");
    assert_eq!(sandbox.deepmotion().requests("storage_download"), downloads);
    let output = download(&["--json"]);
    assert_eq!(
        json_output(&output, "download")["error"]["kind"],
        "conflict"
    );
    // animate keeps both: the user's file stays, the output gets a suffix.
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["--json", "animate", "--formats", "bvh", "--out"])
        .arg(&dir)
        .arg(fixture("walk.mp4"))
        .output()
        .unwrap();
    let json = json_output(&output, "animate");
    let file = &json["videos"][0]["files"][0];
    assert_eq!(
        file["path"].as_str().unwrap(),
        dir.join("walk-2.bvh").to_str().unwrap(),
        "{json}"
    );
    assert_eq!(
        file["renamed_from"].as_str().unwrap(),
        mine.to_str().unwrap()
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own file");
    let output = download(&["--clobber"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(
        std::fs::read_to_string(&mine)
            .unwrap()
            .starts_with("HIERARCHY")
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_send_nothing() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let env: Vec<_> = deepmotion_env(&sandbox)
        .into_iter()
        .chain(motiondynamic_env(&sandbox))
        .collect();
    let before = sandbox.deepmotion().request_counts();
    let output = motionkit(home.path())
        .envs(env.clone())
        .args([
            "animate",
            "--formats",
            "bvh,fbx",
            "--render-bg-color",
            "0,177,64,0",
            "--dry-run",
            "--out",
        ])
        .arg(home.path().join("out"))
        .arg(fixture("walk.mp4"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("formats=bvh,fbx") && stdout.contains("render.bgColor=0,177,64,0"),
        "{stdout}"
    );
    // The advisory names flags, not wire keys.
    assert!(
        stdout.contains("--render-bg-color") && stdout.contains("--render-sbs 0"),
        "{stdout}"
    );
    let output = motionkit(home.path())
        .envs(env.clone())
        .args(["rerun", "some-rid", "--formats", "glb", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("rerunId=some-rid"));
    assert_eq!(
        sandbox.deepmotion().request_counts(),
        before,
        "DeepMotion saw a request"
    );
    assert!(!home.path().join("out").exists(), "no state file either");
    let output = motionkit(home.path())
        .envs(env)
        .args(["generate", "--set", "l1_titre_01=Hello", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("Hello"));
    assert!(sandbox.motiondynamic().store().generations().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_need_yes_without_a_terminal() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let run = |args: &[&str]| {
        motionkit(home.path())
            .envs(deepmotion_env(&sandbox))
            .args(args)
            .output()
            .unwrap()
    };
    let json = json_output(
        &run(&["--json", "webhooks", "create", "http://127.0.0.1:9/h"]),
        "webhook",
    );
    let id = json["endpoint"]["id"].as_str().unwrap().to_owned();
    let output = run(&["webhooks", "delete", &id]);
    assert_eq!(code(&output), 1);
    assert!(
        text(&output.stderr).contains("--yes"),
        "{}",
        text(&output.stderr)
    );
    assert!(text(&run(&["webhooks", "list"]).stdout).contains(&id));
    let output = run(&["webhooks", "delete", &id, "--yes"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(!text(&run(&["webhooks", "list"]).stdout).contains(&id));
    let output = run(&["models", "delete", "nope", "--yes"]);
    assert_eq!(code(&output), 1);
    assert!(
        text(&output.stderr).contains("`motionkit models list`"),
        "{}",
        text(&output.stderr)
    );
    sandbox.shutdown().await;
}

#[test]
fn the_config_file_must_be_a_small_regular_file() {
    let home = TempDir::new().unwrap();
    let started = Instant::now();
    let output = motionkit(home.path())
        .args(["--config-file", "/dev/zero", "--json", "credits"])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code(&output), 1);
    let json = json_output(&output, "error");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{json}"
    );
    assert_eq!(json["error"]["kind"], "config");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_timeout_is_refused_before_anything_is_created() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path())
        .envs(motiondynamic_env(&sandbox))
        .args(["generate", "--timeout", "18446744073709551615"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--timeout") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(sandbox.motiondynamic().store().generations().is_empty());
    sandbox.shutdown().await;
}

#[test]
fn config_show_names_sources_and_masks_secrets() {
    let home = TempDir::new().unwrap();
    let config = home.path().join("motionkit.toml");
    std::fs::write(
        &config,
        "[deepmotion]\nclient_id = \"top-id\"\n\
         [profiles.staging.deepmotion]\napi_url = \"https://staging.invalid\"\n\
         [motiondynamic]\ntoken = \"file-token-abcdefghijklmnop-WXYZ\"\n",
    )
    .unwrap();
    let output = motionkit(home.path())
        .env("MOTIONKIT_CONFIG", &config)
        .env("DEEPMOTION_CLIENT_SECRET", "env-secret-0123456789-ABCD")
        .args(["--profile", "staging", "--json", "config", "show"])
        .output()
        .unwrap();
    let json = json_output(&output, "config-show");
    let all = json.to_string();
    assert!(
        !all.contains("env-secret-0123456789") && !all.contains("file-token-abcdefghijklmnop"),
        "{all}"
    );
    let setting = |key: &str| {
        json["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(setting("deepmotion.client_secret")["value"], "****ABCD");
    assert_eq!(
        setting("deepmotion.client_secret")["source"],
        "environment DEEPMOTION_CLIENT_SECRET"
    );
    assert_eq!(
        setting("deepmotion.api_url")["source"],
        "config file [profiles.staging.deepmotion]"
    );
    assert_eq!(
        setting("deepmotion.client_id")["source"],
        "config file [deepmotion]"
    );
    assert_eq!(setting("motiondynamic.token")["value"], "****WXYZ");
    assert_eq!(setting("motiondynamic.api_url")["source"], "default");
    assert_eq!(json["profile"], "staging");
}

/// A DeepMotion impersonator whose job list carries terminal escapes.
async fn hostile_list_server() -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::get;
    let body = serde_json::json!({
        "count": 2,
        "list": [{
            "rid": "r1",
            "fileName": "a\u{1b}]0;owned\u{7}\nforged\tline.mp4",
            "status": "SUCCESS\u{1b}[31m",
            "ctime": 1.0,
            "mtime": 1.0
        }, {
            // A client may refuse such a rid; if it shows it, it is escaped.
            "rid": "evil\u{1b}[2J\nrid",
            "fileName": "b.mp4",
            "status": "SUCCESS",
            "ctime": 1.0,
            "mtime": 1.0
        }]
    });
    let app = axum::Router::new()
        .route(
            "/session/auth",
            get(|| async { ([("set-cookie", "dmsess=abc; Path=/")], "{}") }),
        )
        .route(
            "/list",
            get(move || async move { axum::Json(body.clone()) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_strings_are_escaped_for_the_terminal_and_exact_in_json() {
    let (url, task) = hostile_list_server().await;
    let home = TempDir::new().unwrap();
    let run = |json: bool| {
        let mut cmd = motionkit(home.path());
        cmd.env("DEEPMOTION_API_URL", &url)
            .env("DEEPMOTION_CLIENT_ID", "id")
            .env("DEEPMOTION_CLIENT_SECRET", "secret");
        if json {
            cmd.arg("--json");
        }
        cmd.arg("list").output().unwrap()
    };
    let output = run(false);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(matches!(lines.len(), 1 | 2), "a forged line: {stdout:?}");
    for line in &lines {
        assert_eq!(line.matches('\t').count(), 2, "a forged column: {line:?}");
    }
    assert_eq!(
        lines[0],
        "r1\tSUCCESS\\x1b[31m\ta\\x1b]0;owned\\x07\\nforged\\tline.mp4"
    );
    if let Some(line) = lines.get(1) {
        assert!(line.starts_with("evil\\x1b[2J\\nrid\t"), "{line:?}");
    }
    let output = run(true);
    let json = json_output(&output, "list");
    assert_eq!(
        json["jobs"][0]["file_name"],
        "a\u{1b}]0;owned\u{7}\nforged\tline.mp4"
    );
    assert_eq!(json["jobs"][0]["status"], "SUCCESS\u{1b}[31m");
    task.abort();
}

#[test]
fn the_readmes_first_command_works_offline_on_a_fresh_machine() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run -p motionkit-cli -- "))
        .expect("the README runs the CLI");
    let args: Vec<&str> = line
        .trim_start_matches("cargo run -p motionkit-cli -- ")
        .split_whitespace()
        .collect();
    assert_eq!(args.first(), Some(&"--sandbox"), "{line}");
    // A fresh checkout: the fixture at its path, nothing else, no network
    // configured, no cache.
    let home = TempDir::new().unwrap();
    let checkout = home.path().join("checkout");
    std::fs::create_dir_all(checkout.join("tests/fixtures")).unwrap();
    std::fs::copy(
        fixture("walk.mp4"),
        checkout.join("tests/fixtures/walk.mp4"),
    )
    .unwrap();
    let output = motionkit(home.path())
        .current_dir(&checkout)
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    for name in ["walk.bvh", "walk.fbx", "walk.mp4"] {
        assert!(checkout.join("out").join(name).is_file(), "{name}");
    }
    assert!(text(&output.stderr).contains("simulated"));
}
