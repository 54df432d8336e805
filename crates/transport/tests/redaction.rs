//! No secret reaches Debug, Display, error messages or tracing output.
//!
//! A test binary of its own: the log capture is a thread-local subscriber,
//! and tracing caches per call site whether anyone listens. Tests running
//! at the same time in other threads could register a call site as
//! unobserved before this subscriber exists, and its spans went missing.

#[path = "it/common.rs"]
#[allow(dead_code)]
mod common;

use motionkit_models::deepmotion::requests::Status;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, put};
use base64::Engine as _;
use motionkit_models::{AuthKind, Method};
use motionkit_transport::{
    Auth, Body, DownloadOptions, Error, RateLimit, SessionUri, Transport, UploadOptions,
};

use common::*;

const CLIENT_ID: &str = "client-id-1";
const CLIENT_SECRET: &str = "client-secret-XYZZY";
const COOKIE_VALUE: &str = "cookie-value-PLUGH";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.JWT-SECRET-FROTZ.c2ln";
const SIGNATURE: &str = "SIGNATURE-GRUE";
const UPLOAD_ID: &str = "UPLOAD-ID-SECRET";

const LOGIN: motionkit_models::Endpoint = endpoint(
    "session_auth",
    Method::Get,
    "/session/auth",
    true,
    AuthKind::Basic,
);
fn secrets() -> Vec<String> {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    vec![
        CLIENT_SECRET.to_owned(),
        basic,
        COOKIE_VALUE.to_owned(),
        JWT.to_owned(),
        "JWT-SECRET-FROTZ".to_owned(),
        SIGNATURE.to_owned(),
        UPLOAD_ID.to_owned(),
    ]
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn server(reject_sessions: Arc<AtomicBool>) -> String {
    let router = axum::Router::new()
        .route(
            "/session/auth",
            get(|| async {
                (
                    [(
                        "set-cookie",
                        format!("dmsess={COOKIE_VALUE}; Path=/; Max-Age=3600; HttpOnly"),
                    )],
                    "",
                )
            }),
        )
        .route(
            "/status/{rids}",
            get(move |headers: HeaderMap| {
                let reject = reject_sessions.clone();
                async move {
                    let cookie = headers
                        .get("cookie")
                        .map(|v| v.to_str().unwrap().to_owned());
                    if reject.load(Ordering::SeqCst)
                        || cookie != Some(format!("dmsess={COOKIE_VALUE}"))
                    {
                        return (StatusCode::UNAUTHORIZED, "no").into_response();
                    }
                    (StatusCode::OK, "{}").into_response()
                }
            }),
        )
        .route(
            "/rest/themes",
            get(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    r#"{"code":"PGRST303","message":"JWT expired","details":null,"hint":null}"#,
                )
            }),
        )
        .route(
            "/bucket/obj",
            put(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "storage broke") })
                .get(|| async { (StatusCode::NOT_FOUND, "no such key") })
                .post(|| async {
                    (
                        StatusCode::CREATED,
                        [("location", format!("/session?upload_id={UPLOAD_ID}"))],
                        "",
                    )
                }),
        )
        .route(
            "/session",
            put(|| async { (StatusCode::SERVICE_UNAVAILABLE, "busy") }),
        );
    serve(router).await
}

#[test]
fn secrets_never_reach_debug_display_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut shown: Vec<String> = Vec::new();
    runtime.block_on(async {
        let reject = Arc::new(AtomicBool::new(false));
        let base = server(reject.clone()).await;
        let mut timeouts = fast_timeouts();
        timeouts.transfer_stall = Duration::from_millis(500);
        let session = Transport::builder(&base)
            .auth(Auth::session(LOGIN, CLIENT_ID, CLIENT_SECRET.to_owned()))
            .retry(fast_retry())
            .timeouts(timeouts)
            .rate_limit(RateLimit::per_second(100))
            .build()
            .unwrap();
        session
            .send(&Status::new("r1"), Body::empty())
            .await
            .unwrap();
        shown.push(format!("{session:?}"));
        reject.store(true, Ordering::SeqCst);
        let mut errors: Vec<Error> = Vec::new();
        errors.push(
            session
                .send(&Status::new("r1"), Body::empty())
                .await
                .unwrap_err(),
        );

        let bearer = Transport::builder(&base)
            .auth(Auth::bearer(JWT.to_owned()))
            .retry(fast_retry())
            .timeouts(timeouts)
            .build()
            .unwrap();
        shown.push(format!("{bearer:?}"));
        errors.push(bearer.send(&THEMES, Body::empty()).await.unwrap_err());

        let signed = format!("{base}/bucket/obj?X-Goog-Signature={SIGNATURE}&X-Goog-Expires=900");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), vec![7u8; 300_000]).unwrap();
        errors.push(
            bearer
                .upload_file(&signed, file.path(), &UploadOptions::default())
                .await
                .unwrap_err(),
        );
        errors.push(
            bearer
                .upload_resumable(&signed, file.path(), &UploadOptions::default())
                .await
                .unwrap_err(),
        );
        // A session URI saved by an earlier run, resumed against a storage
        // that keeps failing.
        let session = SessionUri::new(format!("{base}/session?upload_id={UPLOAD_ID}"));
        errors.push(bearer.upload_status(&session, 300_000).await.unwrap_err());
        let resuming = UploadOptions::default().resume(Some(session.clone()));
        errors.push(
            bearer
                .upload_resumable(&signed, file.path(), &resuming)
                .await
                .unwrap_err(),
        );
        shown.push(format!("{session:?}"));
        shown.push(session.to_string());
        shown.push(format!("{resuming:?}"));
        let dir = tempfile::tempdir().unwrap();
        errors.push(
            bearer
                .download(&signed, dir.path(), &DownloadOptions::default())
                .await
                .unwrap_err(),
        );
        errors.push(
            bearer
                .send_url(Method::Get, &signed, HeaderMap::new(), Body::empty())
                .await
                .unwrap_err(),
        );
        let closed = format!("{}/o?X-Goog-Signature={SIGNATURE}", closed_port().await);
        errors.push(
            bearer
                .send_url(Method::Put, &closed, HeaderMap::new(), Body::bytes("x"))
                .await
                .unwrap_err(),
        );
        errors.push(
            Transport::builder(format!("https://user:{CLIENT_SECRET}@h/?{SIGNATURE}"))
                .build()
                .unwrap_err(),
        );
        for error in &errors {
            shown.push(error.to_string());
            shown.push(format!("{error:?}"));
        }
        shown.push(format!(
            "{:?}",
            Auth::session(LOGIN, CLIENT_ID, CLIENT_SECRET.to_owned())
        ));
        shown.push(format!("{:?}", UploadOptions::default()));
        shown.push(format!(
            "{:?}",
            Transport::builder(&base).auth(Auth::bearer(JWT.to_owned()))
        ));
    });

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture works and holds what it should.
    assert!(logs.contains("http_request"), "{logs}");
    assert!(logs.contains("path=/status/{rids}"), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    assert!(logs.contains("attempt=2"), "{logs}");
    assert!(logs.contains("elapsed_ms="), "{logs}");
    assert!(logs.contains("/bucket/obj"), "{logs}");
    for secret in secrets() {
        assert!(!logs.contains(&secret), "{secret} in logs:\n{logs}");
        for text in &shown {
            assert!(!text.contains(&secret), "{secret} in {text}");
        }
    }
    for text in &shown {
        assert!(!text.contains('\n'), "multi-line: {text}");
    }
}
