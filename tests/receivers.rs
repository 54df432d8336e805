//! Bounded webhook receivers: the DeepMotion receiver's path token,
//! request-size and in-flight bounds, bounded queue and bounded
//! de-duplication, and the same bounds on the MotionDynamic receiver. Every
//! receiver runs on a real listener on 127.0.0.1.

use std::time::Duration;

use motionkit_deepmotion::{
    Client, DedupeStore, Delivered, JobCompleted, PathToken, Process, ReceiverLimits,
    WebhookReceiver,
};
use motionkit_tests::{fixture, sandbox, trickling_body};
use motionkit_transport::UploadOptions;
use tokio::io::AsyncWriteExt as _;

const SIGNATURE: &str = "X-DeepMotion-Signature";

fn event(rid: &str) -> String {
    format!(r#"{{"eventType":"job.completed","data":{{"taskId":"{rid}","status":"success"}}}}"#)
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn post(url: &str, signature: &str, body: String) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header(SIGNATURE, signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

type Events = tokio::sync::mpsc::Receiver<Delivered<JobCompleted>>;

/// Posts `body` while the application takes the next event from `events`
/// and confirms it: the answer comes only after the confirmation.
async fn post_confirmed(
    url: &str,
    signature: &str,
    body: String,
    events: &mut Events,
) -> (u16, String) {
    let answer = tokio::spawn({
        let (url, signature) = (url.to_owned(), signature.to_owned());
        async move { post(&url, &signature, body).await }
    });
    let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("an event")
        .expect("the channel is open")
        .confirm();
    (answer.await.unwrap(), event.rid)
}

/// Waits until `events` holds `n` events the application has not taken.
async fn queued(events: &Events, n: usize) {
    for _ in 0..500 {
        if events.len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} events queued, not {n}", events.len());
}

/// Opens a connection that sends headers announcing a body and never
/// sends it: the request stays in flight.
async fn stalled_request(base: &str, path: &str) -> tokio::net::TcpStream {
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         {SIGNATURE}: client-1\r\ncontent-length: 1000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn a_path_token_endpoint_gets_sandbox_events_and_other_paths_get_404() {
    let sandbox = sandbox(|_| {}).await;
    let client = Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (endpoint, token) = client
        .create_webhook_with_token(&base, &["job.completed"])
        .await
        .unwrap();
    assert_eq!(endpoint.url, token.endpoint_url(&base));
    assert!(token.expose_secret().len() >= 43, "256 bits");
    assert!(!format!("{token:?}").contains(token.expose_secret()));
    let (sender, mut events) = tokio::sync::mpsc::channel(16);
    let router = WebhookReceiver::new(client.client_id())
        .path_token(token.clone())
        .with_events(sender)
        .router();
    let router = axum::Router::new().nest("/hooks", router);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let upload = client
        .upload(&fixture("turn.mov"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    let received = tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .unwrap()
        .unwrap()
        .confirm();
    assert_eq!(received.rid, rid);

    // Someone who knows the client id (it is not secret) but not the URL.
    let other = PathToken::generate();
    for url in [
        format!("{base}/"),
        other.endpoint_url(&base),
        format!("{base}/x"),
    ] {
        assert_eq!(post(&url, "sandbox", event("forged")).await, 404, "{url}");
    }
    assert_eq!(
        post_confirmed(
            &token.endpoint_url(&base),
            "sandbox",
            event("r-2"),
            &mut events
        )
        .await,
        (200, "r-2".to_owned())
    );
    assert!(PathToken::from_secret("short").is_err());
    assert!(PathToken::from_secret("../../etc/passwd/aaaaaaaaaaaaaaaa").is_err());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_deepmotion_receiver_bounds_bodies_requests_queue_and_memory() {
    let mut limits = ReceiverLimits::default();
    limits.max_in_flight = 2;
    // A queue of two events: the channel the application made.
    let (sender, mut events) = tokio::sync::mpsc::channel(2);
    let router = WebhookReceiver::new("client-1")
        .dedupe(DedupeStore::in_memory_with(Duration::from_secs(3600), 3))
        .limits(limits)
        .with_events(sender)
        .router();
    let base = serve(router).await;
    let url = format!("{base}/");

    // Size: a body over 64 KiB is refused before it is read whole.
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    assert_eq!(post(&url, "client-1", huge).await, 413);

    // Queue: two events wait for the application; the third gets 503 and
    // is not marked seen. Each waiting delivery is answered 200 once the
    // application confirms its event.
    let waiting: Vec<_> = ["q1", "q2"]
        .map(|rid| tokio::spawn(post_owned(url.clone(), event(rid))))
        .into();
    queued(&events, 2).await;
    assert_eq!(post(&url, "client-1", event("q3")).await, 503);
    let mut taken = Vec::new();
    for _ in 0..2 {
        taken.push(events.recv().await.unwrap().confirm().rid);
    }
    taken.sort();
    assert_eq!(taken, ["q1", "q2"]);
    for answer in waiting {
        assert_eq!(answer.await.unwrap(), 200);
    }
    assert_eq!(
        post_confirmed(&url, "client-1", event("q3"), &mut events).await,
        (200, "q3".to_owned())
    );
    // A repeat of a confirmed event is answered 200 and not queued again.
    assert_eq!(post(&url, "client-1", event("q3")).await, 200);
    assert!(events.try_recv().is_err());

    // Memory: at most 3 keys are remembered; the oldest are forgotten.
    for rid in ["m1", "m2", "q1"] {
        assert_eq!(
            post_confirmed(&url, "client-1", event(rid), &mut events).await,
            (200, rid.to_owned()),
            "q1 was forgotten to stay within 3 keys"
        );
    }

    // Count: two requests in flight; the third gets 503 at once.
    let _a = stalled_request(&base, "/").await;
    let _b = stalled_request(&base, "/").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = reqwest::Client::new()
        .post(&url)
        .header(SIGNATURE, "client-1")
        .body(event("n1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(answer.headers()["retry-after"], "1");
    drop((_a, _b));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        post_confirmed(&url, "client-1", event("n1"), &mut events).await,
        (200, "n1".to_owned())
    );
}

async fn post_owned(url: String, body: String) -> u16 {
    post(&url, "client-1", body).await
}

#[tokio::test]
async fn an_event_the_application_drops_unconfirmed_is_delivered_again_and_acted_on_once() {
    let limits = ReceiverLimits::default().confirm_within(Duration::from_millis(300));
    let (sender, mut events) = tokio::sync::mpsc::channel(16);
    let router = WebhookReceiver::new("client-1")
        .limits(limits)
        .with_events(sender)
        .router();
    let url = format!("{}/", serve(router).await);

    // The application takes the event and fails before acting on it.
    let first = tokio::spawn(post_owned(url.clone(), event("d1")));
    drop(events.recv().await.unwrap());
    assert_eq!(
        first.await.unwrap(),
        503,
        "the sender is told to deliver again"
    );

    // It takes the redelivery and is slow: no confirmation in time is
    // 503 too, and a repeat meanwhile is held off, not handed over twice.
    let slow = tokio::spawn(post_owned(url.clone(), event("d1")));
    let held = events.recv().await.unwrap();
    assert_eq!(slow.await.unwrap(), 503);
    assert_eq!(post(&url, "client-1", event("d1")).await, 503);
    // Its late confirmation still counts: the next redelivery is a repeat.
    assert_eq!(held.confirm().rid, "d1");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(post(&url, "client-1", event("d1")).await, 200);
    assert!(events.try_recv().is_err(), "acted on once");
}

#[tokio::test]
async fn the_motiondynamic_receiver_bounds_bodies_and_requests() {
    use motionkit_motiondynamic::{
        WEBHOOK_MAX_BODY_BYTES as MAX_BODY_BYTES, WEBHOOK_MAX_IN_FLIGHT as MAX_IN_FLIGHT,
    };
    let receiver = motionkit_motiondynamic::WebhookReceiver::new("http://h");
    let (key, url) = receiver.issue();
    let path = url.strip_prefix("http://h").unwrap().to_owned();
    let base = serve(receiver.router()).await;
    let http = reqwest::Client::new();
    let big = format!("{{\"video\":\"{}\"}}", "v".repeat(MAX_BODY_BYTES));
    let answer = http
        .post(format!("{base}{path}"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);

    let mut stalled = Vec::new();
    for _ in 0..MAX_IN_FLIGHT {
        stalled.push(stalled_request(&base, &path).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let body = r#"{"video":"https://cdn.example/v.mp4"}"#;
    let answer = http
        .post(format!("{base}{path}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    drop(stalled);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = http
        .post(format!("{base}{path}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        receiver.wait(&key).await.unwrap().video,
        "https://cdn.example/v.mp4"
    );
}

#[tokio::test]
async fn an_admitted_body_that_never_arrives_whole_frees_its_slot_at_the_deadline() {
    let bounds = motionkit_transport::ReceiverBounds::new(64 * 1024, 1)
        .body_deadline(Duration::from_millis(300));
    let router = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let router = motionkit_transport::bounded_router(router, bounds, |_| Ok(()));
    let base = serve(router).await;
    let slow = trickling_body(&base, "/hook", Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let http = reqwest::Client::new();
    let busy = http
        .post(format!("{base}/hook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 503, "the one slot is held by the slow body");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let freed = http
        .post(format!("{base}/hook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        freed.status(),
        200,
        "the slow body was dropped at its deadline"
    );
    slow.abort();
}
