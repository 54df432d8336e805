//! Receiving DeepMotion webhook events.
//!
//! DeepMotion signs an event by sending the client id itself in
//! `X-DeepMotion-Signature`. [`verify`] compares it in constant time, parses
//! the body into a typed [`JobCompleted`] and never panics on what a server
//! (or an attacker) sends. `WebhookReceiver` (cargo feature `axum`) has
//! the same shape as MotionDynamic's: `with_events` names the bounded
//! channel each verified event reaches the application on, as a
//! `Delivered` event; `router()` is a ready axum handler and `serve(addr)`
//! serves it on an address of its own. A delivery is answered 200 once the
//! application [confirms](motionkit_transport::Delivered::confirm) its
//! event, and repeated deliveries are dropped, in this process or, with a
//! shared [`DedupeStore`], across replicas. Because the
//! signature is not secret, register the endpoint under an unguessable
//! [`PathToken`] and give it to the receiver too. Every request is bounded
//! in size and in number ([`ReceiverLimits`]).

#[cfg(feature = "axum")]
use std::sync::Arc;

#[cfg(feature = "axum")]
use axum::extract::State;
#[cfg(feature = "axum")]
use axum::routing::post;
use http::{HeaderMap, StatusCode};
use motionkit_models::deepmotion::{SIGNATURE_HEADER, WebhookEvent, WebhookEventType};
#[cfg(feature = "axum")]
use motionkit_transport::{DedupeStore, Delivered, HandOver};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
#[cfg(feature = "axum")]
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
pub fn verify_webhook(
    headers: &HeaderMap,
    body: &[u8],
    client_id: &str,
) -> Result<JobCompleted, WebhookError> {
    verify_signature(headers, client_id)?;
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

/// Checks the signature header alone, in constant time.
fn verify_signature(headers: &HeaderMap, client_id: &str) -> Result<(), WebhookError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .ok_or(WebhookError::MissingSignature)?
        .as_bytes();
    // Hashing both sides first makes the comparison independent of length.
    let matches: bool = digest(signature)
        .ct_eq(&digest(client_id.as_bytes()))
        .into();
    if matches {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// An unguessable path segment for one webhook endpoint.
///
/// DeepMotion's signature is the client id, which is not a secret: anyone
/// who knows it can sign an event. Registering the endpoint at
/// `{base}/{token}` ([`PathToken::endpoint_url`], or
/// [`Client::create_webhook_with_token`](crate::Client::create_webhook_with_token))
/// and giving the same token to [`WebhookReceiver::path_token`] makes the
/// receiver refuse (404) every delivery that does not know the URL. The
/// token is 256 random bits, URL-safe base64; `Debug` never shows it.
#[derive(Clone)]
pub struct PathToken(SecretString);

impl std::fmt::Debug for PathToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PathToken([redacted])")
    }
}

impl PathToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        use base64::Engine as _;
        let bytes: [u8; 32] = rand::random();
        PathToken(SecretString::from(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// A token kept from an earlier run, or shared by replicas. It must be
    /// 22 to 128 characters of `A-Z a-z 0-9 - _`.
    pub fn from_secret(token: impl Into<String>) -> Result<Self, WebhookError> {
        let token = token.into();
        let ok = (22..=128).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(PathToken(SecretString::from(token)))
        } else {
            Err(WebhookError::Malformed(
                "a path token is 22 to 128 characters of A-Z a-z 0-9 - _".to_owned(),
            ))
        }
    }

    /// The token itself, to store it for a later run. Treat it as a secret.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// `{base}/{token}`: the URL to register for a receiver reachable at
    /// `base`.
    pub fn endpoint_url(&self, base: &str) -> String {
        format!("{}/{}", base.trim_end_matches('/'), self.expose_secret())
    }

    #[cfg(feature = "axum")]
    fn matches(&self, candidate: &str) -> bool {
        digest(candidate.as_bytes())
            .ct_eq(&digest(self.expose_secret().as_bytes()))
            .into()
    }
}

/// Bounds of a [`WebhookReceiver`].
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverLimits {
    /// Largest request body accepted (413 above it). Default 64 KiB; an
    /// event is a few hundred bytes.
    pub max_body_bytes: usize,
    /// Requests handled at once (503 with `Retry-After: 1` above it).
    /// Default 64.
    pub max_in_flight: usize,
    /// How long a delivery waits for the application to confirm its event
    /// before it is answered 503 (the sender then delivers it again; a
    /// later confirmation still counts). Default 10 s.
    pub confirm_within: std::time::Duration,
}

#[cfg(feature = "axum")]
impl ReceiverLimits {
    /// Sets the `max_body_bytes` field.
    pub fn max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// Sets the `max_in_flight` field.
    pub fn max_in_flight(mut self, max_in_flight: usize) -> Self {
        self.max_in_flight = max_in_flight;
        self
    }

    /// Sets the `confirm_within` field.
    pub fn confirm_within(mut self, confirm_within: std::time::Duration) -> Self {
        self.confirm_within = confirm_within;
        self
    }
}

#[cfg(feature = "axum")]
impl Default for ReceiverLimits {
    fn default() -> Self {
        ReceiverLimits {
            max_body_bytes: 64 * 1024,
            max_in_flight: 64,
            confirm_within: motionkit_transport::DEFAULT_CONFIRM_WITHIN,
        }
    }
}

/// A DeepMotion webhook receiver: verifies and de-duplicates
/// `job.completed` events and hands them to the application's channel
/// ([`WebhookReceiver::with_events`]). Serve it with
/// [`WebhookReceiver::serve`], or mount [`WebhookReceiver::router`] in an
/// axum application of your own.
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::WebhookReceiver;
/// let (endpoint, token) = client
///     .create_webhook_with_token("https://hooks.example.com/deepmotion", &["job.completed"])
///     .await?;
/// let (sender, mut events) = tokio::sync::mpsc::channel(1024);
/// // Listens on port 8080, where https://hooks.example.com/deepmotion
/// // forwards to.
/// let served = WebhookReceiver::new(client.client_id())
///     .path_token(token)
///     .with_events(sender)
///     .serve("0.0.0.0:8080")
///     .await?;
/// while let Some(event) = events.recv().await {
///     println!("{} finished: {:?}", event.rid, event.succeeded);
///     // Acted on: the sender hears 200 now, and repeats are dropped.
///     event.confirm();
/// }
/// # let _ = (endpoint, served); Ok(()) }
/// ```
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    client_id: Arc<SecretString>,
    token: Option<PathToken>,
    dedupe: DedupeStore,
    limits: ReceiverLimits,
    events: Option<mpsc::Sender<Delivered<JobCompleted>>>,
}

#[cfg(feature = "axum")]
impl WebhookReceiver {
    /// A receiver for the account whose client id is `client_id`, with an
    /// in-process [`DedupeStore`] and default [`ReceiverLimits`].
    pub fn new(client_id: impl Into<String>) -> Self {
        WebhookReceiver {
            client_id: Arc::new(SecretString::from(client_id.into())),
            token: None,
            dedupe: DedupeStore::in_memory(),
            limits: ReceiverLimits::default(),
            events: None,
        }
    }

    /// Sends every verified first delivery to `events`, a bounded channel,
    /// as a [`Delivered`] event to [confirm](Delivered::confirm) once acted
    /// on: the delivery is answered 200 then. While the channel is full,
    /// or when the event is dropped unconfirmed or not confirmed within
    /// [`ReceiverLimits::confirm_within`], the delivery is answered 503 and
    /// not recorded, so that DeepMotion delivers it again. A receiver with
    /// no channel (or a dropped one) answers every verified delivery 503:
    /// nothing would act on it.
    pub fn with_events(mut self, events: mpsc::Sender<Delivered<JobCompleted>>) -> Self {
        self.events = Some(events);
        self
    }

    /// Serves `POST /{token}` instead of `POST /`, and refuses every other
    /// path with 404.
    pub fn path_token(mut self, token: PathToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Where repeated deliveries are recognised (default: this process).
    /// Give every replica the same Redis store
    /// (`DedupeStore::redis`, cargo feature `redis`) so that an event is
    /// queued by one replica only.
    pub fn dedupe(mut self, store: DedupeStore) -> Self {
        self.dedupe = store;
        self
    }

    /// Request and queue bounds.
    pub fn limits(mut self, limits: ReceiverLimits) -> Self {
        self.limits = limits;
        self
    }

    /// A ready axum router for webhook deliveries: each verified,
    /// de-duplicated event goes to the [`WebhookReceiver::with_events`]
    /// channel. Confirm each event ([`Delivered::confirm`]) once it has
    /// been acted on: the delivery is answered 200 then (or when
    /// recognised as a repeat of a confirmed one). An event dropped
    /// unconfirmed, or not confirmed within
    /// [`ReceiverLimits::confirm_within`], is answered 503 so that
    /// DeepMotion delivers it again. Refused events get 401/400/422, a
    /// wrong path token 404, a body over the limit 413; 503 also answers a
    /// full channel, too many requests in flight, no channel or a dropped
    /// one, or an unreachable shared deduplication store. Mount it where
    /// the registered webhook URL points.
    pub fn router(&self) -> axum::Router {
        let events = self.events.clone().unwrap_or_else(|| {
            tracing::warn!(
                "DeepMotion webhook receiver has no events channel (`with_events`): \
                 every verified delivery will be answered 503"
            );
            // A closed channel: every hand-over answers 503.
            mpsc::channel(1).0
        });
        let path = if self.token.is_some() {
            "/{token}"
        } else {
            "/"
        };
        let state = Shared {
            receiver: self.clone(),
            events,
        };
        let router = axum::Router::new()
            .route(path, post(handle))
            .with_state(state);
        bounded(router, self)
    }

    /// Listens on `addr` and serves [`WebhookReceiver::router`] there
    /// (with a deadline on request heads and a cap on connections) until
    /// the returned [`ServedReceiver`] is shut down or dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`](crate::Error::Transport) of kind `Io` when the
    /// address cannot be bound.
    pub async fn serve(
        self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> Result<ServedReceiver, crate::Error> {
        let listener = motionkit_transport::bind_receiver(addr).await?;
        let router = self.router();
        Ok(ServedReceiver::start(listener, router, self)?)
    }
}

/// A [`WebhookReceiver`] served on a local address until
/// [`ServedReceiver::shutdown`](motionkit_transport::ServedReceiver::shutdown)
/// or drop; it dereferences to the receiver.
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub type ServedReceiver = motionkit_transport::ServedReceiver<WebhookReceiver>;

/// Adds the shared receiver bounds to `router`: the path token and the
/// signature header are checked before the body is read or a slot taken.
#[cfg(feature = "axum")]
fn bounded(router: axum::Router, receiver: &WebhookReceiver) -> axum::Router {
    let limits = receiver.limits;
    let (token, client_id) = (receiver.token.clone(), receiver.client_id.clone());
    let admit = move |parts: &axum::http::request::Parts| {
        if let Some(expected) = &token {
            let given = parts.uri.path().rsplit('/').next().unwrap_or_default();
            if !expected.matches(given) {
                return Err(StatusCode::NOT_FOUND);
            }
        }
        verify_signature(&parts.headers, client_id.expose_secret()).map_err(|e| e.status())
    };
    motionkit_transport::bounded_router(
        router,
        motionkit_transport::ReceiverBounds::new(limits.max_body_bytes, limits.max_in_flight),
        admit,
    )
}

#[cfg(feature = "axum")]
#[derive(Clone)]
struct Shared {
    receiver: WebhookReceiver,
    events: mpsc::Sender<Delivered<JobCompleted>>,
}

#[cfg(feature = "axum")]
async fn handle(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let receiver = &shared.receiver;
    if let Some(expected) = &receiver.token {
        let token = uri.path().rsplit('/').next().unwrap_or_default();
        if !expected.matches(token) {
            tracing::debug!("DeepMotion webhook refused: wrong path token");
            return StatusCode::NOT_FOUND;
        }
    }
    let event = match verify_webhook(&headers, &body, receiver.client_id.expose_secret()) {
        Ok(event) => event,
        Err(e) => {
            tracing::debug!(error = %e, "DeepMotion webhook refused");
            return e.status();
        }
    };
    let key = format!(
        "deepmotion:{}:{}:{:?}",
        receiver.client_id.expose_secret(),
        event.rid,
        event.succeeded
    );
    let rid = event.rid.clone();
    let handed = motionkit_transport::hand_over(
        &receiver.dedupe,
        &key,
        &shared.events,
        event,
        receiver.limits.confirm_within,
    )
    .await;
    match &handed {
        HandOver::Confirmed | HandOver::Repeat => {}
        HandOver::Again(why) => {
            tracing::debug!(rid = %rid, why, "DeepMotion webhook not acted on yet: answering 503");
        }
        HandOver::Closed => {
            tracing::warn!(rid = %rid, "DeepMotion webhook: the events channel was dropped; answering 503");
        }
        HandOver::Unavailable(e) => {
            tracing::warn!(error = %e, "DeepMotion webhook: answering 503");
        }
    }
    handed.status()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn signed(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        headers
    }

    const BODY: &[u8] =
        br#"{"eventType":"job.completed","data":{"taskId":"r1","status":"success"}}"#;

    #[test]
    fn valid_events_parse_and_bad_ones_are_refused() {
        let event = verify_webhook(&signed("client-1"), BODY, "client-1").unwrap();
        assert_eq!(
            event,
            JobCompleted {
                rid: "r1".into(),
                succeeded: Some(true)
            }
        );
        assert_eq!(
            verify_webhook(&HeaderMap::new(), BODY, "client-1"),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify_webhook(&signed("client-2"), BODY, "client-1"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_webhook(&signed("client-"), BODY, "client-1"),
            Err(WebhookError::BadSignature)
        );
        assert!(matches!(
            verify_webhook(&signed("client-1"), b"{", "client-1"),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            verify_webhook(&signed("client-1"), &[0xff, 0xfe], "client-1"),
            Err(WebhookError::Malformed(_))
        ));
        let other = br#"{"eventType":"job.started","data":{"taskId":"r1"}}"#;
        assert_eq!(
            verify_webhook(&signed("client-1"), other, "client-1"),
            Err(WebhookError::UnsupportedEvent("job.started".into()))
        );
        let failed = br#"{"eventType":"job.completed","data":{"taskId":"r2","status":"FAILURE"}}"#;
        assert_eq!(
            verify_webhook(&signed("client-1"), failed, "client-1")
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
                let _ = verify_webhook(&headers, &body, "client-1");
            }
        }
    }
}
