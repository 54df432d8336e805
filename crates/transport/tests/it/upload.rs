//! Single and resumable uploads to signed URLs.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use motionkit_transport::{
    Auth, Error, Progress, RESUMABLE_CHUNK_ALIGN, RetryPolicy, SessionStatus, SessionUri,
    Transport, UploadOptions,
};
use proptest::prelude::*;

use crate::common::*;

const KIB: u64 = 1024;
const CHUNK: u64 = RESUMABLE_CHUNK_ALIGN;

/// What the storage does with the next chunk `PUT`, instead of storing it.
#[derive(Debug, Clone, Copy)]
enum Mishap {
    /// Forget everything and answer 308 without `Range`.
    ForgetAll,
    /// The session is gone: 410.
    Gone,
    /// Read the chunk, store nothing, answer 503.
    Unavailable,
}

#[derive(Default)]
struct Storage {
    sessions: Mutex<HashMap<String, Vec<u8>>>,
    finished: Mutex<Option<Vec<u8>>>,
    /// File offsets at which the next chunk covering them breaks the
    /// connection.
    drop_points: Mutex<VecDeque<u64>>,
    mishaps: Mutex<VecDeque<Mishap>>,
    lie_about_size: std::sync::atomic::AtomicBool,
    starts: AtomicUsize,
    chunk_starts: Mutex<Vec<u64>>,
    status_queries: AtomicUsize,
    drops: AtomicUsize,
    bytes_received: AtomicU64,
    complaints: Mutex<Vec<String>>,
}

impl Storage {
    fn complain(&self, what: String) {
        self.complaints.lock().unwrap().push(what);
    }
}

fn forbidden_headers(storage: &Storage, request: &hyper::Request<Incoming>) {
    for name in ["cookie", "authorization"] {
        if request.headers().contains_key(name) {
            storage.complain(format!("{name} sent to storage"));
        }
    }
}

async fn storage_server(storage: Arc<Storage>) -> String {
    serve_hyper(move |request: hyper::Request<Incoming>| {
        let storage = storage.clone();
        async move { handle(storage, request).await }
    })
    .await
}

async fn handle(
    storage: Arc<Storage>,
    request: hyper::Request<Incoming>,
) -> Result<HyperResponse, std::io::Error> {
    forbidden_headers(&storage, &request);
    let path = request.uri().path().to_owned();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    if request.method() == hyper::Method::POST && path == "/bucket/video.mp4" {
        if header("x-goog-resumable").as_deref() != Some("start") {
            storage.complain("start without x-goog-resumable".into());
        }
        if request.uri().query() != Some("X-Goog-Signature=SIG") {
            storage.complain("signed query lost".into());
        }
        let n = storage.starts.fetch_add(1, Ordering::SeqCst) + 1;
        let id = format!("s{n}");
        storage
            .sessions
            .lock()
            .unwrap()
            .insert(id.clone(), Vec::new());
        let location = format!("/upload/{id}?upload_id=SESSIONSECRET");
        return Ok(reply(201, &[("location", &location)], ""));
    }
    let Some(id) = path.strip_prefix("/upload/").map(str::to_owned) else {
        return Ok(reply(404, &[], "no such path"));
    };
    let range = header("content-range").unwrap_or_default();
    let declared_len: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
    let Some(committed) = storage.sessions.lock().unwrap().get(&id).map(Vec::len) else {
        return Ok(reply(404, &[], "no such session"));
    };
    let committed = committed as u64;
    let spec = range.strip_prefix("bytes ").unwrap_or("");
    let (span, total) = spec.split_once('/').unwrap();
    let total: u64 = total.parse().unwrap();
    if span == "*" {
        storage.status_queries.fetch_add(1, Ordering::SeqCst);
        if committed == total {
            // `bytes */TOTAL` with everything stored finalises the object.
            let data = storage.sessions.lock().unwrap()[&id].clone();
            *storage.finished.lock().unwrap() = Some(data);
        }
        return Ok(status_answer(&storage, committed, total));
    }
    let (start, end) = span.split_once('-').unwrap();
    let (start, end): (u64, u64) = (start.parse().unwrap(), end.parse().unwrap());
    if start != committed {
        storage.complain(format!("chunk at {start} but {committed} committed"));
        return Ok(reply(400, &[], "bad offset"));
    }
    if declared_len != Some(end - start + 1) {
        storage.complain(format!("content-length {declared_len:?} for {range}"));
    }
    if start % CHUNK != 0 {
        storage.complain(format!("unaligned chunk start {start}"));
    }
    storage.chunk_starts.lock().unwrap().push(start);

    let drop_at = {
        let mut points = storage.drop_points.lock().unwrap();
        while points.front().is_some_and(|p| *p < start) {
            points.pop_front();
        }
        match points.front() {
            Some(p) if *p <= end => points.pop_front(),
            _ => None,
        }
    };
    let mishap = if drop_at.is_none() {
        storage.mishaps.lock().unwrap().pop_front()
    } else {
        None
    };

    let mut body = request.into_body();
    let mut received = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map(|f| f.into_data()) else {
            break;
        };
        let Ok(data) = data else { continue };
        received.extend_from_slice(&data);
        if let Some(point) = drop_at
            && start + received.len() as u64 >= point
        {
            break;
        }
    }
    storage
        .bytes_received
        .fetch_add(received.len() as u64, Ordering::SeqCst);

    if let Some(point) = drop_at {
        // Keep what a real store would: whole 256 KiB units received.
        let keep = (point / CHUNK * CHUNK).max(start) - start;
        let keep = keep.min(received.len() as u64) as usize;
        storage
            .sessions
            .lock()
            .unwrap()
            .get_mut(&id)
            .unwrap()
            .extend_from_slice(&received[..keep]);
        storage.drops.fetch_add(1, Ordering::SeqCst);
        return Err(std::io::Error::other("connection dropped by the test"));
    }
    match mishap {
        Some(Mishap::ForgetAll) => {
            storage
                .sessions
                .lock()
                .unwrap()
                .get_mut(&id)
                .unwrap()
                .clear();
            return Ok(reply(308, &[], ""));
        }
        Some(Mishap::Gone) => {
            storage.sessions.lock().unwrap().remove(&id);
            return Ok(reply(410, &[], "session expired"));
        }
        Some(Mishap::Unavailable) => return Ok(reply(503, &[], "try later")),
        None => {}
    }
    if received.len() as u64 != end - start + 1 {
        storage.complain(format!("short chunk {} for {range}", received.len()));
        return Ok(reply(400, &[], "short chunk"));
    }
    let now_committed = {
        let mut sessions = storage.sessions.lock().unwrap();
        let data = sessions.get_mut(&id).unwrap();
        data.extend_from_slice(&received);
        if data.len() as u64 == total {
            *storage.finished.lock().unwrap() = Some(data.clone());
        }
        data.len() as u64
    };
    Ok(status_answer(&storage, now_committed, total))
}

fn status_answer(storage: &Storage, committed: u64, total: u64) -> HyperResponse {
    if committed == total && storage.finished.lock().unwrap().is_some() {
        let size = if storage.lie_about_size.load(Ordering::SeqCst) {
            total + 1
        } else {
            total
        };
        return reply(
            200,
            &[],
            format!(r#"{{"name":"video.mp4","size":"{size}"}}"#),
        );
    }
    if committed == 0 {
        return reply(308, &[], "");
    }
    reply(308, &[("range", &format!("bytes=0-{}", committed - 1))], "")
}

fn test_file(len: u64) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(file.path(), &data).unwrap();
    file
}

fn storage_transport(base: &str) -> Transport {
    Transport::builder(base)
        .auth(Auth::bearer("eyJ.jwt-not-for-storage.sig".to_owned()))
        .retry(fast_retry().max_attempts(6))
        .timeouts(fast_timeouts())
        .build()
        .unwrap()
}

fn options(chunk_size: u64) -> UploadOptions {
    UploadOptions::default()
        .content_type(Some("video/mp4".into()))
        .chunk_size(chunk_size)
}

async fn upload_with(storage: Arc<Storage>, len: u64, chunk: u64) -> Result<(), Error> {
    let base = storage_server(storage.clone()).await;
    let file = test_file(len);
    let transport = storage_transport(&base);
    let url = format!("{base}/bucket/video.mp4?X-Goog-Signature=SIG");
    let report = transport
        .upload_resumable(&url, file.path(), &options(chunk))
        .await?;
    let expected = std::fs::read(file.path()).unwrap();
    let stored = storage.finished.lock().unwrap().clone().expect("finished");
    assert!(stored == expected, "stored object differs");
    assert_eq!(report.bytes, len);
    assert!(report.bytes_sent >= len);
    assert_eq!(*storage.complaints.lock().unwrap(), Vec::<String>::new());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn resumable_upload_survives_dropped_connections(
        len in 1u64..=3 * 1024 * KIB,
        chunk_units in 1u64..=3,
        drops in proptest::collection::vec(0.0f64..1.0, 0..=3),
    ) {
        let chunk = chunk_units * CHUNK;
        let mut points: Vec<u64> = drops.iter().map(|d| (d * len as f64) as u64).collect();
        points.sort_unstable();
        points.dedup();
        let storage = Arc::new(Storage::default());
        storage.drop_points.lock().unwrap().extend(points.iter().copied());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(upload_with(storage.clone(), len, chunk)).unwrap();
        let faults = storage.drops.load(Ordering::SeqCst) as u64;
        // Every drop point lies ahead of the committed offset, so each is hit.
        prop_assert_eq!(faults, points.len() as u64);
        let resent = storage.bytes_received.load(Ordering::SeqCst) - len;
        prop_assert!(
            resent <= faults * chunk,
            "re-sent {} bytes over {} faults with {}-byte chunks", resent, faults, chunk
        );
        prop_assert!(storage.status_queries.load(Ordering::SeqCst) as u64 >= faults);
    }
}

#[tokio::test]
async fn a_308_without_range_restarts_from_zero() {
    let storage = Arc::new(Storage::default());
    storage
        .mishaps
        .lock()
        .unwrap()
        .extend([Mishap::Unavailable, Mishap::ForgetAll]);
    // Chunk 0 → 503 (nothing stored); status query → 308 no Range; chunk 0
    // again → 308 without Range (nothing kept); chunk 0 once more, then the rest.
    upload_with(storage.clone(), 3 * CHUNK + 10, CHUNK)
        .await
        .unwrap();
    let starts = storage.chunk_starts.lock().unwrap().clone();
    assert_eq!(starts, vec![0, 0, 0, CHUNK, 2 * CHUNK, 3 * CHUNK]);
    assert_eq!(storage.starts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_expired_session_starts_a_new_one() {
    let storage = Arc::new(Storage::default());
    storage.drop_points.lock().unwrap().push_back(CHUNK + 5);
    storage.mishaps.lock().unwrap().push_back(Mishap::Gone);
    // Chunk 0 is stored; chunk 1 drops mid-way; the status query says
    // resume at chunk 1; that PUT gets 410 → a new session from zero.
    upload_with(storage.clone(), 2 * CHUNK + 1, CHUNK)
        .await
        .unwrap();
    assert_eq!(storage.starts.load(Ordering::SeqCst), 2);
    let starts = storage.chunk_starts.lock().unwrap().clone();
    assert_eq!(starts.first(), Some(&0));
    assert_eq!(starts.iter().filter(|s| **s == 0).count(), 2, "{starts:?}");
}

#[tokio::test]
async fn a_wrong_final_size_is_an_error() {
    let storage = Arc::new(Storage::default());
    storage.lie_about_size.store(true, Ordering::SeqCst);
    let error = upload_with(storage, CHUNK + 1, CHUNK).await.unwrap_err();
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        !text.contains("SESSIONSECRET") && !text.contains("SIG"),
        "{text}"
    );
}

#[tokio::test]
async fn an_empty_file_and_bad_chunk_sizes() {
    upload_with(Arc::new(Storage::default()), 0, CHUNK)
        .await
        .unwrap();
    let storage = Arc::new(Storage::default());
    let base = storage_server(storage.clone()).await;
    let file = test_file(10);
    let error = storage_transport(&base)
        .upload_resumable(
            &format!("{base}/bucket/video.mp4"),
            file.path(),
            &options(1000),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert_eq!(storage.starts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_single_put_streams_the_file_without_credentials() {
    let received = Arc::new(Mutex::new(Vec::<(hyper::HeaderMap, bytes::Bytes)>::new()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let (seen, tries) = (received.clone(), attempts.clone());
    let base = serve_hyper(move |request: hyper::Request<Incoming>| {
        let (seen, tries) = (seen.clone(), tries.clone());
        async move {
            let headers = request.headers().clone();
            let body = request.into_body().collect().await.unwrap().to_bytes();
            seen.lock().unwrap().push((headers, body));
            if tries.fetch_add(1, Ordering::SeqCst) == 0 {
                return Ok(reply(503, &[], "warming up"));
            }
            Ok(reply(200, &[], ""))
        }
    })
    .await;
    let len = 3 * 1024 * KIB + 7;
    let file = test_file(len);
    let last_progress = Arc::new(Mutex::new(None::<Progress>));
    let sink = last_progress.clone();
    let options = UploadOptions::default()
        .content_type(Some("video/mp4".into()))
        .progress(Some(Arc::new(move |p| *sink.lock().unwrap() = Some(p))));
    let report = storage_transport(&base)
        .upload_file(
            &format!("{base}/bucket/video.mp4?X-Goog-Signature=SIG"),
            file.path(),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(report.bytes, len);
    assert_eq!(report.faults, 1);
    let expected = std::fs::read(file.path()).unwrap();
    let received = received.lock().unwrap();
    assert_eq!(
        received.len(),
        2,
        "retried after the 503, re-reading the file"
    );
    for (headers, body) in received.iter() {
        assert!(body[..] == expected[..], "body differs");
        assert_eq!(headers["content-length"], len.to_string().as_str());
        assert!(!headers.contains_key("transfer-encoding"));
        assert!(!headers.contains_key("authorization"));
        assert!(!headers.contains_key("cookie"));
        assert_eq!(headers["content-type"], "video/mp4");
    }
    assert_eq!(
        *last_progress.lock().unwrap(),
        Some(Progress {
            bytes: len,
            total: Some(len)
        })
    );
}

#[tokio::test]
async fn a_stalled_upload_times_out() {
    let base = serve_hyper(|_request: hyper::Request<Incoming>| async move {
        // Never read the body, never answer.
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(reply(200, &[], ""))
    })
    .await;
    let file = test_file(8 * 1024 * KIB);
    let mut timeouts = fast_timeouts();
    timeouts.transfer_stall = Duration::from_millis(300);
    let transport = Transport::builder(&base)
        .retry(RetryPolicy::never())
        .timeouts(timeouts)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = transport
        .upload_file(&format!("{base}/o"), file.path(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// An upload that stops at its first fault, as a process killed mid-upload
/// would; returns the session URI it handed out.
async fn interrupted_upload(base: &str, path: &std::path::Path) -> SessionUri {
    let transport = Transport::builder(base)
        .retry(RetryPolicy::never())
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
    let saved = Arc::new(Mutex::new(Vec::<SessionUri>::new()));
    let sink = saved.clone();
    let options = options(CHUNK).on_session(Some(Arc::new(move |uri: &SessionUri| {
        sink.lock().unwrap().push(uri.clone())
    })));
    let url = format!("{base}/bucket/video.mp4?X-Goog-Signature=SIG");
    transport
        .upload_resumable(&url, path, &options)
        .await
        .unwrap_err();
    let saved = saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1, "one session started and handed out");
    assert!(saved[0].expose().contains("upload_id=SESSIONSECRET"));
    saved[0].clone()
}

#[tokio::test]
async fn an_upload_goes_on_in_the_session_an_earlier_process_started() {
    let storage = Arc::new(Storage::default());
    let base = storage_server(storage.clone()).await;
    let len = 4 * CHUNK + 99;
    let file = test_file(len);
    // The first process dies in the middle of chunk 2.
    storage
        .drop_points
        .lock()
        .unwrap()
        .push_back(2 * CHUNK + 1000);
    let session = interrupted_upload(&base, file.path()).await;

    // A new process (another transport) asks where the storage stands...
    let transport = storage_transport(&base);
    assert_eq!(
        transport.upload_status(&session, len).await.unwrap(),
        SessionStatus::Incomplete {
            committed: 2 * CHUNK
        }
    );
    // ...and goes on from there in the same session.
    let report = transport
        .upload_resumable(
            &format!("{base}/bucket/video.mp4?X-Goog-Signature=SIG"),
            file.path(),
            &options(CHUNK).resume(Some(session.clone())),
        )
        .await
        .unwrap();
    assert_eq!(report.resumed_from, Some(2 * CHUNK));
    assert_eq!(report.resume_gone, None);
    assert_eq!(report.sessions, 0, "no new session");
    assert_eq!(storage.starts.load(Ordering::SeqCst), 1);
    assert_eq!(report.bytes_sent, len - 2 * CHUNK);
    let starts = storage.chunk_starts.lock().unwrap().clone();
    assert_eq!(
        starts,
        vec![0, CHUNK, 2 * CHUNK, 2 * CHUNK, 3 * CHUNK, 4 * CHUNK]
    );
    let stored = storage.finished.lock().unwrap().clone().expect("finished");
    assert!(
        stored == std::fs::read(file.path()).unwrap(),
        "stored object differs"
    );
    assert!(storage.bytes_received.load(Ordering::SeqCst) <= len + CHUNK);
    assert_eq!(*storage.complaints.lock().unwrap(), Vec::<String>::new());

    // Once complete, the session says so, and resuming it sends nothing.
    assert_eq!(
        transport.upload_status(&session, len).await.unwrap(),
        SessionStatus::Complete
    );
    let again = transport
        .upload_resumable(
            &format!("{base}/bucket/video.mp4?X-Goog-Signature=SIG"),
            file.path(),
            &options(CHUNK).resume(Some(session)),
        )
        .await
        .unwrap();
    assert_eq!((again.resumed_from, again.bytes_sent), (Some(len), 0));
}

#[tokio::test]
async fn a_session_the_storage_forgot_starts_over_in_a_new_one() {
    let storage = Arc::new(Storage::default());
    let base = storage_server(storage.clone()).await;
    let len = 2 * CHUNK + 5;
    let file = test_file(len);
    let forgotten = SessionUri::new(format!("{base}/upload/s9?upload_id=SESSIONSECRET"));
    let transport = storage_transport(&base);
    assert_eq!(
        transport.upload_status(&forgotten, len).await.unwrap(),
        SessionStatus::Gone { status: 404 }
    );
    let started = Arc::new(AtomicUsize::new(0));
    let count = started.clone();
    let report = transport
        .upload_resumable(
            &format!("{base}/bucket/video.mp4?X-Goog-Signature=SIG"),
            file.path(),
            &options(CHUNK)
                .resume(Some(forgotten))
                .on_session(Some(Arc::new(move |_: &SessionUri| {
                    count.fetch_add(1, Ordering::SeqCst);
                }))),
        )
        .await
        .unwrap();
    assert_eq!(report.resume_gone, Some(404));
    assert_eq!(report.resumed_from, None);
    assert_eq!(report.sessions, 1);
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "the new session is handed out"
    );
    let stored = storage.finished.lock().unwrap().clone().expect("finished");
    assert!(
        stored == std::fs::read(file.path()).unwrap(),
        "stored object differs"
    );
}
