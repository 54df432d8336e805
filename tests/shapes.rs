//! The shapes both clients share, used as a user would, against the
//! sandbox and a hostile server on 127.0.0.1:
//!
//! - one `WaitOptions` type, taken by either client;
//! - `wait(ids)` for many, `wait_one(id)` for one, `*_with` for other
//!   options;
//! - a submission result carrying the id, the warnings and the time;
//! - webhook receivers that hand events to the application's own channel
//!   (`with_events`) and serve themselves (`serve`).

use std::time::{Duration, SystemTime};

use motionkit_deepmotion::{JobCompleted, Process, ReceiverLimits, UploadOptions, WaitOptions};
use motionkit_models::motiondynamic::DEMO_THEME_ID;
use motionkit_motiondynamic::{Error as MdError, ReadyVia};
use motionkit_tests::hostile::{Hostile, Reply};
use motionkit_tests::{demo_generation, demo_values_without_city, fixture, sandbox};

#[tokio::test]
async fn both_clients_wait_for_many_and_for_one_with_one_options_type() {
    let sandbox = sandbox(|_| {}).await;
    let dm = sandbox.deepmotion_client().unwrap();
    let md = sandbox.motiondynamic_client().await.unwrap();

    // DeepMotion: each submission says when it was sent.
    let upload = dm
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let before = SystemTime::now();
    let first = Process::new(&upload).send(&dm).await.unwrap();
    let second = Process::new(&upload).send(&dm).await.unwrap();
    assert!(before <= first.submitted_at && first.submitted_at <= second.submitted_at);
    assert!(second.submitted_at <= SystemTime::now());
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);

    // Many, in the order asked, with the client's own options.
    let rids = vec![second.rid.clone(), first.rid.clone()];
    let outcomes = dm.wait(&rids).await.unwrap();
    let order: Vec<&str> = outcomes.iter().map(|o| o.rid.as_str()).collect();
    assert_eq!(order, [second.rid.as_str(), first.rid.as_str()]);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    // One; and options made from the other client's are the same type.
    dm.wait_one(&first.rid).await.unwrap();
    let borrowed: WaitOptions = md.wait_options().timeout(Duration::from_secs(60));
    dm.wait_one_with(&second.rid, &borrowed).await.unwrap();

    // MotionDynamic: a submission carries its warnings and its time.
    let theme = md.theme(DEMO_THEME_ID).await.unwrap();
    let before = SystemTime::now();
    let good = demo_values_without_city(&theme, sandbox.picture_url(1200, 680))
        .send(&md)
        .await
        .unwrap();
    assert!(before <= good.submitted_at() && good.submitted_at() <= SystemTime::now());
    assert!(
        good.warnings().iter().any(|w| w.field == "l6_ville_01"),
        "a missing value passes with a warning: {:?}",
        good.warnings()
    );
    // A picture that cannot be downloaded, sent unchecked: the API accepts
    // and then discards it. It fails alone; the other is rendered.
    let missing = format!(
        "{}/sandbox/pictures/missing.png",
        sandbox.motiondynamic_url()
    );
    let bad = demo_generation(&theme, missing)
        .fetch_pictures(false)
        .send(&md)
        .await
        .unwrap();
    let results = md.wait([&bad, &good]).await;
    assert_eq!(results.len(), 2);
    assert!(
        matches!(&results[0], Err(MdError::Discarded { .. })),
        "{:?}",
        results[0]
    );
    let video = results[1].as_ref().unwrap();
    assert_eq!(video.generation_id.as_deref(), good.id());
    // One, with options made from the other client's.
    let again = md
        .wait_one_with(&good, &dm.wait_options().timeout(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(again.url, video.url);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wait_without_a_webhook_ends_after_its_tolerated_run_of_failed_reads() {
    let server = Hostile::start(|_| Reply::json(503, r#"{"message":"down"}"#)).await;
    let client = motionkit_motiondynamic::Client::builder(server.base.clone(), "token")
        .allow_local_addresses(true)
        .retry(motionkit_motiondynamic::RetryPolicy::never())
        .build()
        .unwrap();
    let options = WaitOptions::motiondynamic()
        .every(Duration::from_millis(20))
        .jitter(0.0)
        .max_consecutive_failures(3)
        .timeout(Duration::from_secs(30));
    let started = std::time::Instant::now();
    let error = client
        .wait_for_id_with("9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", &options)
        .await
        .unwrap_err();
    assert!(error.is_temporary(), "the last failure itself: {error}");
    assert!(!matches!(error, MdError::WaitTimeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        server.count("GET", "/rest/generations"),
        4,
        "three failures tolerated, the fourth ends the wait"
    );
}

#[tokio::test]
async fn a_deepmotion_receiver_serves_itself_and_hands_events_to_the_applications_channel() {
    let (sender, mut events) = tokio::sync::mpsc::channel(4);
    let served = motionkit_deepmotion::WebhookReceiver::new("client-1")
        .limits(ReceiverLimits::default().confirm_within(Duration::from_secs(5)))
        .with_events(sender)
        .serve("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("http://{}/", served.local_addr());
    let http = reqwest::Client::new();
    let post = |signature: &'static str| {
        http.post(&url)
            .header("x-deepmotion-signature", signature)
            .header("content-type", "application/json")
            .body(r#"{"eventType":"job.completed","data":{"taskId":"r1","status":"success"}}"#)
            .send()
    };
    let delivery = tokio::spawn(post("client-1"));
    let event = events.recv().await.unwrap();
    assert_eq!(
        *event,
        JobCompleted {
            rid: "r1".into(),
            succeeded: Some(true)
        }
    );
    event.confirm();
    assert_eq!(delivery.await.unwrap().unwrap().status(), 200);
    assert_eq!(post("forged").await.unwrap().status(), 401);
    served.shutdown().await;
    assert!(
        reqwest::get(&url).await.is_err(),
        "nothing listens after shutdown"
    );

    // A receiver with no channel answers 503: nothing would act on the
    // event, so the sender must deliver it again.
    let served = motionkit_deepmotion::WebhookReceiver::new("client-1")
        .serve("127.0.0.1:0")
        .await
        .unwrap();
    let answer = http
        .post(format!("http://{}/", served.local_addr()))
        .header("x-deepmotion-signature", "client-1")
        .body(r#"{"eventType":"job.completed","data":{"taskId":"r2","status":"success"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
}

#[tokio::test]
async fn a_configured_motiondynamic_receiver_serves_itself_with_its_events_channel() {
    let sandbox = sandbox(|_| {}).await;
    let (sender, mut events) = tokio::sync::mpsc::channel(4);
    // The public base is where the sandbox reaches the receiver; the port
    // is known only once bound, so bind first and name the base after.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let served = motionkit_motiondynamic::WebhookReceiver::new(format!("http://{addr}"))
        .with_events(sender)
        .serve(addr)
        .await
        .unwrap();
    assert_eq!(served.local_addr(), addr);
    let md = sandbox
        .motiondynamic_client_builder()
        .webhooks(served.receiver().clone())
        .build()
        .unwrap();
    let theme = md.theme(DEMO_THEME_ID).await.unwrap();
    let submission = demo_generation(&theme, sandbox.picture_url(1200, 680))
        .send(&md)
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(event.key.as_str()), submission.webhook_key());
    event.confirm();
    let video = md.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, ReadyVia::Webhook);
    served.shutdown().await;
    sandbox.shutdown().await;
}
