//! A webhook receiver that cannot be held shut, with its log volume: a
//! test binary of its own, because the log capture is a thread-local
//! subscriber and tracing caches per call site whether anyone listens
//! (tests running at the same time in other threads would register the
//! refusal log's call site as unobserved).

use std::time::Duration;

use futures::StreamExt as _;
use motionkit_tests::trickling_body;

/// A writer that keeps what the tracing subscriber prints.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn slow_and_forged_deliveries_cannot_hold_the_generate_receiver_shut() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing_subscriber::util::SubscriberInitExt::set_default(subscriber);

    let receiver = motionkit_motiondynamic::WebhookReceiver::new("http://h");
    let (key, url) = receiver.issue();
    let path = url.strip_prefix("http://h").unwrap().to_owned();
    let forged = format!("/{key}/AAAAforgedtokenAAAA");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(motionkit_transport::serve_receiver(
        listener,
        receiver.router(),
        std::future::pending(),
    ));

    // 100 bodies at one byte a second, on forged paths: refused from their
    // head, they take none of the 64 slots.
    let mut slow = Vec::new();
    for _ in 0..100 {
        slow.push(trickling_body(&base, &forged, Duration::from_secs(1)).await);
    }
    // 10,000 forged deliveries.
    let http = reqwest::Client::new();
    let forged_url = format!("{base}{forged}");
    let answers = futures::stream::iter(0..10_000)
        .map(|_| {
            let (http, url) = (http.clone(), forged_url.clone());
            async move {
                http.post(&url)
                    .body(r#"{"video":"https://evil.example/v.mp4"}"#)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<u16>>()
        .await;
    assert!(answers.iter().all(|s| *s == 401), "{:?}", &answers[..10]);
    // The real delivery gets through at once.
    let started = std::time::Instant::now();
    let answer = http
        .post(format!("{base}{path}"))
        .body(r#"{"video":"https://cdn.example/v.mp4"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        receiver.wait(&key).await.unwrap().video,
        "https://cdn.example/v.mp4"
    );
    for task in slow {
        task.abort();
    }
    // 10,100 refusals, a handful of log lines.
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines = logs.lines().filter(|l| l.contains("refused")).count();
    assert!((1..=5).contains(&lines), "{lines} refusal lines:\n{logs}");
}
