//! Session cookies (DeepMotion) and bearer tokens (MotionDynamic).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use motionkit_models::{AuthKind, Method};
use motionkit_transport::{Auth, Body, Error, Sent, SessionAuth, Transport};

use crate::common::*;

const LOGIN: motionkit_models::Endpoint = endpoint(
    "session_auth",
    Method::Get,
    "/session/auth",
    true,
    AuthKind::Basic,
);
const PROTECTED: motionkit_models::Endpoint =
    endpoint("status", Method::Get, "/protected", true, AuthKind::Session);
const PROTECTED_POST: motionkit_models::Endpoint = endpoint(
    "process",
    Method::Post,
    "/protected",
    false,
    AuthKind::Session,
);

const CLIENT_ID: &str = "client-1";
const CLIENT_SECRET: &str = "s3cret-value";

#[derive(Default)]
struct Sessions {
    logins: AtomicUsize,
    rejected: AtomicUsize,
    reject_next: AtomicUsize,
    valid: Mutex<String>,
    cookie_attributes: Mutex<String>,
}

type Shared = Arc<Sessions>;

async fn login(State(state): State<Shared>, headers: HeaderMap) -> impl IntoResponse {
    let expected = "Basic Y2xpZW50LTE6czNjcmV0LXZhbHVl"; // base64("client-1:s3cret-value")
    if headers.get("authorization").map(|v| v.to_str().unwrap()) != Some(expected) {
        return (
            StatusCode::UNAUTHORIZED,
            HeaderMap::new(),
            "bad credentials",
        );
    }
    // Slow enough that concurrent callers really overlap.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = state.logins.fetch_add(1, Ordering::SeqCst) + 1;
    let value = format!("s%3Asession-{n}.sig");
    *state.valid.lock().unwrap() = value.clone();
    let attributes = state.cookie_attributes.lock().unwrap().clone();
    let mut out = HeaderMap::new();
    out.insert(
        "set-cookie",
        format!("dmsess={value}; Domain=.example; Path=/; {attributes}; HttpOnly")
            .parse()
            .unwrap(),
    );
    (StatusCode::OK, out, "")
}

async fn protected(State(state): State<Shared>, headers: HeaderMap) -> impl IntoResponse {
    assert!(
        headers.get("authorization").is_none(),
        "no Basic on session calls"
    );
    let cookie = headers
        .get("cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let valid = format!("dmsess={}", state.valid.lock().unwrap());
    let reject = state
        .reject_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if reject || cookie != valid {
        state.rejected.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::UNAUTHORIZED, "session expired");
    }
    (StatusCode::OK, r#"{"ok":true}"#)
}

async fn session_server(cookie_attributes: &str) -> (String, Shared) {
    let state: Shared = Arc::default();
    *state.cookie_attributes.lock().unwrap() = cookie_attributes.to_owned();
    let router = axum::Router::new()
        .route("/session/auth", get(login))
        .route("/protected", get(protected).post(protected))
        .with_state(state.clone());
    (serve(router).await, state)
}

fn session_transport(base: &str, skew: Duration) -> Transport {
    let auth = SessionAuth::new(LOGIN, CLIENT_ID, CLIENT_SECRET.to_owned()).refresh_skew(skew);
    Transport::builder(base)
        .auth(auth)
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap()
}

async fn call_100_concurrently(transport: &Transport) {
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let clone = transport.clone();
            tokio::spawn(async move {
                clone
                    .send_json::<(), serde_json::Value>(&PROTECTED, None)
                    .await
            })
        })
        .collect();
    for call in calls {
        let answer = call.await.unwrap().unwrap();
        assert_eq!(answer["ok"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_session_is_renewed_once_for_100_concurrent_calls() {
    let (base, state) = session_server("").await;
    let transport = session_transport(&base, Duration::from_secs(60));
    transport.send(&PROTECTED, Body::empty()).await.unwrap();
    assert_eq!(state.logins.load(Ordering::SeqCst), 1);
    state.valid.lock().unwrap().clear(); // the server forgets the session
    call_100_concurrently(&transport).await;
    assert_eq!(state.logins.load(Ordering::SeqCst), 2);
    assert_eq!(transport.stats().session_logins, 2);
    assert!(state.rejected.load(Ordering::SeqCst) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_renewed_once_for_100_concurrent_calls() {
    let (base, state) = session_server("Max-Age=1").await;
    let transport = session_transport(&base, Duration::ZERO);
    transport.send(&PROTECTED, Body::empty()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    call_100_concurrently(&transport).await;
    assert_eq!(state.logins.load(Ordering::SeqCst), 2);
    assert_eq!(
        state.rejected.load(Ordering::SeqCst),
        0,
        "renewed before the server had to reject anything"
    );
}

#[tokio::test]
async fn the_session_is_renewed_before_its_expires_date() {
    // A 2 s session with a 60 s refresh skew: the skew is capped at a tenth
    // of the lifetime, so the cookie is reused at first and renewed shortly
    // before it expires, never after.
    let (base, state) = session_server("Max-Age=2").await;
    let short = session_transport(&base, Duration::from_secs(60));
    for _ in 0..3 {
        short.send(&PROTECTED, Body::empty()).await.unwrap();
    }
    assert_eq!(
        state.logins.load(Ordering::SeqCst),
        1,
        "a fresh session is reused"
    );
    tokio::time::sleep(Duration::from_millis(1850)).await;
    short.send(&PROTECTED, Body::empty()).await.unwrap();
    assert_eq!(
        state.logins.load(Ordering::SeqCst),
        2,
        "renewed within the last tenth of its life"
    );

    // 30 s left, refresh 5 s ahead: the cookie is reused.
    let expires = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    let (base, state) = session_server(&format!("Expires={expires}")).await;
    let relaxed = session_transport(&base, Duration::from_secs(5));
    for _ in 0..3 {
        relaxed.send(&PROTECTED, Body::empty()).await.unwrap();
    }
    assert_eq!(state.logins.load(Ordering::SeqCst), 1);
    assert_eq!(state.rejected.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_401_logs_in_again_once_then_succeeds_or_fails() {
    let (base, state) = session_server("").await;
    let transport = session_transport(&base, Duration::from_secs(60));
    transport.send(&PROTECTED, Body::empty()).await.unwrap();

    state.reject_next.store(1, Ordering::SeqCst);
    // Even a non-idempotent request is re-sent: the 401 means it was refused.
    transport
        .send(&PROTECTED_POST, Body::json("job").unwrap())
        .await
        .unwrap();
    assert_eq!(state.logins.load(Ordering::SeqCst), 2);

    state.reject_next.store(1000, Ordering::SeqCst);
    let error = transport.send(&PROTECTED, Body::empty()).await.unwrap_err();
    assert_eq!(
        state.logins.load(Ordering::SeqCst),
        3,
        "exactly one re-login"
    );
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    assert_eq!(error.sent(), Sent::Sent);
    assert!(error.to_string().contains("rejected"), "{error}");
}

#[tokio::test]
async fn a_one_shot_body_is_not_replayed_after_a_401() {
    let (base, state) = session_server("").await;
    let transport = session_transport(&base, Duration::from_secs(60));
    transport.send(&PROTECTED, Body::empty()).await.unwrap();
    state.reject_next.store(1, Ordering::SeqCst);
    let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x"))]);
    let error = transport
        .send(&PROTECTED_POST, Body::one_shot(stream))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot be replayed"), "{error}");
    assert_eq!(state.logins.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn wrong_credentials_are_an_auth_error_and_the_request_is_not_sent() {
    let (base, state) = session_server("").await;
    let transport = Transport::builder(&base)
        .auth(Auth::session(LOGIN, CLIENT_ID, "wrong".to_owned()))
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
    let error = transport
        .send(&PROTECTED_POST, Body::empty())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    assert_eq!(
        error.sent(),
        Sent::NotSent,
        "POST /process itself never left"
    );
    assert!(error.to_string().contains("client id or secret"), "{error}");
    assert_eq!(state.logins.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_endpoint_needing_auth_without_it_is_a_config_error() {
    let server = scripted(vec![ok_json("{}")]).await;
    let transport = Transport::builder(&server.base).build().unwrap();
    let error = transport.send(&PROTECTED, Body::empty()).await.unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert_eq!(error.sent(), Sent::NotSent);
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn an_expired_jwt_is_an_auth_error_with_the_postgrest_code() {
    let server = scripted(vec![Step::Answer(
        401,
        vec![("content-type", "application/json".to_owned())],
        r#"{"code":"PGRST303","message":"JWT expired","details":null,"hint":null}"#,
    )])
    .await;
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYXBpIn0.c2lnbmF0dXJl";
    let transport = Transport::builder(&server.base)
        .auth(Auth::bearer(jwt.to_owned()))
        .retry(fast_retry())
        .build()
        .unwrap();
    let error = transport.send(&THEMES, Body::empty()).await.unwrap_err();
    match &error {
        Error::Auth { code, .. } => assert_eq!(code.as_deref(), Some("PGRST303")),
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains("rejected or has expired"), "{text}");
    assert!(text.contains("JWT expired"), "{text}");
    assert!(!text.contains(jwt));
    assert_eq!(server.hits(), 1, "a 401 is not retried");
    let headers = server.headers.lock().unwrap()[0].clone();
    assert_eq!(headers["authorization"], format!("Bearer {jwt}").as_str());
}

#[tokio::test]
async fn a_login_that_cannot_connect_is_a_network_error_not_an_auth_error() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let transport = session_transport(&format!("http://{closed}"), Duration::from_secs(60));
    let error = transport.send(&PROTECTED, Body::empty()).await.unwrap_err();
    assert!(
        matches!(error, motionkit_transport::Error::Connect { .. }),
        "a refused connection during login is temporary: {error}"
    );
    assert!(!error.may_have_reached_server());
}
