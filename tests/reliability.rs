//! Reliability under faults, against the sandbox with `--faults`:
//! `cargo test -p motionkit-tests --test reliability`.
//!
//! - 200 jobs through `animate` while every idempotent endpoint answers 5xx,
//!   resets or stalls: every job completes, outputs match a fault-free run
//!   byte for byte (after replacing each job's own rid, which the sandbox
//!   stamps into its outputs), and each job is charged once.
//! - Uploads whose connections drop at random offsets: the object is
//!   byte-exact and each drop costs at most one chunk of re-sent bytes.
//! - A 2 s session TTL during a 60-job batch: no call fails and the client
//!   logs in about once per TTL.
//! - MotionDynamic webhooks delivered 1–5 times, out of order, some forged:
//!   each generation resolves exactly once and forgeries are refused.
//! - 10,000 invalid parameter sets: all refused with zero requests sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use motionkit_deepmotion::{Animate, Client, Process, Upload, WaitOptions};
use motionkit_motiondynamic::WebhookReceiver;
use motionkit_sandbox::{Sandbox, SandboxArgs};
use motionkit_tests::{fixture, padded_mp4, sandbox};
use motionkit_transport::{RetryBudget, RetryPolicy, Timeouts, UploadOptions};
use motionkit_validation::{OutputFormat, ProcessParams};

fn patient_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(12)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(200))
        .budget(
            RetryBudget::default()
                .capacity(100_000)
                .refill_per_second(10_000.0),
        )
}

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .retry(patient_retry())
    .timeouts(Timeouts::default().attempt(Duration::from_secs(5)))
    .build()
    .unwrap()
}

fn faults_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("faults.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `count` animate jobs of `walk.mp4` (bvh, fbx, mp4) and returns each
/// job's output files keyed by input index, with the job's rid replaced.
async fn run_batch(sandbox: &Sandbox, count: usize, work: &Path) -> Vec<BTreeMap<String, Vec<u8>>> {
    let client = client(sandbox);
    let params =
        ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Mp4]);
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(40));
    let mut runs = Vec::new();
    for i in 0..count {
        let video = work.join(format!("in/take-{i:03}.mp4"));
        std::fs::create_dir_all(video.parent().unwrap()).unwrap();
        std::fs::copy(fixture("walk.mp4"), &video).unwrap();
        let out = work.join(format!("out/{i:03}"));
        let (client, params, limit) = (client.clone(), params.clone(), limit.clone());
        runs.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            Animate::new(video, out)
                .params(params)
                .wait_options(WaitOptions::fast())
                .send(&client)
                .await
        }));
    }
    let mut outputs = Vec::new();
    for run in runs {
        let animation = run.await.unwrap().expect("every job completes");
        let mut files = BTreeMap::new();
        for path in &animation.files {
            let bytes = std::fs::read(path).unwrap();
            let text = String::from_utf8_lossy(&bytes).replace(&animation.rid, "<rid>");
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(&animation.rid, "<rid>");
            files.insert(
                name,
                if text.as_bytes() == bytes.as_slice() {
                    bytes
                } else {
                    text.into_bytes()
                },
            );
        }
        outputs.push(files);
    }
    outputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_jobs_complete_under_20_percent_faults_with_identical_outputs() {
    let work = tempfile::tempdir().unwrap();
    let clean = sandbox(|args: &mut SandboxArgs| args.time_scale = 2000.0).await;
    let reference = run_batch(&clean, 1, &work.path().join("clean"))
        .await
        .remove(0);
    clean.shutdown().await;

    let faults = faults_file(
        work.path(),
        "seed = 2026\nretry_status_rate = 0.2\n[default]\nerror_rate = 0.12\nreset_rate = 0.05\nlatency_ms = 40\nlatency_rate = 0.03\n",
    );
    let faulty = sandbox(|args: &mut SandboxArgs| {
        args.time_scale = 2000.0;
        args.faults = Some(faults);
    })
    .await;
    let before = faulty.deepmotion().credits();
    let outputs = run_batch(&faulty, 200, &work.path().join("faulty")).await;
    assert_eq!(outputs.len(), 200);
    for (i, files) in outputs.iter().enumerate() {
        // Only the input's name differs between jobs (take-007 vs take-000).
        let this_take = format!("take-{i:03}");
        let names: Vec<String> = files
            .keys()
            .map(|n| n.replace(&this_take, "take-000"))
            .collect();
        assert_eq!(
            names,
            reference.keys().cloned().collect::<Vec<_>>(),
            "job {i}"
        );
        for (name, bytes) in files {
            let expected = &reference[&name.replace(&this_take, "take-000")];
            let normalized = String::from_utf8_lossy(bytes).replace(&this_take, "take-000");
            assert_eq!(
                normalized.as_bytes(),
                expected.as_slice(),
                "job {i}: {name} differs from a fault-free run"
            );
        }
    }
    let stats = faulty.deepmotion();
    assert!(
        stats.injected_faults() > 100,
        "{} faults injected",
        stats.injected_faults()
    );
    assert_eq!(
        stats.process_submissions(),
        200,
        "no job was submitted twice"
    );
    assert_eq!(
        before - stats.credits(),
        400.0,
        "each job charged exactly once"
    );
    faulty.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_upload_connections_cost_at_most_one_chunk_each() {
    let work = tempfile::tempdir().unwrap();
    let faults = faults_file(work.path(), "seed = 99\nupload_drop_rate = 0.35\n");
    let sandbox = sandbox(|args: &mut SandboxArgs| args.faults = Some(faults)).await;
    let client = client(&sandbox);
    let chunk = 256 * 1024u64;
    for (i, size) in [1_000_000usize, 2_621_440, 3_999_999]
        .into_iter()
        .enumerate()
    {
        let video = work.path().join(format!("big-{i}.mp4"));
        let bytes = padded_mp4(&std::fs::read(fixture("walk.mp4")).unwrap(), size);
        std::fs::write(&video, &bytes).unwrap();
        let url = client
            .upload_url(&format!("big-{i}.mp4"), true)
            .await
            .unwrap();
        let report = client
            .transport()
            .upload_resumable(&url, &video, &UploadOptions::default().chunk_size(chunk))
            .await
            .unwrap();
        assert_eq!(report.bytes, bytes.len() as u64);
        assert!(report.faults > 0, "upload {i}: no connection was dropped");
        let resent = report.bytes_sent - report.bytes;
        assert!(
            resent <= u64::from(report.faults) * chunk,
            "upload {i}: {resent} bytes re-sent for {} drops",
            report.faults
        );
        // The stored object is byte-exact: the job reads its real metadata.
        let upload = Upload {
            url,
            name: format!("big-{i}.mp4"),
            size: report.bytes,
            input: motionkit_validation::InputKind::Video,
        };
        let info = client.video_info(&upload.url).await.unwrap();
        assert_eq!(info.size, Some(bytes.len() as i64));
        assert_eq!((info.width, info.height), (320, 240));
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_second_session_ttl_during_a_60_job_batch_fails_nothing() {
    let sandbox = sandbox(|args: &mut SandboxArgs| {
        args.session_ttl = 2.0;
        args.time_scale = 4.0;
    })
    .await;
    let client = client(&sandbox);
    let started = Instant::now();
    let mut rids = Vec::new();
    for _ in 0..60 {
        let upload = client
            .upload(&fixture("walk.mp4"), &UploadOptions::default())
            .await
            .unwrap();
        rids.push(Process::new(&upload).send(&client).await.unwrap().rid);
    }
    let options = WaitOptions::deepmotion()
        .first_interval(Duration::from_millis(200))
        .max_interval(Duration::from_millis(500));
    let outcomes = client.wait_with(&rids, &options, |_| {}).await.unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let elapsed = started.elapsed().as_secs_f64();
    let logins = sandbox.deepmotion().successful_auths() as f64;
    let expected = elapsed / 2.0;
    assert!(
        elapsed > 6.0,
        "the batch outlived several sessions ({elapsed:.1}s)"
    );
    assert!(
        logins >= expected - 1.0 && logins <= expected + 2.0,
        "{logins} logins in {elapsed:.1}s with a 2 s TTL"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_out_of_order_and_forged_webhooks_resolve_each_generation_once() {
    let (events_tx, mut taken) = tokio::sync::mpsc::channel(1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let receiver = WebhookReceiver::new(&base).with_events(events_tx);
    // The application confirms every event it takes.
    let (acted, mut events) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = taken.recv().await {
            // Recorded first, then confirmed: the 200 follows the record.
            let _ = acted.send(event.event().clone());
            event.confirm();
        }
    });
    let router = receiver.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let issued: Vec<(String, String)> = (0..40).map(|_| receiver.issue()).collect();
    let mut deliveries = Vec::new();
    for (n, (key, url)) in issued.iter().enumerate() {
        for _ in 0..(1 + n % 5) {
            deliveries.push((key.clone(), url.clone()));
        }
    }
    // A fixed shuffle: deliveries arrive out of order.
    let len = deliveries.len();
    for i in 0..len {
        deliveries.swap(i, (i * 7919 + 13) % len);
    }
    let http = reqwest::Client::new();
    let mut forged_refused = 0;
    for (i, (key, url)) in deliveries.iter().enumerate() {
        let body = format!(r#"{{"video":"https://download.example/{key}.mp4"}}"#);
        let status = http
            .post(url)
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        if i % 3 == 0 {
            let forged = format!("{base}/{key}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            let status = http.post(forged).body(body).send().await.unwrap().status();
            assert_eq!(status, 401);
            forged_refused += 1;
        }
    }
    let mut resolved = BTreeMap::new();
    while let Ok(event) = events.try_recv() {
        *resolved.entry(event.key.clone()).or_insert(0) += 1;
        assert_eq!(
            event.video,
            format!("https://download.example/{}.mp4", event.key)
        );
    }
    assert_eq!(resolved.len(), 40);
    assert!(resolved.values().all(|&n| n == 1), "{resolved:?}");
    assert!(forged_refused > 10);
    for (key, _) in &issued {
        assert!(receiver.wait(key).await.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_invalid_parameter_sets_send_nothing() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let upload = Upload {
        url: format!("{}/storage/never-uploaded", sandbox.deepmotion_url()),
        name: "walk.mp4".into(),
        size: 1,
        input: motionkit_validation::InputKind::Video,
    };
    let invalid = prop_oneof![
        (8.0001f64..1e6).prop_map(|v| ProcessParams::new().video_speed_multiplier(v)),
        (-1e6f64..0.9999).prop_map(|v| ProcessParams::new().video_speed_multiplier(v)),
        (1.0001f64..1e3).prop_map(|v| ProcessParams::new().pose_filtering_strength(v)),
        (0.0f64..1.0, 0.0f64..1.0).prop_map(|(a, b)| {
            let (l, r) = if a >= b { (a, b) } else { (b, a) };
            ProcessParams::new().crop(l, 0.1, r, 0.9)
        }),
        (0.0f64..100.0).prop_map(|a| ProcessParams::new().trim(a, a)),
        Just(ProcessParams::new().formats([OutputFormat::Png])),
        Just(ProcessParams::new().video_speed_multiplier(f64::NAN)),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    });
    let runtime = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner
            .run(&invalid, |params| {
                let process = Process::new(&upload).params(params);
                let outcome = runtime.block_on(process.send(&client));
                prop_assert!(
                    matches!(outcome, Err(motionkit_deepmotion::Error::Validation(_))),
                    "{outcome:?}"
                );
                Ok(())
            })
            .map_err(|failure| failure.to_string())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let counts = sandbox.deepmotion().request_counts();
    assert_eq!(
        counts.values().sum::<u64>(),
        0,
        "requests reached the sandbox: {counts:?}"
    );
    sandbox.shutdown().await;
}
