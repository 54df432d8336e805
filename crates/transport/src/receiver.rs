//! The bounds every webhook receiver's router shares: a cap on the body
//! and on the requests in flight, past which it answers 503 with
//! `Retry-After: 1` (the senders retry) instead of queueing without end.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use tokio::sync::Semaphore;

/// `router` with bodies capped at `max_body_bytes` (413 beyond) and at most
/// `max_in_flight` requests handled at once (503 with `Retry-After: 1`
/// beyond; at least one).
pub fn bounded_router(
    router: axum::Router,
    max_body_bytes: usize,
    max_in_flight: usize,
) -> axum::Router {
    let permits = Arc::new(Semaphore::new(max_in_flight.max(1)));
    router
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let permits = permits.clone();
                async move {
                    match permits.try_acquire_owned() {
                        Ok(_permit) => next.run(request).await,
                        Err(_) => (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(axum::http::header::RETRY_AFTER, "1")],
                        )
                            .into_response(),
                    }
                }
            },
        ))
}
