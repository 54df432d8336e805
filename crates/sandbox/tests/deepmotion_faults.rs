//! The faults file: 5xx, resets, 429s, cut uploads and downloads, RETRY
//! statuses and short sessions.

mod deepmotion_common;

use std::time::Duration;

use deepmotion_common::*;
use motionkit_sandbox::SandboxArgs;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_faults_file_drives_errors_resets_and_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let faults = faults_file(
        &dir,
        json!({
            "seed": 7,
            "default": {"error_rate": 1.0},
            "endpoints": {
                "session_auth": {},
                "upload_url": {},
                "credit_balance": {"reset_rate": 1.0},
                "status": {"too_many_requests_rate": 1.0},
                "list_models": {"latency_ms": 300, "latency_rate": 1.0}
            }
        }),
    );
    let sandbox = start(fast_args().faults(Some(faults))).await;
    let dm = login(&sandbox.deepmotion_url()).await;

    // [default] hits every idempotent endpoint without its own entry.
    for path in ["/list", "/download/x", "/webhook_endpoints"] {
        let status = dm.get(path).await.status().as_u16();
        assert!((500..=504).contains(&status), "{path}: {status}");
    }
    // Resets close the connection without an answer.
    let reset = dm
        .http
        .get(format!("{}/account/creditBalance", dm.base))
        .header("cookie", &dm.cookie)
        .send()
        .await;
    assert!(reset.is_err(), "{reset:?}");
    // Forced 429 with Retry-After.
    let limited = dm.get("/status/x").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "1");
    // Latency.
    let started = std::time::Instant::now();
    let models = dm.get("/character/listModels").await;
    assert_eq!(models.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Non-idempotent endpoints are spared unless named: process works.
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let rid = dm.process(&url, &[]).await;
    assert!(!rid.is_empty());
    let counters = sandbox.deepmotion();
    assert_eq!(counters.requests("list"), 1);
    assert_eq!(counters.requests("credit_balance"), 1);
    assert_eq!(counters.requests("process"), 1);
    assert_eq!(counters.injected_faults(), 5);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn named_non_idempotent_endpoints_fail_too() {
    let dir = tempfile::tempdir().unwrap();
    let faults = faults_file(&dir, json!({"endpoints": {"process": {"error_rate": 1.0}}}));
    let sandbox = start(fast_args().faults(Some(faults))).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let r = dm
        .post("/process", &json!({"url": url, "processor": "video2anim"}))
        .await;
    assert!(r.status().is_server_error());
    assert_eq!(dm.credits().await, 1000.0, "a refused job is not charged");
    sandbox.shutdown().await;
}

/// Uploads `bytes` resumably in 256 KiB chunks, querying and resuming
/// after every dropped connection, like a careful client. Returns the
/// number of drops survived.
async fn resilient_upload(dm: &Dm, url: &str, bytes: &[u8]) -> u32 {
    let client = http();
    let session = dm.start_session(url).await;
    let total = bytes.len() as u64;
    let mut offset = 0u64;
    let mut drops = 0;
    for _ in 0..200 {
        let end = (offset + 256 * 1024).min(total);
        let sent = client
            .put(&session)
            .header(
                "content-range",
                format!("bytes {offset}-{}/{total}", end - 1),
            )
            .body(bytes[offset as usize..end as usize].to_vec())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(_) => {
                drops += 1;
                client
                    .put(&session)
                    .header("content-range", format!("bytes */{total}"))
                    .send()
                    .await
                    .unwrap()
            }
        };
        match response.status() {
            StatusCode::OK => return drops,
            StatusCode::PERMANENT_REDIRECT => {
                offset = match response.headers().get("range") {
                    None => 0,
                    Some(range) => {
                        let range = range.to_str().unwrap();
                        let last: u64 = range.rsplit('-').next().unwrap().parse().unwrap();
                        last + 1
                    }
                };
                assert_eq!(offset % (256 * 1024), 0, "whole 256 KiB units only");
            }
            other => panic!("unexpected {other}"),
        }
    }
    panic!("the upload never finished");
}

/// Downloads `url`, resuming with Range after cuts. Returns the bytes and
/// the number of cuts.
async fn resilient_download(url: &str) -> (Vec<u8>, u32) {
    let client = http();
    let mut data = Vec::new();
    for cuts in 0..200 {
        let mut request = client.get(url);
        if !data.is_empty() {
            request = request.header("range", format!("bytes={}-", data.len()));
        }
        // A cut at the very start drops the connection before any header.
        let Ok(response) = request.send().await else {
            continue;
        };
        let expected = response.content_length().unwrap();
        match response.status() {
            StatusCode::OK => data.clear(),
            StatusCode::PARTIAL_CONTENT => {}
            other => panic!("unexpected {other}"),
        }
        let mut body = response;
        let mut got = 0u64;
        loop {
            match body.chunk().await {
                Ok(Some(chunk)) => {
                    got += chunk.len() as u64;
                    data.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(_) => break,
            }
        }
        if got == expected {
            return (data, cuts);
        }
    }
    panic!("the download never finished");
}

#[tokio::test]
async fn cut_uploads_and_downloads_can_be_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let faults = faults_file(
        &dir,
        json!({"seed": 11, "upload_drop_rate": 0.5, "download_drop_rate": 0.5}),
    );
    let sandbox = start(fast_args().faults(Some(faults))).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let bytes = padded_mp4(&fixture("walk.mp4"), 1_500_000);
    // Each upload is 6 chunks; with a 0.5 drop rate a cut comes soon.
    let mut drops = 0;
    let mut url = String::new();
    for _ in 0..10 {
        url = dm.upload_url("walk.mp4", None).await;
        drops += resilient_upload(&dm, &url, &bytes).await;
        if drops > 0 {
            break;
        }
    }
    assert!(drops > 0, "with a 0.5 drop rate some chunk is cut");

    // A single PUT that is cut is not stored; a retry is.
    let single = dm.upload_url("second.mp4", Some(false)).await;
    let mut attempts = 0;
    loop {
        attempts += 1;
        assert!(attempts < 50);
        match dm.http.put(&single).body(bytes.clone()).send().await {
            Ok(r) if r.status() == StatusCode::OK => break,
            Ok(r) => panic!("{}", r.status()),
            Err(_) => {}
        }
    }

    let rid = dm.process(&url, &["formats=bvh"]).await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    let link = dm.link(&rid).await;
    let mut total_cuts = 0;
    for _ in 0..20 {
        let (input, cuts) = resilient_download(link["input"].as_str().unwrap()).await;
        assert_eq!(input, bytes);
        total_cuts += cuts;
        if total_cuts > 1 {
            break;
        }
    }
    assert!(total_cuts > 0, "with a 0.5 drop rate some download is cut");
    let files = dm.files(&rid).await;
    let (bvh, _) = resilient_download(&files[0].1).await;
    assert_eq!(
        parse_bvh(&String::from_utf8(bvh).unwrap()).unwrap().frames,
        60
    );
    assert!(sandbox.deepmotion().injected_faults() >= u64::from(drops + total_cuts));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn retry_statuses_and_short_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let faults = faults_file(
        &dir,
        json!({"seed": 5, "retry_status_rate": 1.0, "session_ttl_secs": 2.0}),
    );
    let sandbox = start(SandboxArgs::default().faults(Some(faults)).time_scale(1.0)).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let rid = dm.process(&url, &[]).await;
    let entry = dm.status(&rid).await;
    assert_eq!(entry["status"], "RETRY");
    assert!(entry["details"]["exc_message"].is_string());
    assert!(entry["details"]["exc_type"].is_string());
    // The session expires after the faults file's TTL, rounded up to the
    // whole second its `Expires` names.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(dm.get("/list").await.status(), StatusCode::UNAUTHORIZED);
    let again = login(&sandbox.deepmotion_url()).await;
    assert_eq!(again.get("/list").await.status(), StatusCode::OK);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn uploads_are_counted_paced_and_their_sessions_can_be_expired() {
    let dir = tempfile::tempdir().unwrap();
    let faults = faults_file(&dir, json!({"upload_bytes_per_sec": 2_000_000}));
    let sandbox = start(fast_args().faults(Some(faults))).await;
    let counters = sandbox.deepmotion();
    let dm = login(&sandbox.deepmotion_url()).await;
    let total = 1_000_000;
    let bytes = padded_mp4(&fixture("walk.mp4"), total);
    let url = dm.upload_url("paced.mp4", None).await;
    let session = dm.start_session(&url).await;
    assert_eq!(counters.storage_bytes_received(), 0);

    // 1 MB at 2 MB/s takes at least half a second.
    let started = std::time::Instant::now();
    let r = dm
        .http
        .put(&session)
        .header("content-range", format!("bytes 0-{}/{total}", total - 1))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(counters.storage_bytes_received(), total as u64);
    let stored = counters.stored_upload(&url).expect("the object is stored");
    assert!(
        std::fs::read(stored).unwrap() == bytes,
        "stored bytes differ"
    );
    assert_eq!(
        counters.stored_upload(&dm.upload_url("never.mp4", None).await),
        None
    );

    // Without the limit, and with a session cut short by expiry.
    counters.set_upload_rate(None);
    let url = dm.upload_url("expiring.mp4", None).await;
    let session = dm.start_session(&url).await;
    let chunk = 256 * 1024;
    let r = dm
        .http
        .put(&session)
        .header("content-range", format!("bytes 0-{}/{total}", chunk - 1))
        .body(bytes[..chunk].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(counters.storage_bytes_received(), (total + chunk) as u64);
    assert_eq!(
        counters.expire_upload_sessions(),
        1,
        "only the open session"
    );
    let r = dm
        .http
        .put(&session)
        .header("content-range", format!("bytes */{total}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    sandbox.shutdown().await;
}
