//! `--data-dir`: a restarted sandbox keeps uploads, jobs, files, models,
//! webhooks, credits and sessions.

mod deepmotion_common;

use std::time::{Duration, Instant};

use deepmotion_common::*;
use motionkit_sandbox::SandboxArgs;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_restarted_sandbox_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let args = fast_args().data_dir(Some(dir.path().to_owned()));

    let first = start(args.clone()).await;
    let dm = login(&first.deepmotion_url()).await;
    let url = dm.upload_resumable("walk.mp4", fixture("walk.mp4")).await;
    let rid = dm.process(&url, &["formats=bvh,fbx"]).await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    let urls = dm
        .get_json("/character/getModelUploadUrl?resumable=0")
        .await;
    let model_url = urls["modelUrl"].as_str().unwrap();
    let r = http()
        .put(model_url)
        .body(fixture("hero.glb"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let model_id = dm
        .post_json(
            "/character/storeModel",
            &json!({"modelUrl": model_url, "modelName": "Kept"}),
        )
        .await["modelId"]
        .as_str()
        .unwrap()
        .to_owned();
    let hook = dm
        .post_json(
            "/webhook_endpoints",
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["job.completed"]}),
        )
        .await;
    let second_url = dm.upload_single("turn.mov", fixture("turn.mov")).await;
    assert_eq!(dm.credits().await, 998.0);
    let old_base = first.deepmotion_url();
    first.shutdown().await;

    let second = start(args).await;
    let base = second.deepmotion_url();
    assert_ne!(base, old_base, "a new ephemeral port");
    // The old cookie still works: sessions and the signing key persist.
    let dm = Dm {
        base: base.clone(),
        ..dm
    };
    let list = dm.get_json("/list").await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["list"][0]["rid"], rid.as_str());
    assert_eq!(list["list"][0]["status"], "SUCCESS");
    assert_eq!(dm.status(&rid).await["status"], "SUCCESS");
    let files = dm.files(&rid).await;
    assert_eq!(files.len(), 2);
    assert!(files[0].1.starts_with(&base), "links use the new address");
    let bvh = parse_bvh(&String::from_utf8(dm.fetch(&files[0].1).await).unwrap()).unwrap();
    assert_eq!(bvh.frames, 60);
    let input = dm.link(&rid).await["input"].as_str().unwrap().to_owned();
    assert_eq!(dm.fetch(&input).await, fixture("walk.mp4"));
    assert_eq!(dm.credits().await, 998.0);
    let models = dm
        .get_json(&format!("/character/listModels?modelId={model_id}"))
        .await;
    assert_eq!(models[0]["name"], "Kept");
    assert_eq!(
        dm.get_json("/webhook_endpoints").await["endpoints"][0]["id"],
        hook["id"]
    );
    // An upload made before the restart can still be processed, and a rerun
    // of the old job works.
    let next = dm.process(&second_url, &[]).await;
    assert_eq!(dm.wait(&next).await["status"], "SUCCESS");
    let rerun = dm
        .post_json("/process", &json!({"rid": rid, "processor": "video2anim"}))
        .await;
    assert!(rerun["rid"].is_string());
    assert_eq!(dm.credits().await, 995.0);
    second.shutdown().await;
}

#[tokio::test]
async fn jobs_keep_running_on_the_clock_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // 28 simulated seconds at ×20: the job ends 1.4 s after submission.
    let args = SandboxArgs::default()
        .data_dir(Some(dir.path().to_owned()))
        .time_scale(20.0);
    let first = start(args.clone()).await;
    let dm = login(&first.deepmotion_url()).await;
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let submitted = Instant::now();
    let rid = dm.process(&url, &[]).await;
    assert_eq!(dm.status(&rid).await["status"], "PROGRESS");
    first.shutdown().await;

    let second = start(args).await;
    let dm = Dm {
        base: second.deepmotion_url(),
        ..dm
    };
    let entry = dm.wait(&rid).await;
    assert_eq!(entry["status"], "SUCCESS");
    // It ended on the original schedule, not 28 s after the restart.
    let took = submitted.elapsed();
    assert!(
        took >= Duration::from_millis(1300) && took < Duration::from_secs(8),
        "{took:?}"
    );
    second.shutdown().await;
}
