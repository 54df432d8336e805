//! The retry / no-retry matrix, Retry-After, the deadline and the budget.

use std::time::{Duration, Instant, SystemTime};

use motionkit_transport::{Body, Error, RetryBudget, Sent, Transport};

use crate::common::*;

fn transport(base: &str) -> Transport {
    Transport::builder(base)
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap()
}

#[tokio::test]
async fn get_is_retried_on_503_reset_and_timeout() {
    let server = scripted(vec![
        status(503),
        Step::Drop,
        Step::Slow(Duration::from_secs(2)),
        ok_json(r#"{"ok":true}"#),
    ])
    .await;
    let transport = transport(&server.base);
    let answer: serde_json::Value = transport
        .send_json::<(), _>(&GET_THING, None)
        .await
        .unwrap();
    assert_eq!(answer["ok"], true);
    assert_eq!(server.hits(), 4);
    assert_eq!(transport.stats().retries, 3);
}

#[tokio::test]
async fn explicitly_idempotent_post_is_retried() {
    let server = scripted(vec![status(502), ok_json("{}")]).await;
    let transport = transport(&server.base);
    transport
        .send(&POST_IDEMPOTENT, Body::json(&[1, 2]).unwrap())
        .await
        .unwrap();
    assert_eq!(server.hits(), 2);
    let bodies = server.bodies.lock().unwrap();
    assert_eq!(&bodies[0][..], b"[1,2]");
    assert_eq!(&bodies[1][..], b"[1,2]", "replayed with the same body");
}

#[tokio::test]
async fn post_is_not_retried_on_503_and_says_it_was_sent() {
    let server = scripted(vec![Step::Answer(
        503,
        vec![("x-request-id", "req-42".to_owned())],
        "busy",
    )])
    .await;
    let error = transport(&server.base)
        .send_json::<_, serde_json::Value>(&POST_PROCESS, Some(&"job"))
        .await
        .unwrap_err();
    assert_eq!(server.hits(), 1);
    assert!(
        matches!(error, Error::Http { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(error.sent(), Sent::Sent);
    assert!(error.may_have_reached_server());
    let text = error.to_string();
    assert!(text.contains("POST /process"), "{text}");
    assert!(text.contains("req-42"), "{text}");
    assert!(text.contains("busy"), "{text}");
}

#[tokio::test]
async fn post_timeout_and_reset_may_have_been_sent() {
    let server = scripted(vec![Step::Slow(Duration::from_secs(2))]).await;
    let error = transport(&server.base)
        .send(&POST_PROCESS, Body::json("job").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(error.sent(), Sent::MaybeSent);
    assert_eq!(server.hits(), 1);

    let server = scripted(vec![Step::Drop]).await;
    let error = transport(&server.base)
        .send(&POST_PROCESS, Body::json("job").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert_eq!(error.sent(), Sent::MaybeSent);
    assert!(error.to_string().contains("check its effect"), "{error}");
    // The HTTP stack's error is kept as the source, without the URL.
    let source = std::error::Error::source(&error).expect("a source");
    assert!(!source.to_string().contains(&server.base), "{source}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn post_connect_error_was_not_sent() {
    let base = closed_port().await;
    let error = transport(&base)
        .send(&POST_PROCESS, Body::json("job").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert_eq!(error.sent(), Sent::NotSent);
    assert!(!error.may_have_reached_server());
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for code in [400, 404, 409, 422] {
        let server = scripted(vec![status(code), ok_json("{}")]).await;
        let error = transport(&server.base)
            .send(&GET_THING, Body::empty())
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(code));
        assert_eq!(server.hits(), 1, "status {code}");
    }
}

#[tokio::test]
async fn a_one_shot_body_is_never_replayed_empty() {
    let server = scripted(vec![status(503), ok_json("{}")]).await;
    let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(
        b"payload",
    ))]);
    let error = transport(&server.base)
        .send(&PUT_THING, Body::one_shot(stream))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.hits(), 1);
    assert_eq!(&server.bodies.lock().unwrap()[0][..], b"payload");
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = scripted(vec![
        Step::Answer(503, vec![("retry-after", "1".to_owned())], ""),
        ok_json("{}"),
    ])
    .await;
    let started = Instant::now();
    transport(&server.base)
        .send(&GET_THING, Body::empty())
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    let server = scripted(vec![
        Step::Answer(503, vec![("retry-after", at)], ""),
        ok_json("{}"),
    ])
    .await;
    let started = Instant::now();
    transport(&server.base)
        .send(&GET_THING, Body::empty())
        .await
        .unwrap();
    // The date has a one-second resolution: at least two seconds remained.
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_ends_the_call() {
    let server = scripted(vec![
        Step::Answer(503, vec![("retry-after", "3600".to_owned())], ""),
        ok_json("{}"),
    ])
    .await;
    let started = Instant::now();
    let error = transport(&server.base)
        .send(&GET_THING, Body::empty())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.hits(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn the_retry_budget_runs_out_across_clones() {
    let server = scripted(vec![status(503)]).await;
    let transport = Transport::builder(&server.base)
        .retry(
            fast_retry()
                .max_attempts(5)
                .budget(RetryBudget::default().capacity(3).refill_per_second(0.0)),
        )
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
    for clone in [transport.clone(), transport.clone(), transport.clone()] {
        let error = clone.send(&GET_THING, Body::empty()).await.unwrap_err();
        assert_eq!(error.status(), Some(503));
    }
    // 1 + 3 retries for the first call, then 1 attempt each: not 3 × 5.
    assert_eq!(server.hits(), 6);
    let stats = transport.stats();
    assert_eq!(stats.retries, 3);
    assert_eq!(stats.retry_budget_exhausted, 3);
}

#[tokio::test]
async fn the_total_deadline_bounds_all_attempts() {
    let server = scripted(vec![Step::Slow(Duration::from_secs(5))]).await;
    let mut timeouts = fast_timeouts();
    timeouts.attempt = Duration::from_millis(200);
    timeouts.total = Duration::from_millis(500);
    let transport = Transport::builder(&server.base)
        .retry(fast_retry().max_attempts(100))
        .timeouts(timeouts)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = transport.send(&GET_THING, Body::empty()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert!(
        server.hits() >= 2 && server.hits() <= 4,
        "{}",
        server.hits()
    );
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Status {
        count: u32,
        status: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        rid: String,
    }
    let server = scripted(vec![ok_json(r#"{"count":1,"status":[{"rid":7}]}"#)]).await;
    let error = transport(&server.base)
        .send_json::<(), Status>(&GET_THING, None)
        .await
        .unwrap_err();
    match &error {
        Error::Decode { path, body, .. } => {
            assert_eq!(path, "status[0].rid");
            assert!(body.contains(r#""rid":7"#));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.sent(), Sent::Sent);
}

#[tokio::test]
async fn text_after_the_json_value_is_a_decode_error() {
    let server = scripted(vec![ok_json(r#"{"count":1}"garbage"#)]).await;
    let error = transport(&server.base)
        .send_json::<(), serde_json::Value>(&GET_THING, None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("trailing"), "{error}");
}

/// A request of the caller's own, for an endpoint this version does not
/// describe: its path parameter and query are sent as it says, escaped.
struct Upload<'a> {
    kind: &'a str,
    name: &'a str,
    resumable: Option<u64>,
}

const UPLOAD: motionkit_models::Endpoint = motionkit_models::Endpoint {
    service: motionkit_models::Service::DeepMotion,
    name: "upload",
    method: motionkit_models::Method::Get,
    path: "/upload/{kind}",
    path_params: &["kind"],
    query_params: &[],
    idempotent: true,
    auth: motionkit_models::AuthKind::None,
    body: motionkit_models::BodyEncoding::None,
};

impl motionkit_models::Request for Upload<'_> {
    fn endpoint(&self) -> &motionkit_models::Endpoint {
        &UPLOAD
    }

    fn path(&self) -> Result<String, motionkit_models::PathError> {
        UPLOAD.fill_path(&[self.kind])
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("name", self.name.to_owned())];
        if let Some(resumable) = self.resumable {
            query.push(("resumable", resumable.to_string()));
        }
        query
    }
}

#[tokio::test]
async fn requests_follow_the_descriptor() {
    let server = scripted(vec![ok_json("{}")]).await;
    let transport = transport(&server.base);
    let url = transport
        .request_url(&Upload {
            kind: "a b/c",
            name: "x y.mp4",
            resumable: None,
        })
        .unwrap();
    assert_eq!(url.path(), "/upload/a%20b%2Fc");
    assert_eq!(url.query(), Some("name=x+y.mp4"));
    let request = Upload {
        kind: "v",
        name: "t.mp4",
        resumable: Some(1),
    };
    transport.send(&request, Body::empty()).await.unwrap();
    let headers = server.headers.lock().unwrap()[0].clone();
    let agent = headers["user-agent"].to_str().unwrap();
    assert!(agent.starts_with("motionkit/"), "{agent}");

    for kind in ["", ".", ".."] {
        let request = Upload {
            kind,
            name: "t.mp4",
            resumable: None,
        };
        let error = transport.send(&request, Body::empty()).await.unwrap_err();
        match &error {
            Error::Validation(violations) => {
                assert_eq!(violations.len(), 1, "{violations}");
                assert!(violations.to_string().contains("kind"), "{violations}");
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(error.sent(), Sent::NotSent);
    }
    assert_eq!(server.hits(), 1, "nothing sent for invalid input");
}

#[tokio::test]
async fn generated_requests_fill_their_path_and_query() {
    use motionkit_models::deepmotion::requests;
    let transport = transport("http://127.0.0.1:9");
    let url = transport
        .request_url(&requests::Status::new("r1,r 2"))
        .unwrap();
    assert_eq!(url.path(), "/status/r1,r%202");
    let url = transport
        .request_url(&requests::UploadUrl::new("walk.mp4").resumable(1))
        .unwrap();
    assert_eq!(url.query(), Some("name=walk.mp4&resumable=1"));
    let url = transport
        .request_url(&requests::ListModels::new().search_token("hero"))
        .unwrap();
    assert_eq!(url.path(), "/character/listModels");
    assert_eq!(url.query(), Some("searchToken=hero"));
}
