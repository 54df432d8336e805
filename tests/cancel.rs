//! Cancel safety: a future dropped mid-flight (a timeout, a `select!`, an
//! aborted task) leaves nothing charged, nothing half-written and a client
//! that goes on working.

use std::time::Duration;

use motionkit_deepmotion::Animate;
use motionkit_models::motiondynamic::DEMO_THEME_ID;
use motionkit_motiondynamic::Generate;
use motionkit_tests::{fixture, padded_mp4, sandbox};
use motionkit_transport::UploadOptions;

#[tokio::test]
async fn an_upload_dropped_midway_charges_nothing_and_the_client_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // Uploads crawl at 200 kB/s: a 2 MB video takes ten seconds.
    let faults = dir.path().join("faults.json");
    std::fs::write(&faults, r#"{"upload_bytes_per_sec": 200000}"#).unwrap();
    let sandbox = sandbox(|args| args.faults = Some(faults.clone())).await;
    let client = sandbox.deepmotion_client().unwrap();
    let total = 2_000_000;
    let big = dir.path().join("big.mp4");
    std::fs::write(
        &big,
        padded_mp4(&std::fs::read(fixture("walk.mp4")).unwrap(), total),
    )
    .unwrap();

    let uploading = {
        let client = client.clone();
        let big = big.clone();
        tokio::spawn(async move { client.upload(&big, &UploadOptions::default()).await })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    uploading.abort();
    assert!(uploading.await.unwrap_err().is_cancelled());
    let received = sandbox.deepmotion().storage_bytes_received();
    assert!(received < total as u64, "{received} of {total} bytes");
    assert_eq!(sandbox.deepmotion().process_submissions(), 0);

    // No lock, session or task is left behind: the same client animates.
    let animation = Animate::new(fixture("walk.mp4"), dir.path().join("out"))
        .send(&client)
        .await
        .unwrap();
    assert!(!animation.files.is_empty());
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wait_dropped_before_the_video_is_ready_can_be_taken_up_again() {
    let sandbox = sandbox(|_| {}).await;
    let client = sandbox.motiondynamic_client().await.unwrap();
    let theme = client.theme(DEMO_THEME_ID).await.unwrap();
    let submission = Generate::new(&theme)
        .set("l1_titre_01", "title")
        .set("image_produit", sandbox.picture_url(1200, 680))
        .send(&client)
        .await
        .unwrap();
    // A render takes 30 to 60 simulated seconds: 1 ms is too short.
    let dropped = tokio::time::timeout(Duration::from_millis(1), client.wait(&submission)).await;
    assert!(dropped.is_err(), "the render finished within 1 ms");
    // Waiting again takes it up: the delivery that came meanwhile was kept
    // by the receiver, and no second generation was made.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let video = client.wait(&submission).await.unwrap();
    assert_eq!(video.via, motionkit_motiondynamic::ReadyVia::Webhook);
    let out = tempfile::tempdir().unwrap();
    let saved = client.download(&video, out.path()).await.unwrap();
    assert_eq!(&std::fs::read(&saved.path).unwrap()[4..8], b"ftyp");
    assert_eq!(sandbox.motiondynamic().store().generations().len(), 1);
    sandbox.shutdown().await;
}
