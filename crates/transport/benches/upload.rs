//! Upload throughput and peak memory.
//!
//! Creates a sparse file (1 GiB by default), uploads it to a local server
//! that discards the bytes — once with a single `PUT`, once with the
//! resumable protocol — and prints the throughput and the process's peak
//! RSS (`VmHWM`). Uploads stream from disk, so the peak must stay under
//! 32 MiB whatever the file size.
//!
//! ```text
//! cargo bench -p motionkit-transport --bench upload
//! MOTIONKIT_BENCH_BYTES=64M cargo bench -p motionkit-transport --bench upload
//! cargo bench -p motionkit-transport --bench upload -- 256M
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use futures::StreamExt;
use motionkit_transport::{Transport, UploadOptions};

const RSS_LIMIT_KIB: u64 = 32 * 1024;

#[derive(Default)]
struct Sink {
    received: AtomicU64,
    committed: AtomicU64,
}

async fn drain(sink: &Sink, body: Body) -> u64 {
    let mut stream = body.into_data_stream();
    let mut n = 0u64;
    while let Some(Ok(chunk)) = stream.next().await {
        n += chunk.len() as u64;
    }
    sink.received.fetch_add(n, Ordering::Relaxed);
    n
}

async fn single(State(sink): State<Arc<Sink>>, body: Body) -> impl IntoResponse {
    drain(&sink, body).await;
    StatusCode::OK
}

async fn start() -> impl IntoResponse {
    (StatusCode::CREATED, [("location", "/session")])
}

async fn chunk(State(sink): State<Arc<Sink>>, headers: HeaderMap, body: Body) -> Response {
    let range = headers
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (span, total) = range
        .trim_start_matches("bytes ")
        .split_once('/')
        .unwrap_or(("*", "0"));
    let total: u64 = total.parse().unwrap_or(0);
    if span != "*" {
        let n = drain(&sink, body).await;
        sink.committed.fetch_add(n, Ordering::Relaxed);
    }
    let committed = sink.committed.load(Ordering::Relaxed);
    if committed >= total {
        return (StatusCode::OK, format!(r#"{{"size":"{total}"}}"#)).into_response();
    }
    let range = format!("bytes=0-{}", committed - 1);
    Response::builder()
        .status(308)
        .header("range", range)
        .body(Body::empty())
        .unwrap()
}

fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let factor = match unit
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(what: &str, bytes: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{what:>10}: {mib:.0} MiB in {secs:.2} s = {:.0} MiB/s",
        mib / secs.max(1e-9)
    );
}

fn main() {
    let size = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .or_else(|| std::env::var("MOTIONKIT_BENCH_BYTES").ok())
        .map(|s| parse_size(&s).expect("size like 1073741824, 64M or 1G"))
        .unwrap_or(1 << 30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let passed = runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse.bin");
        std::fs::File::create(&path).unwrap().set_len(size).unwrap();

        let sink = Arc::new(Sink::default());
        let router = axum::Router::new()
            .route("/single", put(single))
            .route("/resumable", post(start))
            .route("/session", put(chunk))
            .with_state(sink.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

        let transport = Transport::builder(&base).build().unwrap();
        println!("file: {size} bytes (sparse)");

        let started = Instant::now();
        transport
            .upload_file(
                &format!("{base}/single?sig=x"),
                &path,
                &UploadOptions::default(),
            )
            .await
            .unwrap();
        report("single", size, started);

        let started = Instant::now();
        let done = transport
            .upload_resumable(
                &format!("{base}/resumable?sig=x"),
                &path,
                &UploadOptions::default(),
            )
            .await
            .unwrap();
        report("resumable", done.bytes, started);
        assert_eq!(sink.received.load(Ordering::Relaxed), 2 * size);

        let peak = peak_rss_kib();
        match peak {
            Some(kib) => {
                let pass = kib < RSS_LIMIT_KIB;
                println!(
                    "peak RSS (VmHWM): {:.1} MiB, limit {} MiB: {}",
                    kib as f64 / 1024.0,
                    RSS_LIMIT_KIB / 1024,
                    if pass { "PASS" } else { "FAIL" }
                );
                pass
            }
            None => {
                println!("peak RSS: unavailable (no /proc/self/status)");
                true
            }
        }
    });
    if !passed {
        std::process::exit(1);
    }
}
