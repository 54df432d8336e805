//! Receiving DeepMotion webhook events.
//!
//! DeepMotion signs an event by sending the client id itself in
//! `X-DeepMotion-Signature`. [`verify`] compares it in constant time, parses
//! the body into a typed [`JobCompleted`] and never panics on what a server
//! (or an attacker) sends. [`router`] is a ready axum handler that answers
//! 200 at once, hands each event to the application through a channel and
//! drops repeated deliveries.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use motionkit_models::deepmotion::{SIGNATURE_HEADER, WebhookEvent, WebhookEventType};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

/// A verified `job.completed` event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobCompleted {
    /// The job's request id.
    pub rid: String,
    /// `Some(true)` for success, `Some(false)` for failure, `None` when the
    /// event did not say.
    pub succeeded: Option<bool>,
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No `X-DeepMotion-Signature` header.
    #[error("webhook has no {SIGNATURE_HEADER} header")]
    MissingSignature,
    /// The signature is not this client's id.
    #[error("webhook signature does not match the client id")]
    BadSignature,
    /// The body is not a webhook event.
    #[error("webhook body is not a DeepMotion event: {0}")]
    Malformed(String),
    /// An event type this version does not know.
    #[error("webhook event type `{0}` is not supported")]
    UnsupportedEvent(String),
}

impl WebhookError {
    /// The status a receiver answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookError::MissingSignature | WebhookError::BadSignature => StatusCode::UNAUTHORIZED,
            WebhookError::Malformed(_) => StatusCode::BAD_REQUEST,
            WebhookError::UnsupportedEvent(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Verifies the signature header against `client_id` in constant time and
/// parses the body.
pub fn verify(
    headers: &HeaderMap,
    body: &[u8],
    client_id: &str,
) -> Result<JobCompleted, WebhookError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .ok_or(WebhookError::MissingSignature)?
        .as_bytes();
    // Hashing both sides first makes the comparison independent of length.
    let matches: bool = digest(signature)
        .ct_eq(&digest(client_id.as_bytes()))
        .into();
    if !matches {
        return Err(WebhookError::BadSignature);
    }
    let event: WebhookEvent = motionkit_models::decode(
        std::str::from_utf8(body).map_err(|e| WebhookError::Malformed(e.to_string()))?,
    )
    .map_err(|e| WebhookError::Malformed(e.to_string()))?;
    match event.event_type {
        WebhookEventType::JobCompleted => {}
        other => return Err(WebhookError::UnsupportedEvent(other.to_string())),
    }
    let succeeded = event.data.status.as_deref().and_then(|s| {
        if s.eq_ignore_ascii_case("success") {
            Some(true)
        } else if s.eq_ignore_ascii_case("failure") {
            Some(false)
        } else {
            None
        }
    });
    Ok(JobCompleted {
        rid: event.data.task_id,
        succeeded,
    })
}

#[derive(Clone)]
struct Receiver {
    client_id: Arc<SecretString>,
    seen: Arc<Mutex<HashSet<JobCompleted>>>,
    events: mpsc::UnboundedSender<JobCompleted>,
}

/// A ready axum router serving `POST /` for webhook deliveries, and the
/// channel its verified, de-duplicated events arrive on. Mount it where the
/// registered webhook URL points.
pub fn router(
    client_id: impl Into<String>,
) -> (axum::Router, mpsc::UnboundedReceiver<JobCompleted>) {
    let (events, receiver) = mpsc::unbounded_channel();
    let state = Receiver {
        client_id: Arc::new(SecretString::from(client_id.into())),
        seen: Arc::new(Mutex::new(HashSet::new())),
        events,
    };
    let router = axum::Router::new()
        .route("/", post(handle))
        .with_state(state);
    (router, receiver)
}

async fn handle(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    match verify(&headers, &body, receiver.client_id.expose_secret()) {
        Ok(event) => {
            let first = receiver
                .seen
                .lock()
                .map(|mut seen| seen.insert(event.clone()))
                .unwrap_or(true);
            if first {
                let _ = receiver.events.send(event);
            }
            StatusCode::OK
        }
        Err(e) => {
            tracing::warn!(error = %e, "DeepMotion webhook refused");
            e.status()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        headers
    }

    const BODY: &[u8] =
        br#"{"eventType":"job.completed","data":{"taskId":"r1","status":"success"}}"#;

    #[test]
    fn valid_events_parse_and_bad_ones_are_refused() {
        let event = verify(&signed("client-1"), BODY, "client-1").unwrap();
        assert_eq!(
            event,
            JobCompleted {
                rid: "r1".into(),
                succeeded: Some(true)
            }
        );
        assert_eq!(
            verify(&HeaderMap::new(), BODY, "client-1"),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify(&signed("client-2"), BODY, "client-1"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&signed("client-"), BODY, "client-1"),
            Err(WebhookError::BadSignature)
        );
        assert!(matches!(
            verify(&signed("client-1"), b"{", "client-1"),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            verify(&signed("client-1"), &[0xff, 0xfe], "client-1"),
            Err(WebhookError::Malformed(_))
        ));
        let other = br#"{"eventType":"job.started","data":{"taskId":"r1"}}"#;
        assert_eq!(
            verify(&signed("client-1"), other, "client-1"),
            Err(WebhookError::UnsupportedEvent("job.started".into()))
        );
        let failed = br#"{"eventType":"job.completed","data":{"taskId":"r2","status":"FAILURE"}}"#;
        assert_eq!(
            verify(&signed("client-1"), failed, "client-1")
                .unwrap()
                .succeeded,
            Some(false)
        );
    }

    proptest::proptest! {
        #[test]
        fn verify_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256), sig in ".{0,40}") {
            if let Ok(value) = HeaderValue::from_str(&sig) {
                let mut headers = HeaderMap::new();
                headers.insert(SIGNATURE_HEADER, value);
                let _ = verify(&headers, &body, "client-1");
            }
        }
    }
}
