//! Test fixtures: real HTTP servers on 127.0.0.1, bound to port 0.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use motionkit_models::{AuthKind, BodyEncoding, Endpoint, Method, Service};
use motionkit_transport::{RetryBudget, RetryPolicy, Timeouts};

pub type HyperBody = BoxBody<Bytes, std::io::Error>;
pub type HyperResponse = hyper::Response<HyperBody>;

pub fn full(bytes: impl Into<Bytes>) -> HyperBody {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

pub fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> HyperResponse {
    let mut builder = hyper::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(full(body)).unwrap()
}

/// Serves an axum router; returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

/// Serves a hyper handler; a handler returning `Err` drops the connection
/// without answering (a reset as the client sees it).
pub async fn serve_hyper<F, Fut>(handler: F) -> String
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<HyperResponse, std::io::Error>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handler))
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// A URL where nothing listens.
pub async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// What a scripted server does for one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// Answer with a status, headers and body.
    Answer(u16, Vec<(&'static str, String)>, &'static str),
    /// Drop the connection without answering.
    Drop,
    /// Wait, then answer 200.
    Slow(Duration),
}

pub fn status(code: u16) -> Step {
    Step::Answer(code, Vec::new(), "")
}

pub fn ok_json(body: &'static str) -> Step {
    Step::Answer(
        200,
        vec![("content-type", "application/json".to_owned())],
        body,
    )
}

/// A server that plays `steps` in order (the last one repeats) and records
/// what it received.
#[derive(Clone)]
pub struct Scripted {
    pub base: String,
    pub hits: Arc<AtomicUsize>,
    pub bodies: Arc<Mutex<Vec<Bytes>>>,
    pub headers: Arc<Mutex<Vec<hyper::HeaderMap>>>,
}

impl Scripted {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

pub async fn scripted(steps: Vec<Step>) -> Scripted {
    let script = Arc::new(Mutex::new(VecDeque::from(steps)));
    let hits = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let headers = Arc::new(Mutex::new(Vec::new()));
    let (h, b, hd) = (hits.clone(), bodies.clone(), headers.clone());
    let base = serve_hyper(move |request: hyper::Request<Incoming>| {
        let script = script.clone();
        let (hits, bodies, headers) = (h.clone(), b.clone(), hd.clone());
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            headers.lock().unwrap().push(request.headers().clone());
            let body = request
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            bodies.lock().unwrap().push(body);
            let step = {
                let mut script = script.lock().unwrap();
                if script.len() > 1 {
                    script.pop_front().unwrap()
                } else {
                    script.front().cloned().unwrap()
                }
            };
            match step {
                Step::Answer(code, headers, body) => {
                    let pairs: Vec<(&str, &str)> =
                        headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    Ok(reply(code, &pairs, body))
                }
                Step::Drop => Err(std::io::Error::other("dropping the connection")),
                Step::Slow(wait) => {
                    tokio::time::sleep(wait).await;
                    Ok(reply(200, &[], "{}"))
                }
            }
        }
    })
    .await;
    Scripted {
        base,
        hits,
        bodies,
        headers,
    }
}

/// A PostgREST read behind a bearer token.
pub const THEMES: Endpoint = endpoint(
    "themes",
    Method::Get,
    "/rest/themes",
    true,
    AuthKind::Bearer,
);

pub const fn endpoint(
    name: &'static str,
    method: Method,
    path: &'static str,
    idempotent: bool,
    auth: AuthKind,
) -> Endpoint {
    Endpoint {
        service: Service::DeepMotion,
        name,
        method,
        path,
        path_params: &[],
        query_params: &[],
        idempotent,
        auth,
        body: BodyEncoding::Json,
    }
}

pub const GET_THING: Endpoint = endpoint("get_thing", Method::Get, "/thing", true, AuthKind::None);
pub const PUT_THING: Endpoint = endpoint("put_thing", Method::Put, "/thing", true, AuthKind::None);
pub const POST_PROCESS: Endpoint =
    endpoint("process", Method::Post, "/process", false, AuthKind::None);
pub const POST_IDEMPOTENT: Endpoint = endpoint(
    "video_info",
    Method::Post,
    "/videoInfo",
    true,
    AuthKind::None,
);

/// Quick retries for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
        .max_retry_after(Duration::from_secs(5))
        .budget(RetryBudget::default().capacity(1000).refill_per_second(0.0))
}

/// Short timeouts for tests.
pub fn fast_timeouts() -> Timeouts {
    Timeouts::default()
        .connect(Duration::from_secs(2))
        .attempt(Duration::from_millis(400))
        .total(Duration::from_secs(10))
        .transfer_stall(Duration::from_secs(2))
}
