//! Secrets a server quotes back (the request echoed in its error text)
//! are masked in every error. A test binary apart from `redaction.rs`,
//! whose log capture must be alone in its process.

#[path = "it/common.rs"]
#[allow(dead_code)]
mod common;

use base64::Engine as _;
use motionkit_models::deepmotion::requests::Status;
use motionkit_models::{AuthKind, Method};
use motionkit_transport::{Auth, Body, DownloadOptions, Error, Transport, UploadOptions};

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
        format!("{CLIENT_ID}:{CLIENT_SECRET}"),
    ]
}

/// A server that quotes the whole request back (target with its query,
/// every header, the Basic credentials decoded) in its answers: errors for
/// every route, a request-id header, and on `/status/bad` a 200 whose body
/// is not the JSON expected.
async fn echo_server() -> String {
    serve_hyper(
        |request: hyper::Request<hyper::body::Incoming>| async move {
            let mut echo = format!("{} {}", request.method(), request.uri());
            for (name, value) in request.headers() {
                let value = value.to_str().unwrap_or_default();
                echo.push_str(&format!(" | {name}: {value}"));
                if let Some(token) = value.strip_prefix("Basic ") {
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(token)
                        .unwrap_or_default();
                    echo.push_str(&format!(" (decoded {})", String::from_utf8_lossy(&decoded)));
                }
            }
            let path = request.uri().path().to_owned();
            let quoted = serde_json::to_string(&echo).unwrap();
            let request_id = request
                .headers()
                .get("cookie")
                .or(request.headers().get("authorization"))
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .unwrap_or_else(|| "rid".to_owned());
            let reply_with = |status: u16, body: String| {
                let mut builder = hyper::Response::builder()
                    .status(status)
                    .header("x-request-id", request_id.clone())
                    .header("content-type", "application/json");
                if path == "/session/auth" {
                    builder = builder.header(
                        "set-cookie",
                        format!("dmsess={COOKIE_VALUE}; Path=/; Max-Age=3600"),
                    );
                }
                Ok::<_, std::io::Error>(builder.body(full(body)).unwrap())
            };
            match path.as_str() {
                "/session/auth" => reply_with(200, "{}".to_owned()),
                "/status/bad" => reply_with(200, format!(r#"{{"status": {quoted}}}"#)),
                "/status/r1" => reply_with(500, format!(r#"{{"message": {quoted}}}"#)),
                "/rest/themes" => reply_with(
                    400,
                    format!(
                        r#"{{"code":"PGRST100","message":{quoted},"details":null,"hint":null}}"#
                    ),
                ),
                _ if request.method() == hyper::Method::POST => {
                    let location = format!("/session?upload_id={UPLOAD_ID}");
                    Ok(hyper::Response::builder()
                        .status(201)
                        .header("location", location)
                        .body(full(""))
                        .unwrap())
                }
                _ => reply_with(403, format!(r#"{{"error": {quoted}}}"#)),
            }
        },
    )
    .await
}

#[tokio::test]
async fn secrets_a_server_quotes_back_are_masked_in_every_error() {
    let base = echo_server().await;
    let login_rejected = Transport::builder(&base)
        .auth(Auth::session(LOGIN, CLIENT_ID, CLIENT_SECRET.to_owned()))
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
    let mut errors: Vec<Error> = Vec::new();
    // The cookie and, through the login, the Basic header and the secret.
    errors.push(
        login_rejected
            .send(&Status::new("r1"), Body::empty())
            .await
            .unwrap_err(),
    );
    errors.push(
        login_rejected
            .send_json::<(), Vec<u32>>(&Status::new("bad"), None)
            .await
            .unwrap_err(),
    );
    // A request authenticated with the Basic header itself, refused.
    const BASIC: motionkit_models::Endpoint =
        endpoint("basic", Method::Get, "/basic/echo", true, AuthKind::Basic);
    errors.push(
        login_rejected
            .send(&BASIC, Body::empty())
            .await
            .unwrap_err(),
    );
    let bearer = Transport::builder(&base)
        .auth(Auth::bearer(JWT.to_owned()))
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    errors.push(
        bearer
            .download(&signed, dir.path(), &DownloadOptions::default())
            .await
            .unwrap_err(),
    );
    let shown: Vec<String> = errors
        .iter()
        .flat_map(|e| [e.to_string(), format!("{e:?}")])
        .collect();
    for secret in &secrets() {
        for text in &shown {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
    }
    // The echo did happen: each quoted secret was replaced, not dropped.
    let masked = shown.iter().filter(|t| t.contains("[redacted]")).count();
    assert!(masked >= 10, "{masked} masked texts: {shown:#?}");
    for route in [
        "/status/{rids}",
        "/rest/themes",
        "/basic/echo",
        "/bucket/obj",
        "/session",
    ] {
        assert!(
            shown
                .iter()
                .any(|t| t.contains(route) && t.contains("[redacted]")),
            "nothing masked for {route}: {shown:#?}"
        );
    }
}
