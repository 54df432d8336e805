//! The command line's two severities against the sandbox: warnings are
//! printed (stderr, and `--json`) and never block; what the documents say
//! fails is refused before `/process` until `--force`; a rerun of a picture
//! job may ask for png.

mod support;

use support::{code, deepmotion_env, fixture, motionkit, sandbox, text};

#[tokio::test(flavor = "multi_thread")]
async fn documented_failures_wait_for_force_and_warnings_never_block() {
    let sandbox = sandbox(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let env = deepmotion_env(&sandbox);
    let run = |args: &[&str]| {
        motionkit(home.path())
            .envs(env.clone())
            .args(args)
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("hero.glb");
    std::fs::copy(fixture("hero.glb"), &model).unwrap();
    let stored = run(&["--json", "models", "upload", model.to_str().unwrap()]);
    assert_eq!(code(&stored), 0, "{}", text(&stored.stderr));
    let stored: serde_json::Value = serde_json::from_slice(&stored.stdout).unwrap();
    let model_id = stored["id"].as_str().unwrap().to_owned();

    let out = dir.path().join("out");
    let video = fixture("walk.mp4");
    let animate = |extra: &[&str]| {
        let mut args = vec![
            "animate",
            video.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--formats",
            "bvh",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };

    // --sim with a custom model: refused, naming error 505 and --force.
    let refused = animate(&["--sim", "--model", &model_id]);
    assert_eq!(code(&refused), 1, "{}", text(&refused.stderr));
    let message = text(&refused.stderr);
    assert!(
        message.contains("505") && message.contains("--force"),
        "{message}"
    );
    assert_eq!(sandbox.deepmotion().process_submissions(), 0);

    // A trim past the end of the 2 s clip: the duration comes from
    // /videoInfo after the upload, and /process is still not called.
    let refused = animate(&["--trim", "0,30"]);
    assert_eq!(code(&refused), 1, "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("503"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(sandbox.deepmotion().process_submissions(), 0);

    // With --force the job is sent, and fails on the server as documented.
    let forced = animate(&["--sim", "--model", &model_id, "--force"]);
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    assert_ne!(code(&forced), 0);
    let message = text(&forced.stderr);
    assert!(message.contains("sent anyway (--force)"), "{message}");
    assert!(message.contains("505"), "{message}");

    // Warnings: an unknown parameter and format are sent, and printed.
    let out2 = dir.path().join("out2");
    let warned = run(&[
        "--json",
        "animate",
        video.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--formats",
        "bvh,usdz",
        "--param",
        "camera=1",
    ]);
    assert_eq!(code(&warned), 0, "{}", text(&warned.stderr));
    let value: serde_json::Value = serde_json::from_slice(&warned.stdout).unwrap();
    let warnings = value["warnings"].to_string();
    assert!(
        warnings.contains("camera") && warnings.contains("usdz"),
        "{value}"
    );
    let rid = value["videos"][0]["rid"].as_str().unwrap().to_owned();
    assert_eq!(
        sandbox.deepmotion().job_params(&rid).unwrap(),
        ["formats=bvh,usdz", "camera=1"]
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_picture_job_is_rerun_with_png() {
    let sandbox = sandbox(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let env = deepmotion_env(&sandbox);
    let run = |args: &[&str]| {
        motionkit(home.path())
            .envs(env.clone())
            .args(args)
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let pose = fixture("pose.png");
    let first = run(&[
        "--json",
        "animate",
        pose.to_str().unwrap(),
        "--out",
        dir.path().join("a").to_str().unwrap(),
        "--formats",
        "bvh",
    ]);
    assert_eq!(code(&first), 0, "{}", text(&first.stderr));
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let rid = first["videos"][0]["rid"].as_str().unwrap().to_owned();

    let out = dir.path().join("b");
    let rerun = run(&[
        "--json",
        "rerun",
        &rid,
        "--formats",
        "png",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&rerun), 0, "{}", text(&rerun.stderr));
    let saved: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(saved.iter().any(|n| n.ends_with(".png")), "{saved:?}");

    // trim is for videos: refused for the picture job, before /process.
    let before = sandbox.deepmotion().process_submissions();
    let refused = run(&["rerun", &rid, "--trim", "0,1"]);
    assert_eq!(code(&refused), 1, "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("video_input_only"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(sandbox.deepmotion().process_submissions(), before);
    sandbox.shutdown().await;
}
