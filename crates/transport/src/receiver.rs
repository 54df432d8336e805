//! The bounds every webhook receiver shares, so that no sender, however
//! slow or numerous, can hold it shut:
//!
//! - a request is admitted (its path token or signature header checked)
//!   before a byte of its body is read: forged deliveries take no slot;
//! - only admitted requests take one of the in-flight slots, past which
//!   the router answers 503 with `Retry-After: 1` (senders retry);
//! - a body must arrive whole within [`ReceiverBounds::body_deadline`]
//!   (408 otherwise) and within [`ReceiverBounds::max_body_bytes`] (413);
//! - refusals are logged as a count per interval, not a line per request,
//!   so log volume does not grow with an attacker's traffic;
//! - [`serve_receiver`] gives each request head a deadline and caps the
//!   open connections, for receivers that serve themselves.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse as _;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// How long a request head may take to arrive in [`serve_receiver`].
pub const RECEIVER_HEADER_DEADLINE: Duration = Duration::from_secs(10);

/// Most connections [`serve_receiver`] keeps open at once; more are closed
/// as soon as they are accepted.
pub const RECEIVER_MAX_CONNECTIONS: usize = 1024;

/// How often a receiver logs the count of the deliveries it refused.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// A receiver's request bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverBounds {
    /// Largest body accepted, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Admitted requests handled at once (503 with `Retry-After: 1`
    /// beyond; at least one).
    pub max_in_flight: usize,
    /// Time for an admitted request's whole body to arrive (408 beyond).
    pub body_deadline: Duration,
}

impl ReceiverBounds {
    /// Bounds with the default body deadline (10 s).
    pub fn new(max_body_bytes: usize, max_in_flight: usize) -> Self {
        ReceiverBounds {
            max_body_bytes,
            max_in_flight,
            body_deadline: Duration::from_secs(10),
        }
    }

    /// Sets the time an admitted request's body has to arrive whole.
    pub fn body_deadline(mut self, deadline: Duration) -> Self {
        self.body_deadline = deadline;
        self
    }
}

/// `router` behind the bounds above. `admit` judges a request from its head
/// alone (method, path, headers): `Err(status)` refuses it with that status
/// before its body is read or a slot is taken.
pub fn bounded_router<A>(router: axum::Router, bounds: ReceiverBounds, admit: A) -> axum::Router
where
    A: Fn(&Parts) -> Result<(), StatusCode> + Clone + Send + Sync + 'static,
{
    let permits = Arc::new(Semaphore::new(bounds.max_in_flight.max(1)));
    let refusals = Arc::new(RefusalLog::default());
    router
        .layer(DefaultBodyLimit::max(bounds.max_body_bytes))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let (permits, refusals, admit) = (permits.clone(), refusals.clone(), admit.clone());
                async move {
                    let (parts, body) = request.into_parts();
                    if let Err(status) = admit(&parts) {
                        refusals.note(status);
                        return status.into_response();
                    }
                    let Ok(_permit) = permits.try_acquire_owned() else {
                        refusals.note(StatusCode::SERVICE_UNAVAILABLE);
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(header::RETRY_AFTER, "1")],
                        )
                            .into_response();
                    };
                    let body = match read_body(&parts, body, bounds).await {
                        Ok(body) => body,
                        Err(status) => {
                            refusals.note(status);
                            return status.into_response();
                        }
                    };
                    let response = next
                        .run(axum::extract::Request::from_parts(parts, Body::from(body)))
                        .await;
                    if response.status().is_client_error() {
                        refusals.note(response.status());
                    }
                    response
                }
            },
        ))
}

/// The whole body, within the size bound and the deadline.
async fn read_body(
    parts: &Parts,
    body: Body,
    bounds: ReceiverBounds,
) -> Result<bytes::Bytes, StatusCode> {
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > bounds.max_body_bytes as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let read = axum::body::to_bytes(body, bounds.max_body_bytes);
    match tokio::time::timeout(bounds.body_deadline, read).await {
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if e.to_string().contains("length limit") => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST),
    }
}

/// Refusals counted per interval: the first of an interval is logged at
/// once, the rest as one count when the next interval starts.
#[derive(Default)]
struct RefusalLog {
    window: Mutex<Option<Instant>>,
    count: AtomicU64,
}

impl RefusalLog {
    fn note(&self, status: StatusCode) {
        let now = Instant::now();
        let Ok(mut window) = self.window.lock() else {
            return;
        };
        match *window {
            Some(started) if now.duration_since(started) < REFUSAL_LOG_INTERVAL => {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
            Some(started) => {
                let more = self.count.swap(0, Ordering::Relaxed);
                if more > 0 {
                    tracing::warn!(
                        refused = more,
                        seconds = now.duration_since(started).as_secs(),
                        "webhook deliveries refused since the last report"
                    );
                }
                tracing::warn!(status = status.as_u16(), "webhook delivery refused");
                *window = Some(now);
            }
            None => {
                tracing::warn!(status = status.as_u16(), "webhook delivery refused");
                *window = Some(now);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes: HTTP/1.1, a
/// request head must arrive within [`RECEIVER_HEADER_DEADLINE`], and at
/// most [`RECEIVER_MAX_CONNECTIONS`] connections are open at once.
/// Connections still open when it returns are closed.
pub async fn serve_receiver(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()>,
) {
    use tower::Service as _;
    let connections = Arc::new(Semaphore::new(RECEIVER_MAX_CONNECTIONS));
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        while tasks.try_join_next().is_some() {}
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors, say: pause rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let router = router.clone();
        tasks.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let mut router = router.clone();
                async move { router.call(request).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(RECEIVER_HEADER_DEADLINE)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}
