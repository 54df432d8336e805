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
async fn a_job_wait_dropped_midway_is_taken_up_again_and_nothing_is_sent_twice() {
    // A slow clock: the job takes about 3 s, so a 1 ms wait is always
    // dropped while it runs.
    let sandbox = sandbox(|args| args.time_scale = 10.0).await;
    let client = sandbox.deepmotion_client().unwrap();
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = motionkit_deepmotion::Process::new(&upload)
        .send(&client)
        .await
        .unwrap()
        .rid;
    let options = motionkit_deepmotion::WaitOptions::fast();
    let rids = [rid.clone()];
    // Dropped by a timeout while polling: the job goes on on the server.
    let dropped = tokio::time::timeout(
        Duration::from_millis(1),
        client.wait_with(&rids, &options, |_| {}),
    )
    .await;
    assert!(dropped.is_err(), "the job finished within 1 ms");
    // The shared poller too: its dropped waiter is unregistered.
    let watcher = client.watcher(options);
    let dropped = tokio::time::timeout(Duration::from_millis(1), watcher.wait(&rid, |_| {})).await;
    assert!(dropped.is_err());
    assert!(
        watcher.is_running(),
        "a dropped waiter does not stop the poller"
    );
    // Taken up again, by both: the same job, finished, posted once.
    let outcomes = client.wait_with(&rids, &options, |_| {}).await.unwrap();
    assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0].result);
    watcher.wait(&rid, |_| {}).await.unwrap();
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    watcher.shutdown();
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
    let dropped =
        tokio::time::timeout(Duration::from_millis(1), client.wait_one(&submission)).await;
    assert!(dropped.is_err(), "the render finished within 1 ms");
    // Waiting again takes it up: the delivery that came meanwhile was kept
    // by the receiver, and no second generation was made.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let video = client.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, motionkit_motiondynamic::ReadyVia::Webhook);
    let out = tempfile::tempdir().unwrap();
    let saved = client.download(&video, out.path()).await.unwrap();
    assert_eq!(&std::fs::read(&saved.path).unwrap()[4..8], b"ftyp");
    assert_eq!(sandbox.motiondynamic().store().generations().len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_generation_dropped_during_its_post_leaves_the_client_working() {
    let dir = tempfile::tempdir().unwrap();
    // Every create_generation waits 1.5 s before it is handled.
    let faults = dir.path().join("faults.json");
    std::fs::write(
        &faults,
        r#"{"endpoints": {"create_generation": {"latency_rate": 1.0, "latency_ms": 1500}}}"#,
    )
    .unwrap();
    let sandbox = sandbox(|args| args.faults = Some(faults.clone())).await;
    let client = sandbox.motiondynamic_client().await.unwrap();
    let theme = client.theme(DEMO_THEME_ID).await.unwrap();
    let generate = Generate::new(&theme)
        .set("l1_titre_01", "title")
        .set("image_produit", sandbox.picture_url(1200, 680));
    let dropped = tokio::time::timeout(Duration::from_millis(300), generate.send(&client)).await;
    assert!(dropped.is_err(), "the POST was answered within 300 ms");
    // The same client (its rate budget, receiver and connections) sends,
    // waits and saves the next generation as if nothing happened.
    let submission = generate.send(&client).await.unwrap();
    let video = client.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, motionkit_motiondynamic::ReadyVia::Webhook);
    let saved = client.download(&video, dir.path()).await.unwrap();
    assert_eq!(&std::fs::read(&saved.path).unwrap()[4..8], b"ftyp");
    // At most the dropped one and this one exist.
    assert!(sandbox.motiondynamic().store().generations().len() <= 2);
    sandbox.shutdown().await;
}

/// A server that sends a 16 MiB body at 640 KiB/s, for downloads that
/// are still running when they are dropped.
async fn slow_video_server() -> String {
    use tokio::io::AsyncWriteExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
                let total = 16 << 20;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: {total}\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = vec![0u8; 64 << 10];
                chunk[4..8].copy_from_slice(b"ftyp");
                for _ in 0..total / chunk.len() {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        }
    });
    format!("http://{addr}/0b6e5e6e-2c1a-4b7e-9d55-3c1f0d2a9e01.mp4")
}

#[tokio::test]
async fn a_video_download_dropped_midway_leaves_no_part_file() {
    let sandbox = sandbox(|_| {}).await;
    let client = sandbox.motiondynamic_client().await.unwrap();
    let video = motionkit_motiondynamic::Video {
        generation_id: Some("0b6e5e6e-2c1a-4b7e-9d55-3c1f0d2a9e01".into()),
        url: slow_video_server().await,
        via: motionkit_motiondynamic::ReadyVia::ReadBack,
    };
    let out = tempfile::tempdir().unwrap();
    let dropped = tokio::time::timeout(
        Duration::from_millis(500),
        client.download(&video, out.path()),
    )
    .await;
    assert!(dropped.is_err(), "16 MiB arrived within 500 ms");
    // The transfer runs in a task of its own, aborted by the drop; its part
    // file goes as that task stops, moments later.
    let mut left = Vec::new();
    for _ in 0..50 {
        left = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    sandbox.shutdown().await;
}
