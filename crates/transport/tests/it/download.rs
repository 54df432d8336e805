//! Atomic, resumable downloads.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use futures::StreamExt;
use motionkit_transport::{DownloadOptions, Error, Progress, Transport};

use crate::common::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every answer stops half-way.
    CutAlways,
    /// The first answer stops half-way; later ones honour `Range`.
    CutOnceThenRange,
    /// The first answer stops half-way; later ones ignore `Range`.
    CutOnceThenFull,
    /// Complete, with a hostile `Content-Disposition`.
    HostileName,
    /// 404.
    Missing,
}

struct Files {
    data: Bytes,
    mode: Mode,
    hits: AtomicUsize,
    requests: Mutex<Vec<HeaderMap>>,
}

const ETAG: &str = "\"v1\"";

async fn file(State(files): State<Arc<Files>>, headers: HeaderMap) -> Response {
    let hit = files.hits.fetch_add(1, Ordering::SeqCst);
    files.requests.lock().unwrap().push(headers.clone());
    let data = files.data.clone();
    let len = data.len();
    let cut = |from: usize| -> AxumBody {
        let half = data.slice(from..from + (len - from) / 2);
        // Let the first half reach the client, then break the connection.
        let broken = futures::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Err(std::io::Error::other("cut by the test"))
        });
        AxumBody::from_stream(futures::stream::iter([Ok(half)]).chain(broken))
    };
    let builder = Response::builder().header("etag", ETAG);
    match files.mode {
        Mode::Missing => return builder.status(404).body(AxumBody::from("gone")).unwrap(),
        Mode::CutAlways => {
            return builder.header("content-length", len).body(cut(0)).unwrap();
        }
        Mode::HostileName => {
            return builder
                .header(
                    "content-disposition",
                    "attachment; filename=\"../../evil.fbx\"",
                )
                .body(AxumBody::from(data))
                .unwrap();
        }
        Mode::CutOnceThenRange | Mode::CutOnceThenFull if hit == 0 => {
            return builder.header("content-length", len).body(cut(0)).unwrap();
        }
        Mode::CutOnceThenFull => return builder.body(AxumBody::from(data)).unwrap(),
        Mode::CutOnceThenRange => {}
    }
    let Some(start) = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return builder.body(AxumBody::from(data)).unwrap();
    };
    builder
        .status(StatusCode::PARTIAL_CONTENT)
        .header("content-range", format!("bytes {start}-{}/{len}", len - 1))
        .body(AxumBody::from(data.slice(start..)))
        .unwrap()
}

async fn file_server(mode: Mode) -> (String, Arc<Files>) {
    file_server_sized(mode, 300_000).await
}

async fn file_server_sized(mode: Mode, len: u32) -> (String, Arc<Files>) {
    let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
    let files = Arc::new(Files {
        data: Bytes::from(data),
        mode,
        hits: AtomicUsize::new(0),
        requests: Mutex::new(Vec::new()),
    });
    let router = axum::Router::new()
        .route("/files/anim.fbx", get(file))
        .with_state(files.clone());
    let base = serve(router).await;
    (format!("{base}/files/anim.fbx?X-Amz-Signature=SIG"), files)
}

fn transport() -> Transport {
    Transport::builder("http://127.0.0.1:9")
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_cut_download_leaves_nothing_behind() {
    let (url, files) = file_server(Mode::CutAlways).await;
    let dir = tempfile::tempdir().unwrap();
    let options = DownloadOptions::default().file_name(Some("anim.fbx".into()));
    let error = transport()
        .download(&url, dir.path(), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert!(error.may_have_reached_server());
    assert!(!dir.path().join("anim.fbx").exists());
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "temporary file removed"
    );
    assert_eq!(files.hits.load(Ordering::SeqCst), 4, "max_attempts");
    let text = error.to_string();
    assert!(!text.contains("SIG"), "{text}");
}

#[tokio::test]
async fn a_cut_download_resumes_with_range() {
    let (url, files) = file_server(Mode::CutOnceThenRange).await;
    let dir = tempfile::tempdir().unwrap();
    let last = Arc::new(Mutex::new(None::<Progress>));
    let sink = last.clone();
    let options = DownloadOptions::default()
        .file_name(None)
        .progress(Some(Arc::new(move |p| *sink.lock().unwrap() = Some(p))));
    let report = transport()
        .download(&url, dir.path(), &options)
        .await
        .unwrap();
    assert_eq!(report.path, dir.path().join("anim.fbx"));
    assert_eq!(report.resumed, 1);
    assert_eq!(report.restarted, 0);
    assert!(std::fs::read(&report.path).unwrap() == files.data[..]);
    let requests = files.requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].get("range").is_none());
    assert_eq!(requests[1]["range"], "bytes=150000-");
    assert_eq!(requests[1]["if-range"], ETAG);
    assert_eq!(
        *last.lock().unwrap(),
        Some(Progress {
            bytes: 300_000,
            total: Some(300_000)
        })
    );
    assert_eq!(entries(dir.path()), vec!["anim.fbx".to_owned()]);
}

#[tokio::test]
async fn a_server_ignoring_range_gets_a_full_restart() {
    let (url, files) = file_server(Mode::CutOnceThenFull).await;
    let dir = tempfile::tempdir().unwrap();
    let report = transport()
        .download(&url, dir.path(), &DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(report.restarted, 1);
    assert!(std::fs::read(&report.path).unwrap() == files.data[..]);
}

/// Large enough for the file to be synced in the background several times
/// while it arrives, across a resume and across a restart from zero.
#[tokio::test]
async fn large_downloads_synced_while_arriving_are_byte_exact_after_resume_and_restart() {
    for mode in [Mode::CutOnceThenRange, Mode::CutOnceThenFull] {
        let (url, files) = file_server_sized(mode, 80 << 20).await;
        let dir = tempfile::tempdir().unwrap();
        let report = transport()
            .download(&url, dir.path(), &DownloadOptions::default())
            .await
            .unwrap();
        assert_eq!(report.bytes, 80 << 20);
        assert_eq!(report.resumed + report.restarted, 1);
        assert!(std::fs::read(&report.path).unwrap() == files.data[..]);
        assert_eq!(entries(dir.path()), vec!["anim.fbx".to_owned()]);
    }
}

#[tokio::test]
async fn a_hostile_server_name_stays_in_the_directory() {
    let (url, files) = file_server(Mode::HostileName).await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let report = transport()
        .download(&url, &dir, &DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(report.path, dir.join("evil.fbx"));
    assert!(std::fs::read(&report.path).unwrap() == files.data[..]);
    assert_eq!(entries(root.path()), vec!["out".to_owned()]);
    assert_eq!(entries(&dir), vec!["evil.fbx".to_owned()]);
}

#[cfg(unix)]
#[tokio::test]
async fn a_downloaded_file_gets_the_mode_of_an_ordinary_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let (url, _files) = file_server(Mode::HostileName).await;
    let dir = tempfile::tempdir().unwrap();
    let report = transport()
        .download(&url, dir.path(), &DownloadOptions::default())
        .await
        .unwrap();
    let ordinary = dir.path().join("ordinary");
    std::fs::write(&ordinary, b"x").unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&report.path),
        mode(&ordinary),
        "not the private mode of a temporary file"
    );
}

#[tokio::test]
async fn a_missing_file_is_an_http_error_and_writes_nothing() {
    let (url, files) = file_server(Mode::Missing).await;
    let dir = tempfile::tempdir().unwrap();
    let error = transport()
        .download(&url, dir.path(), &DownloadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(files.hits.load(Ordering::SeqCst), 1);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
    assert!(!error.to_string().contains("SIG"));
}

#[tokio::test]
async fn an_unusable_name_is_rejected_before_sending() {
    let (url, files) = file_server(Mode::HostileName).await;
    let dir = tempfile::tempdir().unwrap();
    let options = DownloadOptions::default().file_name(Some("../..".into()));
    let error = transport()
        .download(&url, dir.path(), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    assert_eq!(files.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_link_that_is_not_http_is_refused_as_such() {
    let transport = Transport::builder("http://127.0.0.1:9").build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for link in ["file:///etc/passwd", "ftp://example.com/v.mp4", "not a url"] {
        let refused = transport
            .download(
                link,
                dir.path(),
                &motionkit_transport::DownloadOptions::default(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, motionkit_transport::Error::Refused { .. }),
            "{refused:?}"
        );
        let text = refused.to_string();
        assert!(
            text.contains("not an") && text.contains("http(s) URL"),
            "{text}"
        );
        assert!(!text.contains("configuration"), "{text}");
        assert!(!refused.may_have_reached_server());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
