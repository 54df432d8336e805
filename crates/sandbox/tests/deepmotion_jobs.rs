//! Jobs: documented failures, parameter checks, reruns, credits, progress.

mod deepmotion_common;

use deepmotion_common::*;
use motionkit_models::deepmotion::{DownloadResponse, ErrorCode, ListResponse, StatusResponse};
use motionkit_sandbox::SandboxArgs;
use reqwest::StatusCode;
use serde_json::json;

fn failure_code(entry: &serde_json::Value) -> Option<u32> {
    let details: motionkit_models::deepmotion::StatusDetails =
        serde_json::from_value(entry["details"].clone()).unwrap();
    details.failure().code.map(ErrorCode::code)
}

#[tokio::test]
async fn failures_carry_documented_codes() {
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let walk = fixture("walk.mp4");

    // fail-<code> in the file name.
    let url = dm.upload_single("clip-fail-513.mp4", walk.clone()).await;
    let rid = dm.process(&url, &[]).await;
    let entry = dm.wait(&rid).await;
    assert_eq!(entry["status"], "FAILURE");
    assert_eq!(
        entry["details"]["exc_message"],
        "513: Failed to detect character in the video (requested by the file name)"
    );
    assert!(entry["details"]["exc_type"].is_string());
    assert_eq!(failure_code(&entry), Some(513));
    // A failed job has only its rid in /download, and cannot be rerun.
    let link = dm.link(&rid).await;
    assert_eq!(link, json!({ "rid": rid }));
    let rerun = dm
        .post("/process", &json!({"rid": rid, "processor": "video2anim"}))
        .await;
    assert_eq!(rerun.status(), StatusCode::BAD_REQUEST);

    // Not a video: 202, whatever the name says.
    let url = dm
        .upload_single("not-a-video.mp4", fixture("not-a-video.mp4"))
        .await;
    let entry = dm.wait(&dm.process(&url, &[]).await).await;
    assert_eq!(failure_code(&entry), Some(202), "{entry}");
    assert!(
        entry["details"]["exc_message"]
            .as_str()
            .unwrap()
            .starts_with("202: Error converting the video")
    );

    // Parameters are checked as the service would: 503.
    let url = dm.upload_single("walk.mp4", walk.clone()).await;
    for params in [
        vec!["videoSpeedMultiplier=9"],
        vec!["formats=png"],
        vec!["trim=1,5"],
        vec!["sim=yes"],
    ] {
        let entry = dm.wait(&dm.process(&url, &params).await).await;
        assert_eq!(failure_code(&entry), Some(503), "{params:?}: {entry}");
        let message = entry["details"]["exc_message"].as_str().unwrap();
        assert!(
            message.starts_with("503: Error processing the parameters ("),
            "{message}"
        );
    }
    // A parameter or output format the documents do not name is ignored,
    // as servers do.
    for params in [vec!["camera=1"], vec!["formats=bvh,gif"]] {
        let entry = dm.wait(&dm.process(&url, &params).await).await;
        assert_eq!(failure_code(&entry), None, "{params:?}: {entry}");
        assert_eq!(entry["status"], "SUCCESS", "{params:?}: {entry}");
    }
    let picture = dm.upload_single("pose.png", fixture("pose.png")).await;
    let entry = dm.wait(&dm.process(&picture, &["trim=0,1"]).await).await;
    assert_eq!(failure_code(&entry), Some(503), "trim is for videos only");
    let entry = dm
        .wait(
            &dm.process(
                &url,
                &["trim=0.5,1.5", "poseEstimation.footLockingMode=never"],
            )
            .await,
        )
        .await;
    assert_eq!(entry["status"], "SUCCESS", "{entry}");

    // Unknown and custom-with-physics models: 504 and 505.
    let entry = dm.wait(&dm.process(&url, &["model=nope"]).await).await;
    assert_eq!(failure_code(&entry), Some(504));
    let entry = dm
        .wait(&dm.process(&url, &["model=dm-stock-male-01", "sim=1"]).await)
        .await;
    assert_eq!(entry["status"], "SUCCESS", "stock models allow sim");

    // Bad requests are refused before any job exists.
    let before = sandbox.deepmotion().process_submissions();
    for body in [
        json!({"url": url}),
        json!({"url": url, "processor": "other"}),
        json!({"processor": "video2anim"}),
        json!({"url": url, "rid": "x", "processor": "video2anim"}),
        json!({"url": "http://elsewhere/storage/uploads/x/y.mp4", "processor": "video2anim"}),
    ] {
        let r = dm.post("/process", &body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let r = dm
        .post(
            "/process",
            &json!({"rid": "no-such-rid", "processor": "video2anim"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // An issued URL with nothing uploaded makes a job that fails with 201.
    let empty = dm.upload_url("empty.mp4", None).await;
    let entry = dm.wait(&dm.process(&empty, &[]).await).await;
    assert_eq!(failure_code(&entry), Some(201));
    assert_eq!(sandbox.deepmotion().process_submissions(), before + 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn credits_drop_per_job_and_reruns_charge_again() {
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    assert_eq!(dm.credits().await, 1000.0);
    let first = dm.process(&url, &["formats=bvh"]).await;
    // The same submission twice is charged twice.
    let second = dm.process(&url, &["formats=bvh"]).await;
    assert_ne!(first, second);
    assert_eq!(dm.credits().await, 996.0);
    assert_eq!(dm.wait(&first).await["status"], "SUCCESS");
    let rerun = dm
        .post_json(
            "/process",
            &json!({"rid": first, "processor": "video2anim", "params": ["formats=fbx"]}),
        )
        .await["rid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rerun, first);
    assert_eq!(dm.credits().await, 994.0);
    assert_eq!(dm.wait(&rerun).await["status"], "SUCCESS");
    let files = dm.files(&rerun).await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "fbx");
    assert_eq!(dm.link(&rerun).await["name"], "walk.mp4");
    assert_eq!(sandbox.deepmotion().process_submissions(), 3);
    assert_eq!(sandbox.deepmotion().credits(), 994.0);

    // Without enough credits the job is refused, and nothing is charged.
    sandbox.deepmotion().set_credits(1.5);
    let r = dm
        .post("/process", &json!({"url": url, "processor": "video2anim"}))
        .await;
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(dm.credits().await, 1.5);
    assert_eq!(sandbox.deepmotion().process_submissions(), 3);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn running_jobs_show_progress_and_unknown_ids_are_left_out() {
    // Real time: a 2-second video takes 28 s, so the job stays in PROGRESS.
    let sandbox = start(SandboxArgs::default().time_scale(1.0)).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let rid = dm.process(&url, &[]).await;
    let entry = dm.status(&rid).await;
    assert_eq!(entry["status"], "PROGRESS");
    let step = entry["details"]["step"].as_f64().unwrap();
    assert!((0.0..100.0).contains(&step), "{entry}");
    assert_eq!(entry["details"]["total"], 100);
    assert_eq!(dm.link(&rid).await, json!({ "rid": rid }));

    let body: StatusResponse =
        serde_json::from_value(dm.get_json(&format!("/status/nope,{rid},,")).await).unwrap();
    assert_eq!(body.count, 1);
    assert_eq!(body.status[0].rid, rid);
    let r = dm.get("/status/nope").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = dm.get("/download/nope1,nope2").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let downloads: DownloadResponse =
        serde_json::from_value(dm.get_json(&format!("/download/{rid},nope")).await).unwrap();
    assert_eq!(downloads.count, 1);

    let list: ListResponse = serde_json::from_value(dm.get_json("/list/PROGRESS").await).unwrap();
    assert_eq!(list.count, 1);
    assert_eq!(list.list[0].rid, rid);
    assert_eq!(list.list[0].file_duration, Some(2.0));
    assert_eq!(dm.get_json("/list/SUCCESS").await["count"], 0);
    sandbox.shutdown().await;
}
