//! The DeepMotion client against the sandbox on 127.0.0.1: every endpoint,
//! the whole animate flow for many jobs, each documented failure code,
//! reruns, session expiry mid-batch, webhooks, injected faults and
//! resumable uploads over dropped connections.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motionkit_deepmotion::{
    Animate, AnimateEvent, Client, Error, JobEvent, Process, StoreModel, WaitOptions,
};
use motionkit_models::deepmotion::{ErrorCode, JobStatus};
use motionkit_sandbox::{Sandbox, SandboxArgs};
use motionkit_tests::{fixture, padded_mp4, parse_bvh, sandbox};
use motionkit_transport::{RetryBudget, RetryPolicy, UploadOptions};
use motionkit_validation::{OutputFormat, ProcessParams};

fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, RetryPolicy::default())
}

fn client_with(sandbox: &Sandbox, retry: RetryPolicy) -> Client {
    Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .retry(retry)
    .build()
    .unwrap()
}

fn bvh_fbx_mp4() -> ProcessParams {
    ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Mp4])
}

fn copy_fixture(dir: &Path, name: &str, as_name: &str) -> std::path::PathBuf {
    let target = dir.join(as_name);
    std::fs::copy(fixture(name), &target).unwrap();
    target
}

#[tokio::test]
async fn animate_leaves_a_bvh_whose_frames_match_the_video() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let out = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let animation = Animate::new(fixture("walk.mp4"), out.path())
        .params(bvh_fbx_mp4())
        .wait_options(WaitOptions::fast())
        .on_event(move |e| seen.lock().unwrap().push(e))
        .send(&client)
        .await
        .unwrap();

    let names: BTreeSet<String> = animation
        .files
        .iter()
        .map(|p| p.extension().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["bvh".into(), "fbx".into(), "mp4".into()])
    );
    let bvh = animation
        .files
        .iter()
        .find(|p| p.extension().unwrap() == "bvh")
        .unwrap();
    let parsed = parse_bvh(&std::fs::read_to_string(bvh).unwrap()).unwrap();
    assert_eq!(parsed.frames, 60, "2 s at 30 fps");
    assert!((parsed.frame_time - 1.0 / 30.0).abs() < 1e-6);
    for file in &animation.files {
        assert!(file.starts_with(out.path()));
        assert!(std::fs::metadata(file).unwrap().len() > 0);
    }

    let events = events.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AnimateEvent::Upload(p) if p.total == Some(6824)))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AnimateEvent::Submitted { rid } if *rid == animation.rid))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        AnimateEvent::Job(JobEvent::Finished {
            succeeded: true,
            ..
        })
    )));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, AnimateEvent::Saved { .. }))
            .count(),
        3
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn twenty_jobs_at_once_all_finish_and_are_charged_once() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let before = client.credit_balance().await.unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for i in 0..20 {
        let video = copy_fixture(inputs.path(), "walk.mp4", &format!("walk-{i:02}.mp4"));
        let client = client.clone();
        let out = out.path().join(format!("job-{i:02}"));
        runs.push(tokio::spawn(async move {
            Animate::new(video, out)
                .params(ProcessParams::new().formats([OutputFormat::Bvh]))
                .wait_options(WaitOptions::fast())
                .send(&client)
                .await
        }));
    }
    let mut rids = BTreeSet::new();
    for run in runs {
        let animation = run.await.unwrap().unwrap();
        assert_eq!(animation.files.len(), 1);
        rids.insert(animation.rid);
    }
    assert_eq!(rids.len(), 20);
    assert_eq!(sandbox.deepmotion().process_submissions(), 20);
    let after = client.credit_balance().await.unwrap();
    assert_eq!(before - after, 40.0, "20 jobs × 2 s of video");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn every_documented_failure_code_surfaces_typed() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let inputs = tempfile::tempdir().unwrap();
    let mut rids = Vec::new();
    for code in ErrorCode::ALL {
        let video = copy_fixture(
            inputs.path(),
            "walk.mp4",
            &format!("clip-fail-{}.mp4", code.code()),
        );
        let upload = client
            .upload(&video, &UploadOptions::default())
            .await
            .unwrap();
        rids.push((
            Process::new(&upload).send(&client).await.unwrap().rid,
            *code,
        ));
    }
    let ids: Vec<String> = rids.iter().map(|(r, _)| r.clone()).collect();
    let outcomes = client
        .wait_with(&ids, &WaitOptions::fast(), |_| {})
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 34);
    for (outcome, (rid, code)) in outcomes.iter().zip(&rids) {
        assert_eq!(&outcome.rid, rid);
        let failure = outcome.result.as_ref().unwrap_err();
        assert_eq!(failure.code(), Some(*code), "{failure}");
        assert!(failure.to_string().contains(code.message()), "{failure}");
    }
    let err = client
        .wait_one_with(&rids[11].0, &WaitOptions::fast())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::JobFailed(f) if f.code() == Some(ErrorCode::Code513)),
        "{err}"
    );

    // A text file named .mp4 is refused before anything is uploaded.
    let err = client
        .upload(&fixture("not-a-video.mp4"), &UploadOptions::default())
        .await
        .unwrap_err();
    let Error::Validation(violations) = &err else {
        panic!("expected a local refusal, got {err}");
    };
    assert_eq!(violations.iter().next().unwrap().field, "video", "{err}");
    assert!(err.to_string().contains("text"), "{err}");
    // Binary data in a format the client does not know is the API's to
    // judge: uploaded with a warning, and the job fails with 202.
    let dir = tempfile::tempdir().unwrap();
    let unknown = dir.path().join("unknown.mp4");
    std::fs::write(
        &unknown,
        [0u8, 1, 2, 0xFE, 0xFF, 0x80, 0x10, 0x11].repeat(64),
    )
    .unwrap();
    let upload = client
        .upload(&unknown, &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    let err = client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::JobFailed(f) if f.code() == Some(ErrorCode::Code202)),
        "{err}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn invalid_parameters_are_refused_before_anything_is_sent() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let out = tempfile::tempdir().unwrap();
    let params = ProcessParams::new()
        .formats([OutputFormat::Bvh, OutputFormat::Png])
        .video_speed_multiplier(9.5)
        .crop(0.5, 0.1, 0.5, 0.9);
    let err = Animate::new(fixture("walk.mp4"), out.path())
        .params(params)
        .send(&client)
        .await
        .unwrap_err();
    let Error::Validation(violations) = err else {
        panic!("expected a validation error, got {err}");
    };
    let fields: BTreeSet<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert!(fields.contains("videoSpeedMultiplier"), "{violations}");
    assert!(fields.contains("crop"), "{violations}");
    assert!(fields.iter().any(|f| f.contains("formats")), "{violations}");
    let counts = sandbox.deepmotion().request_counts();
    assert_eq!(
        counts.values().sum::<u64>(),
        0,
        "no request reached the sandbox: {counts:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn every_endpoint_answers_in_its_documented_shape() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);

    let single = client.upload_url("a.mp4", false).await.unwrap();
    assert!(single.contains("signature="), "{single}");
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(upload.size, 6824);
    let info = client.video_info(&upload.url).await.unwrap();
    assert_eq!((info.width, info.height), (320, 240));
    assert_eq!(info.fps, Some(30.0));
    assert_eq!(info.codec.as_deref(), Some("h264"));

    let rid = Process::new(&upload)
        .params(bvh_fbx_mp4())
        .send(&client)
        .await
        .unwrap()
        .rid;
    let status = client.status(std::slice::from_ref(&rid)).await.unwrap();
    assert_eq!(status[0].rid, rid);
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    let links = client
        .download_links(std::slice::from_ref(&rid))
        .await
        .unwrap();
    let kinds: BTreeSet<&str> = links[0].files().map(|(k, _)| k).collect();
    assert_eq!(kinds, BTreeSet::from(["bvh", "fbx", "mp4"]));
    assert_eq!(links[0].name.as_deref(), Some(upload.name.as_str()));
    assert_eq!(
        motionkit_deepmotion::original_name(&upload.name),
        "walk.mp4"
    );

    let all = client.list(&[]).await.unwrap();
    assert!(
        all.iter()
            .any(|j| j.rid == rid && j.status == JobStatus::Success)
    );
    let done = client.list(&[JobStatus::Success]).await.unwrap();
    assert!(done.iter().all(|j| j.status == JobStatus::Success));
    let running = client
        .list(&[JobStatus::Progress, JobStatus::Retry])
        .await
        .unwrap();
    assert!(running.iter().all(|j| j.rid != rid));

    let unknown = client
        .wait_one_with("no-such-job", &WaitOptions::fast())
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::UnknownJob { .. }), "{unknown}");

    // Character models: stock models, upload, store, update, search, delete.
    let stock = client.list_models(None, None).await.unwrap();
    assert!(!stock.is_empty());
    let models = tempfile::tempdir().unwrap();
    let model = models.path().join("hero.glb");
    std::fs::copy(fixture("hero.glb"), &model).unwrap();
    let uploaded = client
        .upload_model(
            &model,
            Some(&fixture("pose.png")),
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    let id = StoreModel::new(&uploaded.model_url)
        .name("Hero")
        .thumb_url(uploaded.thumb_url.clone().unwrap())
        .send(&client)
        .await
        .unwrap();
    StoreModel::update(&id)
        .name("Hero v2")
        .create_thumb(true)
        .send(&client)
        .await
        .unwrap();
    let found = client.list_models(Some(&id), None).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name.as_deref(), Some("Hero v2"));
    assert!(found[0].thumb.is_some());
    let searched = client.list_models(None, Some("hero v")).await.unwrap();
    assert!(searched.iter().any(|m| m.id == id));
    assert_eq!(client.delete_model(&id).await.unwrap(), 1);
    assert_eq!(client.delete_model(&id).await.unwrap(), 0);

    // Webhook endpoints.
    let created = client
        .create_webhook("https://example.com/hooks/dm", &[])
        .await
        .unwrap();
    assert_eq!(created.events, vec!["job.completed".to_owned()]);
    assert_eq!(client.webhook(&created.id).await.unwrap(), created);
    let updated = client
        .update_webhook(
            &created.id,
            "https://example.com/hooks/v2",
            &["job.completed"],
        )
        .await
        .unwrap();
    assert_eq!(updated.url, "https://example.com/hooks/v2");
    assert!(client.webhooks().await.unwrap().contains(&updated));
    assert!(client.delete_webhook(&created.id).await.unwrap().deleted);
    assert!(client.webhooks().await.unwrap().is_empty());
    let bad = client.create_webhook("not a url", &[]).await.unwrap_err();
    assert!(matches!(bad, Error::Validation(_)), "{bad}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_rerun_makes_a_new_job_and_charges_again() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let first = Process::new(&upload).send(&client).await.unwrap().rid;
    client
        .wait_one_with(&first, &WaitOptions::fast())
        .await
        .unwrap();
    let balance = client.credit_balance().await.unwrap();
    let second = Process::rerun(&first)
        .params(
            ProcessParams::new()
                .formats([OutputFormat::Bvh])
                .trim(0.0, 1.0),
        )
        .send(&client)
        .await
        .unwrap()
        .rid;
    assert_ne!(first, second);
    client
        .wait_one_with(&second, &WaitOptions::fast())
        .await
        .unwrap();
    assert_eq!(
        balance - client.credit_balance().await.unwrap(),
        1.0,
        "1 s after trim"
    );
    let out = tempfile::tempdir().unwrap();
    let files = motionkit_deepmotion::download_outputs(
        &client,
        &second,
        out.path(),
        motionkit_deepmotion::SaveOutputs::default(),
        None,
    )
    .await
    .unwrap();
    let bvh = parse_bvh(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(bvh.frames, 30, "trimmed to 1 s at 30 fps");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn sessions_expiring_mid_batch_are_renewed_without_failures() {
    let sandbox = sandbox(|args: &mut SandboxArgs| {
        args.session_ttl = 1.0;
        args.time_scale = 15.0;
    })
    .await;
    let client = client(&sandbox);
    let inputs = tempfile::tempdir().unwrap();
    let mut rids = Vec::new();
    for i in 0..6 {
        let video = copy_fixture(inputs.path(), "walk.mp4", &format!("s{i}.mp4"));
        let upload = client
            .upload(&video, &UploadOptions::default())
            .await
            .unwrap();
        rids.push(Process::new(&upload).send(&client).await.unwrap().rid);
    }
    let outcomes = client
        .wait_with(&rids, &WaitOptions::fast(), |_| {})
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let logins = sandbox.deepmotion().successful_auths();
    assert!(
        logins >= 2,
        "the session was renewed mid-batch: {logins} logins"
    );
    assert_eq!(client.transport().stats().session_logins, logins);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn webhook_events_reach_the_receiver_and_forgeries_are_refused() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let (sender, mut events) = tokio::sync::mpsc::channel(16);
    let served = motionkit_deepmotion::WebhookReceiver::new(client.client_id())
        .with_events(sender)
        .serve("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("http://{}/", served.local_addr());
    client
        .create_webhook(&url, &["job.completed"])
        .await
        .unwrap();

    let upload = client
        .upload(&fixture("turn.mov"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .unwrap()
        .unwrap()
        .confirm();
    assert_eq!(event.rid, rid);
    assert_eq!(event.succeeded, Some(true));

    let forged = reqwest::Client::new()
        .post(&url)
        .header("X-DeepMotion-Signature", "someone-else")
        .body(format!(
            r#"{{"eventType":"job.completed","data":{{"taskId":"{rid}","status":"success"}}}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let repeat = reqwest::Client::new()
        .post(&url)
        .header("X-DeepMotion-Signature", "sandbox")
        .body(format!(
            r#"{{"eventType":"job.completed","data":{{"taskId":"{rid}","status":"success"}}}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(repeat.status(), 200, "a repeated delivery is acknowledged");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.recv())
            .await
            .is_err(),
        "and not handed to the application twice"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn with_20_percent_injected_faults_every_job_completes_and_is_charged_once() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.toml");
    std::fs::write(
        &faults,
        "seed = 11\nretry_status_rate = 0.2\n[default]\nerror_rate = 0.15\nreset_rate = 0.05\nlatency_ms = 30\nlatency_rate = 0.2\n",
    )
    .unwrap();
    let sandbox = sandbox(|args: &mut SandboxArgs| args.faults = Some(faults)).await;
    let retry = RetryPolicy::default()
        .max_attempts(10)
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(200))
        .budget(
            RetryBudget::default()
                .capacity(1000)
                .refill_per_second(100.0),
        );
    let client = client_with(&sandbox, retry);
    let before = sandbox.deepmotion().credits();
    let inputs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for i in 0..10 {
        let video = copy_fixture(inputs.path(), "walk.mp4", &format!("f{i}.mp4"));
        let client = client.clone();
        let out = out.path().join(format!("{i}"));
        runs.push(tokio::spawn(async move {
            Animate::new(video, out)
                .params(ProcessParams::new().formats([OutputFormat::Bvh]))
                .wait_options(WaitOptions::fast())
                .send(&client)
                .await
        }));
    }
    for run in runs {
        let animation = run.await.unwrap().unwrap();
        let bvh = parse_bvh(&std::fs::read_to_string(&animation.files[0]).unwrap()).unwrap();
        assert_eq!(bvh.frames, 60);
    }
    assert!(
        sandbox.deepmotion().injected_faults() > 0,
        "faults were injected"
    );
    assert_eq!(sandbox.deepmotion().process_submissions(), 10);
    assert_eq!(
        before - sandbox.deepmotion().credits(),
        20.0,
        "each job charged once"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_resumable_upload_survives_dropped_connections() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.json");
    std::fs::write(&faults, r#"{"seed": 5, "upload_drop_rate": 0.4}"#).unwrap();
    let sandbox = sandbox(|args: &mut SandboxArgs| args.faults = Some(faults)).await;
    let client = client(&sandbox);
    let video = dir.path().join("long.mp4");
    let bytes = padded_mp4(
        &std::fs::read(fixture("walk.mp4")).unwrap(),
        3 * 1024 * 1024 + 123,
    );
    std::fs::write(&video, &bytes).unwrap();
    let options = UploadOptions::default().chunk_size(256 * 1024);
    let upload = client.upload(&video, &options).await.unwrap();
    assert_eq!(upload.size, bytes.len() as u64);
    assert!(
        sandbox.deepmotion().injected_faults() > 0,
        "connections were dropped"
    );
    let info = client.video_info(&upload.url).await.unwrap();
    assert_eq!(
        info.size,
        Some(bytes.len() as i64),
        "the stored object is complete"
    );
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    sandbox.shutdown().await;
}

/// A proxy in front of the sandbox that lets the first `POST /process`
/// through but answers 502 instead of passing the server's answer back: the
/// job exists, the client does not know its rid.
///
/// With `then_die`, the proxy also stops listening right after: the client
/// can neither get the answer nor look the job up.
async fn lossy_proxy(upstream: String, then_die: bool) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use std::sync::atomic::{AtomicBool, Ordering};

    let dropped = Arc::new(AtomicBool::new(false));
    let died = Arc::new(tokio::sync::Notify::new());
    let die = died.clone();
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (http, upstream, dropped) = (http.clone(), upstream.clone(), dropped.clone());
            let die = die.clone();
            async move {
                let url = format!(
                    "{upstream}{}",
                    uri.path_and_query().map_or("", |p| p.as_str())
                );
                let mut request = http.request(method.clone(), url).body(body);
                for (name, value) in &headers {
                    if name != "host" {
                        request = request.header(name, value);
                    }
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let mut out_headers = HeaderMap::new();
                for (name, value) in response.headers() {
                    out_headers.insert(name, value.clone());
                }
                let bytes = response.bytes().await.unwrap();
                if method == Method::POST
                    && uri.path() == "/process"
                    && !dropped.swap(true, Ordering::SeqCst)
                {
                    if then_die {
                        die.notify_one();
                    }
                    return (StatusCode::BAD_GATEWAY, HeaderMap::new(), Bytes::new());
                }
                (status, out_headers, bytes)
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { died.notified().await })
            .await
    });
    url
}

#[tokio::test]
async fn a_lost_process_answer_is_recovered_from_the_list_not_resubmitted() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = lossy_proxy(sandbox.deepmotion_url(), false).await;
    let client = Client::builder(proxy, "sandbox", "sandbox-secret".to_owned())
        .build()
        .unwrap();
    let before = sandbox.deepmotion().credits();
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    assert_eq!(
        sandbox.deepmotion().process_submissions(),
        1,
        "not submitted twice"
    );
    assert_eq!(
        sandbox.deepmotion().job_ids(),
        vec![rid.clone()],
        "the adopted job is the one created"
    );
    assert_eq!(before - sandbox.deepmotion().credits(), 2.0, "charged once");
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_lost_process_answer_that_cannot_be_looked_up_is_reported_as_maybe_created() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let proxy = lossy_proxy(sandbox.deepmotion_url(), true).await;
    let through_proxy = Client::builder(proxy, "sandbox", "sandbox-secret".to_owned())
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let error = Process::new(&upload)
        .send(&through_proxy)
        .await
        .unwrap_err();
    // The job exists but `/list` is out of reach: the caller must learn
    // that the job may exist (so it looks before resubmitting), not that
    // nothing was sent, which the failed lookup alone would say.
    assert_ne!(
        error.sent(),
        motionkit_transport::Sent::NotSent,
        "{error:?}"
    );
    let Error::SubmissionUnknown { pending, cause } = &error else {
        panic!("expected SubmissionUnknown, got {error:?}");
    };
    assert_eq!(pending.upload_name.as_deref(), Some(upload.name.as_str()));
    assert!(
        matches!(
            **cause,
            motionkit_transport::Error::Http { status: 502, .. }
        ),
        "{cause:?}"
    );
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_shared_watcher_polls_once_per_interval_for_many_independent_waiters() {
    let sandbox = sandbox(|args: &mut SandboxArgs| args.time_scale = 100.0).await;
    let client = client(&sandbox);
    let watcher = client.watcher(
        WaitOptions::fast()
            .first_interval(Duration::from_millis(100))
            .max_interval(Duration::from_millis(100)),
    );
    let inputs = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let video = copy_fixture(inputs.path(), "walk.mp4", &format!("w{i}.mp4"));
        let upload = client
            .upload(&video, &UploadOptions::default())
            .await
            .unwrap();
        let rid = Process::new(&upload).send(&client).await.unwrap().rid;
        let watcher = watcher.clone();
        tasks.push(tokio::spawn(async move {
            let mut moves = 0;
            let result = watcher.wait(&rid, |_| moves += 1).await;
            (result, moves)
        }));
    }
    for task in tasks {
        let (result, moves) = task.await.unwrap();
        result.unwrap();
        assert!(moves > 0, "each waiter got its own events");
    }
    let polls = sandbox.deepmotion().requests("status");
    // One status request per interval for all 20 waiters, however long a
    // loaded machine makes the jobs take: waiters polling on their own
    // would make 20 per interval.
    let intervals = started.elapsed().as_millis() / 100 + 2;
    assert!(
        polls <= intervals as u64,
        "{polls} status requests for 20 waiters over {intervals} intervals"
    );
    // A rid the server does not know ends that wait alone.
    let err = watcher.wait("no-such-job", |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::UnknownJob { .. }), "{err}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_server_with_a_short_url_limit_gets_shorter_batches_after_a_414() {
    let sandbox = sandbox(|args: &mut SandboxArgs| args.max_uri_bytes = 300).await;
    let client = client(&sandbox);
    let upload = client
        .upload(&fixture("pose.png"), &UploadOptions::default())
        .await
        .unwrap();
    let mut rids = Vec::new();
    for _ in 0..40 {
        rids.push(Process::new(&upload).send(&client).await.unwrap().rid);
    }
    let statuses = client.status(&rids).await.unwrap();
    let seen: BTreeSet<&str> = statuses.iter().map(|s| s.rid.as_str()).collect();
    let wanted: BTreeSet<&str> = rids.iter().map(String::as_str).collect();
    assert_eq!(seen, wanted, "every job answered despite the refusals");
    let refusals = sandbox.deepmotion().uri_too_long();
    assert!(
        (1..=5).contains(&refusals),
        "{refusals} refusals to find a 300-byte limit"
    );
    let limit = client.max_path_bytes();
    assert!(limit <= 300, "limit learnt: {limit}");

    // The limit is kept: later calls fit at once, in as few requests as it allows.
    let before = sandbox.deepmotion().requests("status");
    client.status(&rids).await.unwrap();
    let links = client.download_links(&rids).await.unwrap();
    assert_eq!(links.len(), 40);
    assert_eq!(sandbox.deepmotion().uri_too_long(), refusals, "no new 414");
    let per_request = (limit - "/status/".len() + 1) / 27;
    assert_eq!(
        sandbox.deepmotion().requests("status") - before,
        40u64.div_ceil(per_request as u64)
    );
    client
        .wait_with(&rids, &WaitOptions::fast(), |_| {})
        .await
        .unwrap();
    assert_eq!(sandbox.deepmotion().uri_too_long(), refusals);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn parameters_the_client_does_not_know_reach_the_server_as_given() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let params = ProcessParams::parse(&["formats=bvh", "camera=1"]).unwrap();
    assert_eq!(params.warnings().len(), 1, "a warning, not an error");
    let rid = Process::new(&upload)
        .params(params)
        .send(&client)
        .await
        .unwrap()
        .rid;
    assert_eq!(
        sandbox.deepmotion().job_params(&rid).unwrap(),
        ["formats=bvh", "camera=1"]
    );
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    sandbox.shutdown().await;
}
