//! Resumable uploads against a storage that lies about what it holds: an
//! upload is never reported complete unless every byte was sent, and a
//! storage that never lets it finish cannot make it send without end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use motionkit_transport::{Error, RESUMABLE_CHUNK_ALIGN, Transport, UploadOptions};

use crate::common::*;

const MIB: u64 = 1024 * 1024;

/// How the lying storage answers a chunk, given what it really stored
/// (`held`) and the upload's total.
#[derive(Debug, Clone, Copy)]
enum Lie {
    /// After the first chunk, claim the whole file (`Range: bytes=0-(total-1)`);
    /// then answer the status query with 200.
    OverClaim,
    /// Answer the first chunk honestly, then claim fewer bytes than before.
    Backwards,
    /// Keep exactly one more byte per answer.
    OneByte,
    /// Answer every chunk with 308 and no `Range` (nothing stored).
    NoRange,
    /// Answer the first chunk with 200 and no size, as if it were the last.
    EarlyFinish,
}

#[derive(Debug)]
struct Storage {
    lie: Lie,
    held: Mutex<u64>,
    puts: AtomicU64,
    received: AtomicU64,
}

async fn lying_storage(lie: Lie) -> (String, Arc<Storage>) {
    let storage = Arc::new(Storage {
        lie,
        held: Mutex::new(0),
        puts: AtomicU64::new(0),
        received: AtomicU64::new(0),
    });
    let state = storage.clone();
    let base = serve_hyper(move |request: hyper::Request<hyper::body::Incoming>| {
        let storage = state.clone();
        async move {
            if request.method() == hyper::Method::POST {
                let host = request.headers()["host"].to_str().unwrap().to_owned();
                return Ok(reply(
                    201,
                    &[("location", &format!("http://{host}/session?upload_id=U"))],
                    "",
                ));
            }
            let range = request
                .headers()
                .get("content-range")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = request.into_body().collect().await.unwrap().to_bytes();
            storage.puts.fetch_add(1, Ordering::SeqCst);
            storage
                .received
                .fetch_add(body.len() as u64, Ordering::SeqCst);
            let total: u64 = range.rsplit('/').next().unwrap().parse().unwrap();
            let mut held = storage.held.lock().unwrap();
            let status_query = body.is_empty();
            let answer = |committed: u64| {
                if committed == 0 {
                    reply(308, &[], "")
                } else {
                    reply(308, &[("range", &format!("bytes=0-{}", committed - 1))], "")
                }
            };
            Ok(match storage.lie {
                Lie::OverClaim => {
                    if status_query {
                        reply(200, &[], "")
                    } else {
                        *held += body.len() as u64;
                        answer(total)
                    }
                }
                Lie::Backwards => {
                    if *held == 0 {
                        *held += body.len() as u64;
                        answer(*held)
                    } else {
                        answer(*held / 2)
                    }
                }
                Lie::OneByte => {
                    if !status_query {
                        *held += 1;
                    }
                    answer(*held)
                }
                Lie::NoRange => answer(0),
                Lie::EarlyFinish => reply(200, &[], ""),
            })
        }
    })
    .await;
    (base, storage)
}

fn file_of(len: u64) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vec![7u8; len as usize]).unwrap();
    file
}

async fn upload(lie: Lie, len: u64, chunk: u64) -> (Result<(), Error>, Arc<Storage>, Duration) {
    let (base, storage) = lying_storage(lie).await;
    let transport = Transport::builder(&base)
        .retry(fast_retry().max_attempts(6))
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
    let file = file_of(len);
    let options = UploadOptions::default().chunk_size(chunk);
    let started = Instant::now();
    let result = transport
        .upload_resumable(&format!("{base}/o?sig=S"), file.path(), &options)
        .await
        .map(drop);
    (result, storage, started.elapsed())
}

fn assert_protocol_error(result: &Result<(), Error>, says: &str) {
    match result {
        Err(error @ Error::Protocol { .. }) => {
            assert!(error.to_string().contains(says), "{error}");
            assert!(error.is_server_fault(), "{error}");
            assert!(!error.is_temporary(), "{error}");
        }
        other => panic!("expected a protocol error saying {says:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_308_claiming_bytes_never_sent_ends_the_upload() {
    let (result, storage, _) = upload(Lie::OverClaim, 20 * MIB, 8 * MIB).await;
    assert_protocol_error(&result, "only 8388608 were sent");
    assert_eq!(
        storage.puts.load(Ordering::SeqCst),
        1,
        "no status query, no 200"
    );
}

#[tokio::test]
async fn a_storage_that_forgets_committed_bytes_ends_the_upload() {
    let (result, _, _) = upload(Lie::Backwards, 2 * MIB, RESUMABLE_CHUNK_ALIGN).await;
    assert_protocol_error(&result, "after it had confirmed 262144");
}

#[tokio::test]
async fn one_more_byte_per_answer_is_not_progress() {
    let (result, storage, took) = upload(Lie::OneByte, MIB, 8 * MIB).await;
    assert!(result.is_err(), "{result:?}");
    let received = storage.received.load(Ordering::SeqCst);
    // Twice the file plus a chunk per attempt (6) at most: not gigabytes.
    assert!(
        received <= 9 * MIB,
        "{received} bytes sent for a 1 MiB file"
    );
    assert!(storage.puts.load(Ordering::SeqCst) < 30);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn a_storage_that_never_keeps_anything_cannot_make_it_send_forever() {
    let (result, storage, took) = upload(Lie::NoRange, MIB, RESUMABLE_CHUNK_ALIGN).await;
    assert!(result.is_err(), "{result:?}");
    let received = storage.received.load(Ordering::SeqCst);
    assert!(
        received <= 4 * MIB,
        "{received} bytes sent for a 1 MiB file"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn a_200_before_the_last_chunk_is_not_a_finished_upload() {
    let (result, _, _) = upload(Lie::EarlyFinish, 2 * MIB, RESUMABLE_CHUNK_ALIGN).await;
    match result {
        Err(Error::Protocol { message, .. }) => {
            assert!(message.contains("of 2097152 bytes stored"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
