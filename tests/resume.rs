//! Uploads that resume across runs, with the library against the sandbox
//! on 127.0.0.1: an upload stopped half-way goes on from the storage's
//! committed offset with the saved `ResumeState`, and starts over, saying
//! why, when the file changed or the session expired.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motionkit_deepmotion::{
    Animate, AnimateEvent, Client, ResumeState, StartOver, UploadEvent, UploadVideo, WaitOptions,
};
use motionkit_sandbox::Sandbox;
use motionkit_tests::{fixture, padded_mp4, sandbox};
use motionkit_transport::UploadOptions;
use motionkit_validation::{OutputFormat, ProcessParams};

const CHUNK: u64 = 1024 * 1024;

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .unwrap()
}

fn options() -> UploadOptions {
    UploadOptions::default().chunk_size(CHUNK)
}

/// A valid MP4 of `size` bytes in `dir`.
fn video(dir: &Path, size: usize) -> PathBuf {
    let path = dir.join("long.mp4");
    let bytes = padded_mp4(&std::fs::read(fixture("walk.mp4")).unwrap(), size);
    std::fs::write(&path, bytes).unwrap();
    path
}

type Events = Arc<Mutex<Vec<UploadEvent>>>;

fn recorder() -> (Events, impl Fn(UploadEvent) + Send + Sync + 'static) {
    let events = Events::default();
    let sink = events.clone();
    (events, move |event| sink.lock().unwrap().push(event))
}

/// The last session an upload reported, saved and read back as an
/// application would.
fn saved(events: &Events) -> ResumeState {
    let state = events
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find_map(|e| match e {
            UploadEvent::Session(state) => Some(state.clone()),
            _ => None,
        })
        .expect("a session was reported");
    serde_json::from_slice(&serde_json::to_vec(&state).unwrap()).unwrap()
}

/// Starts an upload, and drops it (as a killed process would) once the
/// storage has received at least `bytes`.
async fn interrupted_upload(sandbox: &Sandbox, path: &Path, bytes: u64) -> ResumeState {
    let (events, record) = recorder();
    let upload = UploadVideo::new(path).options(options()).on_event(record);
    let client = client(sandbox);
    let task = tokio::spawn(async move { upload.send(&client).await });
    let started = Instant::now();
    while sandbox.deepmotion().storage_bytes_received() < bytes {
        assert!(
            !task.is_finished(),
            "the upload ended before the interruption"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no bytes arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    saved(&events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_goes_on_where_the_storage_stopped() {
    let sandbox = sandbox(|_| {}).await;
    let dm = sandbox.deepmotion();
    dm.set_upload_rate(Some(8 * CHUNK));
    let dir = tempfile::tempdir().unwrap();
    let size = 24 * CHUNK as usize + 4321;
    let path = video(dir.path(), size);
    let state = interrupted_upload(&sandbox, &path, 3 * CHUNK).await;
    assert_eq!(state.file.size, size as u64);
    assert_eq!(motionkit_deepmotion::original_name(&state.name), "long.mp4");
    assert_ne!(state.name, "long.mp4", "uploaded under a name of its own");
    dm.set_upload_rate(None);

    // The next run: the whole job, from the saved state.
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let out = tempfile::tempdir().unwrap();
    let animation = Animate::new(&path, out.path())
        .params(ProcessParams::new().formats([OutputFormat::Bvh]))
        .upload_options(options())
        .wait_options(WaitOptions::fast())
        .resume(state.clone())
        .on_event(move |e| sink.lock().unwrap().push(e))
        .send(&client(&sandbox))
        .await
        .unwrap();
    assert_eq!(animation.files.len(), 1);
    let events = events.lock().unwrap().clone();
    let committed = events
        .iter()
        .find_map(|e| match e {
            AnimateEvent::UploadSession(UploadEvent::Resumed { committed, total }) => {
                assert_eq!(*total, size as u64);
                Some(*committed)
            }
            _ => None,
        })
        .expect("the upload resumed");
    assert!(committed >= 2 * CHUNK, "resumed at {committed}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AnimateEvent::UploadSession(UploadEvent::StartedOver(_)))),
        "{events:?}"
    );
    // Nothing went up twice but the chunk in flight, and no second session.
    let received = dm.storage_bytes_received();
    assert!(
        received <= size as u64 + CHUNK,
        "{received} bytes received for a {size}-byte file"
    );
    assert_eq!(
        dm.requests("upload_url"),
        1,
        "the saved signed URL was used"
    );
    let stored = dm.stored_upload(&state.upload_url).expect("stored");
    assert!(
        std::fs::read(stored).unwrap() == std::fs::read(&path).unwrap(),
        "the stored object differs from the file"
    );

    // A state saved by a run that died after the last byte: nothing to send.
    let (events, record) = recorder();
    let upload = UploadVideo::new(&path)
        .options(options())
        .resume(state.clone())
        .on_event(record)
        .send(&client(&sandbox))
        .await
        .unwrap();
    assert_eq!(
        (upload.url.as_str(), upload.size),
        (state.upload_url.as_str(), size as u64)
    );
    assert_eq!(
        *events.lock().unwrap(),
        vec![UploadEvent::Resumed {
            committed: size as u64,
            total: size as u64
        }]
    );
    assert_eq!(dm.storage_bytes_received(), received, "no byte sent again");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_or_an_expired_session_starts_over_and_says_why() {
    let sandbox = sandbox(|_| {}).await;
    let dm = sandbox.deepmotion();
    dm.set_upload_rate(Some(8 * CHUNK));
    let dir = tempfile::tempdir().unwrap();
    let path = video(dir.path(), 8 * CHUNK as usize);
    let state = interrupted_upload(&sandbox, &path, CHUNK).await;
    dm.set_upload_rate(None);

    // The session expires: the next run starts over in a new one.
    assert_eq!(dm.expire_upload_sessions(), 1);
    let (events, record) = recorder();
    let upload = UploadVideo::new(&path)
        .options(options())
        .resume(state.clone())
        .on_event(record)
        .send(&client(&sandbox))
        .await
        .unwrap();
    let seen = events.lock().unwrap().clone();
    assert_eq!(
        seen.first(),
        Some(&UploadEvent::StartedOver(StartOver::SessionGone {
            status: 410
        })),
        "{seen:?}"
    );
    let fresh = saved(&events);
    assert_ne!(fresh.session, state.session);
    assert_ne!(upload.url, state.upload_url, "a new signed URL");
    let stored = dm.stored_upload(&upload.url).expect("stored");
    assert!(std::fs::read(stored).unwrap() == std::fs::read(&path).unwrap());

    // A damaged saved session is not fatal: the upload starts over.
    let damaged = ResumeState {
        session: motionkit_transport::SessionUri::new("not a url"),
        ..fresh.clone()
    };
    let (events, record) = recorder();
    UploadVideo::new(&path)
        .options(options())
        .resume(damaged)
        .on_event(record)
        .send(&client(&sandbox))
        .await
        .unwrap();
    assert_eq!(
        events.lock().unwrap().first(),
        Some(&UploadEvent::StartedOver(StartOver::SessionUnusable))
    );

    // The file changes (same size, new bytes and time): the saved state is
    // not used, and nothing is asked of its session.
    let queries = dm.requests("storage_upload");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&path, &bytes).unwrap();
    let (events, record) = recorder();
    let upload = UploadVideo::new(&path)
        .options(options())
        .resume(fresh.clone())
        .on_event(record)
        .send(&client(&sandbox))
        .await
        .unwrap();
    let seen = events.lock().unwrap().clone();
    assert_eq!(
        seen.first(),
        Some(&UploadEvent::StartedOver(StartOver::FileChanged)),
        "{seen:?}"
    );
    assert_ne!(saved(&events).session, fresh.session);
    // One session start and 8 chunks; no status query of the old session.
    assert_eq!(dm.requests("storage_upload") - queries, 1 + 8);
    let stored = dm.stored_upload(&upload.url).expect("stored");
    assert!(std::fs::read(stored).unwrap() == bytes);
    sandbox.shutdown().await;
}
