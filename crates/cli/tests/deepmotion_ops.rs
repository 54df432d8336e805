//! DeepMotion operations reached from the CLI: `models update`, `models
//! list --model-id` and `download --wait`, the real binary against a
//! sandbox on 127.0.0.1.

mod support;

use motionkit_sandbox::Sandbox;
use serde_json::Value;
use support::*;
use tempfile::TempDir;

fn run(sandbox: &Sandbox, home: &TempDir, args: &[&str]) -> std::process::Output {
    motionkit(home.path())
        .envs(deepmotion_env(sandbox))
        .args(args)
        .output()
        .unwrap()
}

fn models(sandbox: &Sandbox, home: &TempDir, model_id: &str) -> Vec<Value> {
    let json = json_output(
        &run(
            sandbox,
            home,
            &["--json", "models", "list", "--model-id", model_id],
        ),
        "models-list",
    );
    json["models"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_are_renamed_and_rethumbed_and_listed_by_id() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let model = home.path().join("hero.glb");
    std::fs::copy(fixture("hero.glb"), &model).unwrap();
    let json = json_output(
        &run(
            &sandbox,
            &home,
            &[
                "--json",
                "models",
                "upload",
                model.to_str().unwrap(),
                "--name",
                "Hero",
            ],
        ),
        "models-upload",
    );
    let id = json["id"].as_str().unwrap().to_owned();

    // `--model-id` lists that model only, while the account has others
    // (the stock characters).
    let all = json_output(
        &run(&sandbox, &home, &["--json", "models", "list"]),
        "models-list",
    );
    assert!(all["models"].as_array().unwrap().len() > 1, "{all}");
    let listed = models(&sandbox, &home, &id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["name"], "Hero");
    assert_eq!(listed[0]["thumb_url"], Value::Null);

    let json = json_output(
        &run(
            &sandbox,
            &home,
            &["--json", "models", "update", &id, "--name", "Hero v2"],
        ),
        "models-update",
    );
    assert_eq!(json["id"], id.as_str());
    assert_eq!(models(&sandbox, &home, &id)[0]["name"], "Hero v2");

    let thumb = fixture("pose.png");
    let output = run(
        &sandbox,
        &home,
        &["models", "update", &id, "--thumb", thumb.to_str().unwrap()],
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), format!("updated {id}"));
    let listed = models(&sandbox, &home, &id);
    assert_eq!(listed[0]["name"], "Hero v2", "the name is kept");
    assert!(listed[0]["thumb_url"].is_string(), "{listed:?}");
    assert_eq!(
        models(&sandbox, &home, "no-such-model"),
        Vec::<Value>::new()
    );

    // Nothing to change is refused before anything is sent.
    let output = run(&sandbox, &home, &["models", "update", &id]);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("--name"),
        "{}",
        text(&output.stderr)
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_waits_for_an_unfinished_job_with_wait() {
    // Slow enough that a job just sent is not finished at once.
    let sandbox = sandbox(|args| args.time_scale = 4.0).await;
    let home = TempDir::new().unwrap();
    let walk = fixture("walk.mp4");
    let out = home.path().join("out");
    let json = json_output(
        &run(
            &sandbox,
            &home,
            &[
                "--json",
                "animate",
                walk.to_str().unwrap(),
                "--formats",
                "bvh",
                "--out",
                out.to_str().unwrap(),
            ],
        ),
        "animate",
    );
    let rid = json["videos"][0]["rid"].as_str().unwrap().to_owned();
    // A rerun without --out is sent and not waited for.
    let json = json_output(
        &run(
            &sandbox,
            &home,
            &["--json", "rerun", &rid, "--formats", "fbx"],
        ),
        "rerun",
    );
    let rerun = json["rid"].as_str().unwrap().to_owned();

    let dl = home.path().join("dl");
    let output = run(
        &sandbox,
        &home,
        &["download", &rerun, "--out", dl.to_str().unwrap()],
    );
    assert_ne!(
        code(&output),
        0,
        "not finished yet: {}",
        text(&output.stdout)
    );

    let json = json_output(
        &run(
            &sandbox,
            &home,
            &[
                "--json",
                "download",
                &rerun,
                "--out",
                dl.to_str().unwrap(),
                "--wait",
            ],
        ),
        "download",
    );
    let files = json["jobs"][0]["files"].as_array().unwrap();
    assert!(!files.is_empty(), "{json}");
    for file in files {
        let path = std::path::PathBuf::from(file["path"].as_str().unwrap());
        assert!(path.starts_with(&dl), "{json}");
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
    }
    let status = json_output(
        &run(&sandbox, &home, &["--json", "status", &rerun]),
        "status",
    );
    assert_eq!(status["jobs"][0]["status"], "SUCCESS");
    sandbox.shutdown().await;
}

/// `download` of a job the server does not know is "not found" (exit 1,
/// `kind: not_found`) and names where to look; nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloading_an_unknown_job_says_it_is_not_found() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let output = run(
        &sandbox,
        &home,
        &["download", "no-such-job", "--out", out.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no-such-job") && stderr.contains("motionkit list"),
        "{stderr}"
    );
    let json = json_output(
        &run(
            &sandbox,
            &home,
            &[
                "--json",
                "download",
                "no-such-job",
                "--out",
                out.to_str().unwrap(),
            ],
        ),
        "download",
    );
    assert_eq!(json["error"]["kind"], "not_found", "{json}");
    assert_eq!(sandbox.deepmotion().requests("storage_download"), 0);
    sandbox.shutdown().await;
}
