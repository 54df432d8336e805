//! Trustworthy MotionDynamic webhooks.
//!
//! The API's webhook body is only `{"video": url}`: unsigned, and silent on
//! which generation it is about. So every generation gets its own callback
//! URL, `{base}/{key}/{token}`, where `key` is a fresh generation key and
//! `token` is an HMAC-SHA256 of the key under a secret only this process
//! knows. A delivery whose token does not verify is forged; a delivery for
//! an unknown key is refused; a repeated delivery (the API retries every
//! 5 s for an hour until it sees a 200) is acknowledged and ignored.
//!
//! Behind a load balancer, give every replica the same secret
//! ([`WebhookReceiver::with_secret`]), let it accept its peers' keys
//! ([`WebhookReceiver::accept_peer_keys`]) and share one Redis
//! [`DedupeStore`] ([`WebhookReceiver::dedupe`]): a delivery is then acted
//! on once, whichever replica each retry reaches. The router bounds the
//! size of every request and how many are handled at once.
//!
//! Deliveries an application takes itself ([`WebhookReceiver::with_events`])
//! arrive as [`Delivered`] events: the delivery is answered 200 once the
//! application confirms it has acted, and 503 (MotionDynamic delivers it
//! again) when it drops the event unconfirmed or does not confirm it in
//! time ([`WebhookReceiver::confirm_within`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[cfg(feature = "axum")]
use axum::extract::{Path, State};
#[cfg(feature = "axum")]
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::StatusCode;
use motionkit_models::motiondynamic::WebhookPayload;
use motionkit_transport::{Claim, DedupeStore, Delivered, HandOver};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot};

/// Largest webhook body the router accepts (413 above it). A delivery is
/// `{"video": url}`.
pub const WEBHOOK_MAX_BODY_BYTES: usize = 64 * 1024;

/// Requests the router handles at once (503 with `Retry-After: 1` above
/// it; MotionDynamic delivers again 5 s later).
pub const WEBHOOK_MAX_IN_FLIGHT: usize = 64;

/// Deliveries remembered in this process for [`WebhookReceiver::wait`];
/// the oldest are forgotten first.
pub const WEBHOOK_MAX_REMEMBERED: usize = 100_000;

type HmacSha256 = Hmac<Sha256>;

/// A verified delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoReady {
    /// The generation key the callback URL was made for.
    pub key: String,
    /// URL of the rendered MP4.
    pub video: String,
}

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The token is not the HMAC of the key: forged or corrupted.
    #[error("webhook token does not verify: forged or corrupted callback")]
    Forged,
    /// The key was never issued by this receiver, or was forgotten.
    #[error("webhook for an unknown generation key")]
    UnknownKey,
    /// The body is not `{"video": url}`.
    #[error("webhook body is not {{\"video\": url}}: {0}")]
    Malformed(String),
    /// The shared deduplication store cannot be reached; the delivery was
    /// not acted on and will be accepted when MotionDynamic retries.
    #[error("webhook not processed: {0}")]
    Unavailable(String),
}

impl WebhookError {
    /// The status the receiver answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookError::Forged => StatusCode::UNAUTHORIZED,
            WebhookError::UnknownKey => StatusCode::NOT_FOUND,
            WebhookError::Malformed(_) => StatusCode::BAD_REQUEST,
            WebhookError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// What happened to a verified delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// The first delivery for this key.
    First(VideoReady),
    /// A repeat of a delivery already seen.
    Repeat,
}

#[derive(Debug, Default)]
struct Pending {
    /// Keys issued and not yet delivered: when, and their waiter if any.
    issued: HashMap<String, Issued>,
    /// Keys delivered, with what was delivered.
    delivered: HashMap<String, VideoReady>,
    /// Delivered keys, oldest first, to bound `delivered`.
    delivered_order: VecDeque<String>,
}

/// One issued key.
#[derive(Debug)]
struct Issued {
    at: tokio::time::Instant,
    waiter: Option<oneshot::Sender<VideoReady>>,
}

/// How long an issued key is kept without a delivery, unless something
/// waits for it: MotionDynamic renders within 18 minutes of a cold start
/// and retries a delivery for an hour, so a key older than this will not
/// be delivered.
pub const WEBHOOK_KEY_LIFETIME: Duration = Duration::from_secs(3 * 60 * 60);

impl Pending {
    /// Forgets issued keys past [`WEBHOOK_KEY_LIFETIME`] that nothing
    /// waits for any more, so that keys of generations given up on, timed
    /// out or dropped do not pile up.
    fn prune(&mut self, now: tokio::time::Instant) {
        self.issued.retain(|_, issued| {
            let waited_on = issued.waiter.as_ref().is_some_and(|w| !w.is_closed());
            waited_on || now.duration_since(issued.at) < WEBHOOK_KEY_LIFETIME
        });
    }

    fn remember(&mut self, ready: VideoReady) {
        while self.delivered_order.len() >= WEBHOOK_MAX_REMEMBERED {
            if let Some(old) = self.delivered_order.pop_front() {
                self.delivered.remove(&old);
            }
        }
        self.delivered_order.push_back(ready.key.clone());
        self.delivered.insert(ready.key.clone(), ready);
    }
}

/// Issues callback URLs and verifies deliveries. Cheap to clone; clones
/// share state.
#[derive(Clone)]
pub struct WebhookReceiver {
    base: String,
    secret: Arc<SecretSlice<u8>>,
    state: Arc<Mutex<Pending>>,
    events: Option<mpsc::Sender<Delivered<VideoReady>>>,
    dedupe: DedupeStore,
    confirm_within: Duration,
    peer_keys: bool,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("base", &self.base)
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

fn random_secret() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

impl WebhookReceiver {
    /// A receiver whose callback URLs start with `public_base` (the URL at
    /// which the [`WebhookReceiver::router`] is reachable from the
    /// internet), with a fresh random secret.
    pub fn new(public_base: impl Into<String>) -> Self {
        Self::with_secret(public_base, random_secret())
    }

    /// Like [`WebhookReceiver::new`] with a secret of your own, so that
    /// several processes, or a restarted one, accept each other's URLs.
    pub fn with_secret(public_base: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        WebhookReceiver {
            base: public_base.into().trim_end_matches('/').to_owned(),
            secret: Arc::new(SecretSlice::from(secret.into())),
            state: Arc::new(Mutex::new(Pending::default())),
            events: None,
            dedupe: DedupeStore::in_memory(),
            confirm_within: motionkit_transport::DEFAULT_CONFIRM_WITHIN,
            peer_keys: false,
        }
    }

    /// Where deliveries are claimed and confirmed (default: this
    /// process), so that a delivery is acted on once across every receiver
    /// that shares the store (a Redis [`DedupeStore`] shared by replicas).
    /// The in-process record of deliveries (bounded by
    /// [`WEBHOOK_MAX_REMEMBERED`]), which [`WebhookReceiver::wait`] reads,
    /// is always kept.
    pub fn dedupe(mut self, store: DedupeStore) -> Self {
        self.dedupe = store;
        self
    }

    /// How long a delivery waits for the application to confirm its event
    /// ([`WebhookReceiver::with_events`]) before it is answered 503, so
    /// that MotionDynamic delivers it again; a later confirmation still
    /// counts. Default 10 s.
    pub fn confirm_within(mut self, within: Duration) -> Self {
        self.confirm_within = within;
        self
    }

    /// Accepts deliveries for keys this process did not issue when their
    /// token verifies, that is keys issued by a replica with the same
    /// secret ([`WebhookReceiver::with_secret`]), or by an earlier run.
    /// Such a delivery reaches [`WebhookReceiver::with_events`], not a
    /// [`WebhookReceiver::wait`] of another process.
    pub fn accept_peer_keys(mut self) -> Self {
        self.peer_keys = true;
        self
    }

    /// The public base URL every callback URL starts with.
    pub fn public_base(&self) -> &str {
        &self.base
    }

    /// Also sends every first delivery to `events`, a bounded channel, as a
    /// [`Delivered`] event to [confirm](Delivered::confirm) once acted on:
    /// the delivery is answered 200 then. While the channel is full, or
    /// when the event is dropped unconfirmed or not confirmed within
    /// [`WebhookReceiver::confirm_within`], the delivery is answered 503
    /// and not recorded, so that MotionDynamic delivers it again (every
    /// 5 s, for an hour).
    pub fn with_events(mut self, events: mpsc::Sender<Delivered<VideoReady>>) -> Self {
        self.events = Some(events);
        self
    }

    fn token(&self, key: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(self.secret.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(key.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn verify(&self, key: &str, token: &str) -> Result<(), WebhookError> {
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token) else {
            return Err(WebhookError::Forged);
        };
        let mut mac = HmacSha256::new_from_slice(self.secret.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(key.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&tag).map_err(|_| WebhookError::Forged)
    }

    /// Issues a new generation key and its callback URL.
    pub fn issue(&self) -> (String, String) {
        let key = uuid::Uuid::new_v4().simple().to_string();
        let url = self.url_for(&key);
        if let Ok(mut state) = self.state.lock() {
            let now = tokio::time::Instant::now();
            state.prune(now);
            state.issued.insert(
                key.clone(),
                Issued {
                    at: now,
                    waiter: None,
                },
            );
        }
        (key, url)
    }

    /// The callback URL of a key.
    pub fn url_for(&self, key: &str) -> String {
        format!("{}/{key}/{}", self.base, self.token(key))
    }

    /// Waits for the delivery of `key`. Resolves at once when it already
    /// arrived; `None` when the key is unknown or the receiver was dropped.
    pub async fn wait(&self, key: &str) -> Option<VideoReady> {
        let receiver = {
            let mut state = self.state.lock().ok()?;
            if let Some(done) = state.delivered.get(key) {
                return Some(done.clone());
            }
            let slot = state.issued.get_mut(key)?;
            let (sender, receiver) = oneshot::channel();
            slot.waiter = Some(sender);
            receiver
        };
        receiver.await.ok()
    }

    /// Verifies one delivery to `/{key}/{token}` with `body`, against this
    /// process's own record only: no shared [`DedupeStore`], and no wait
    /// for a confirmation (an event handed to
    /// [`WebhookReceiver::with_events`] counts as acted on when queued).
    /// The router uses [`WebhookReceiver::deliver`], which has both.
    pub fn receive(&self, key: &str, token: &str, body: &[u8]) -> Result<Delivery, WebhookError> {
        let Some(ready) = self.check(key, token, body)? else {
            return Ok(Delivery::Repeat);
        };
        if let Some(events) = &self.events {
            match events.try_reserve() {
                Ok(permit) => permit.send(Delivered::unconfirmed(ready.clone())),
                Err(mpsc::error::TrySendError::Full(())) => {
                    return Err(WebhookError::Unavailable(
                        "the events queue is full".to_owned(),
                    ));
                }
                Err(mpsc::error::TrySendError::Closed(())) => {}
            }
        }
        Ok(self.act(ready))
    }

    /// Verifies one delivery and acts on it once across every receiver
    /// sharing this one's [`DedupeStore`]: what the router does. With an
    /// events channel ([`WebhookReceiver::with_events`]), it returns once
    /// the application has confirmed the event; otherwise the delivery is
    /// handed to its [`WebhookReceiver::wait`]er, if any, and recorded.
    pub async fn deliver(
        &self,
        key: &str,
        token: &str,
        body: &[u8],
    ) -> Result<Delivery, WebhookError> {
        let Some(ready) = self.check(key, token, body)? else {
            return Ok(Delivery::Repeat);
        };
        let claim_key = format!("motiondynamic:{key}");
        let handed = match &self.events {
            Some(events) => {
                motionkit_transport::hand_over(
                    &self.dedupe,
                    &claim_key,
                    events,
                    ready.clone(),
                    self.confirm_within,
                )
                .await
            }
            None => HandOver::Closed,
        };
        match handed {
            HandOver::Confirmed => Ok(self.act(ready)),
            // Confirmed by a replica: a waiter here still learns of it.
            HandOver::Repeat => {
                self.act(ready);
                Ok(Delivery::Repeat)
            }
            HandOver::Closed => self.claim_and_act(&claim_key, ready).await,
            HandOver::Again(why) => Err(WebhookError::Unavailable(why.to_owned())),
            HandOver::Unavailable(e) => Err(WebhookError::Unavailable(e)),
        }
    }

    /// Without an application channel: claims the delivery, records it
    /// (its waiter acts on it in this process) and confirms the claim.
    async fn claim_and_act(
        &self,
        claim_key: &str,
        ready: VideoReady,
    ) -> Result<Delivery, WebhookError> {
        let claimed = self
            .dedupe
            .claim_within(claim_key, DedupeStore::HAND_OVER_PATIENCE)
            .await
            .map_err(|e| WebhookError::Unavailable(e.to_string()))?;
        match claimed {
            Claim::Fresh(claim) => {
                let delivery = self.act(ready);
                if let Err(e) = self.dedupe.confirm(claim).await {
                    tracing::warn!(error = %e, "delivery handed over but not confirmed; its claim lapses");
                }
                Ok(delivery)
            }
            Claim::Done => {
                self.act(ready);
                Ok(Delivery::Repeat)
            }
            _ => Err(WebhookError::Unavailable(
                "another receiver is handing this delivery over".to_owned(),
            )),
        }
    }

    /// The token, the body and the key; `None` for a key already delivered
    /// here.
    fn check(
        &self,
        key: &str,
        token: &str,
        body: &[u8],
    ) -> Result<Option<VideoReady>, WebhookError> {
        self.verify(key, token)?;
        let payload: WebhookPayload =
            serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        let state = self.state.lock().map_err(|_| WebhookError::UnknownKey)?;
        if state.delivered.contains_key(key) {
            return Ok(None);
        }
        if !self.peer_keys && !state.issued.contains_key(key) {
            return Err(WebhookError::UnknownKey);
        }
        Ok(Some(VideoReady {
            key: key.to_owned(),
            video: payload.video,
        }))
    }

    /// Records a first delivery and hands it to its waiter.
    fn act(&self, ready: VideoReady) -> Delivery {
        let Ok(mut state) = self.state.lock() else {
            return Delivery::Repeat;
        };
        if state.delivered.contains_key(&ready.key) {
            return Delivery::Repeat;
        }
        let waiter = state.issued.remove(&ready.key).and_then(|i| i.waiter);
        state.remember(ready.clone());
        drop(state);
        if let Some(waiter) = waiter {
            let _ = waiter.send(ready.clone());
        }
        Delivery::First(ready)
    }

    /// Forgets a key, for example after giving up on its generation.
    pub fn forget(&self, key: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.issued.remove(key);
            state.delivered.remove(key);
            state.delivered_order.retain(|k| k != key);
        }
    }

    /// A ready axum router serving `POST /{key}/{token}`: answers 200 at
    /// once for verified deliveries (first or repeated), 401 for forged
    /// ones, 404 for unknown keys, 400 for malformed bodies, 413 for bodies
    /// over [`WEBHOOK_MAX_BODY_BYTES`], and 503 when more than [`WEBHOOK_MAX_IN_FLIGHT`]
    /// requests are in flight or a shared deduplication store cannot be
    /// reached. Mount it so that its paths sit under the public base URL.
    ///
    /// Without the `axum` feature, serve the same answers from any
    /// framework with [`WebhookReceiver::deliver`] and
    /// [`WebhookError::status`].
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router(&self) -> axum::Router {
        let router = axum::Router::new()
            .route("/{key}/{token}", post(handle))
            .with_state(self.clone());
        let receiver = self.clone();
        let admit = move |parts: &axum::http::request::Parts| {
            let mut segments = parts.uri.path().rsplit('/');
            let token = segments.next().unwrap_or_default();
            let key = segments.next().unwrap_or_default();
            receiver.admit(key, token).map_err(|e| e.status())
        };
        motionkit_transport::bounded_router(
            router,
            motionkit_transport::ReceiverBounds::new(WEBHOOK_MAX_BODY_BYTES, WEBHOOK_MAX_IN_FLIGHT),
            admit,
        )
    }

    /// Judges a delivery from its path alone, before its body is read: the
    /// token must verify and the key must be one this receiver issued (or,
    /// with peer keys, any verified key).
    pub fn admit(&self, key: &str, token: &str) -> Result<(), WebhookError> {
        self.verify(key, token)?;
        let state = self.state.lock().map_err(|_| WebhookError::UnknownKey)?;
        if self.peer_keys || state.issued.contains_key(key) || state.delivered.contains_key(key) {
            Ok(())
        } else {
            Err(WebhookError::UnknownKey)
        }
    }
}

#[cfg(feature = "axum")]
async fn handle(
    State(receiver): State<WebhookReceiver>,
    Path((key, token)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> StatusCode {
    match receiver.deliver(&key, &token, &body).await {
        Ok(Delivery::First(ready)) => {
            tracing::info!(key = %ready.key, "generation video ready");
            StatusCode::OK
        }
        Ok(Delivery::Repeat) => StatusCode::OK,
        // Counted and logged per interval by the bounded router.
        Err(e) => {
            tracing::debug!(error = %e, "webhook delivery refused");
            e.status()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_parts(url: &str) -> (String, String) {
        let mut parts = url.rsplit('/');
        let token = parts.next().unwrap().to_owned();
        let key = parts.next().unwrap().to_owned();
        (key, token)
    }

    #[test]
    fn first_delivery_resolves_repeats_are_ignored_forgeries_refused() {
        let receiver = WebhookReceiver::new("https://hooks.example.com/md");
        let (key, url) = receiver.issue();
        assert!(url.starts_with("https://hooks.example.com/md/"));
        let (k, token) = path_parts(&url);
        assert_eq!(k, key);
        let body = br#"{"video":"https://download.motiondynamic.tech/uuid.mp4"}"#;

        assert_eq!(
            receiver.receive(&key, "AAAA", body),
            Err(WebhookError::Forged)
        );
        assert_eq!(
            receiver.receive(&key, "%%%", body),
            Err(WebhookError::Forged)
        );
        let other = WebhookReceiver::new("https://hooks.example.com/md");
        let (_, forged) = path_parts(&other.url_for(&key));
        assert_eq!(
            receiver.receive(&key, &forged, body),
            Err(WebhookError::Forged)
        );

        assert!(matches!(
            receiver.receive(&key, &token, b"{video: 1}"),
            Err(WebhookError::Malformed(_))
        ));
        match receiver.receive(&key, &token, body).unwrap() {
            Delivery::First(ready) => {
                assert_eq!(ready.video, "https://download.motiondynamic.tech/uuid.mp4")
            }
            Delivery::Repeat => panic!("first delivery seen as a repeat"),
        }
        assert_eq!(receiver.receive(&key, &token, body), Ok(Delivery::Repeat));
    }

    #[test]
    fn a_full_events_queue_answers_503_and_the_redelivery_is_acted_on() {
        let (events, mut ready) = mpsc::channel(1);
        let receiver = WebhookReceiver::new("http://h").with_events(events);
        let (first, first_url) = receiver.issue();
        let (second, second_url) = receiver.issue();
        let body = br#"{"video":"https://cdn.example/v.mp4"}"#;
        let (_, token) = path_parts(&first_url);
        assert!(matches!(
            receiver.receive(&first, &token, body),
            Ok(Delivery::First(_))
        ));
        let (_, token) = path_parts(&second_url);
        let full = receiver.receive(&second, &token, body).unwrap_err();
        assert!(matches!(full, WebhookError::Unavailable(_)), "{full:?}");
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        // Not recorded: once the application catches up, the sender's next
        // delivery is the first one.
        assert_eq!(ready.try_recv().unwrap().key, first);
        assert!(matches!(
            receiver.receive(&second, &token, body),
            Ok(Delivery::First(_))
        ));
        assert_eq!(ready.try_recv().unwrap().key, second);
    }

    #[tokio::test]
    async fn a_delivery_is_answered_once_the_application_confirms_its_event() {
        let (events, mut taken) = mpsc::channel(4);
        let receiver = WebhookReceiver::new("http://h").with_events(events);
        let (key, url) = receiver.issue();
        let (_, token) = path_parts(&url);
        let body = br#"{"video":"https://cdn.example/v.mp4"}"#;
        let app = tokio::spawn(async move {
            // The application crashes while acting on the first hand-over:
            // the event is dropped unconfirmed.
            drop(taken.recv().await.unwrap());
            let again = taken.recv().await.unwrap();
            assert_eq!(again.video, "https://cdn.example/v.mp4");
            again.confirm();
            taken
        });
        let dropped = receiver.deliver(&key, &token, body).await.unwrap_err();
        assert_eq!(
            dropped.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{dropped}"
        );
        assert!(
            !receiver.state.lock().unwrap().delivered.contains_key(&key),
            "not recorded"
        );
        assert!(matches!(
            receiver.deliver(&key, &token, body).await,
            Ok(Delivery::First(_))
        ));
        let mut taken = app.await.unwrap();
        assert_eq!(
            receiver.deliver(&key, &token, body).await,
            Ok(Delivery::Repeat)
        );
        assert!(taken.try_recv().is_err(), "a repeat is not handed over");
        assert_eq!(receiver.wait(&key).await.unwrap().key, key);
    }

    #[test]
    fn keys_not_issued_here_are_unknown_even_with_a_valid_token() {
        let receiver = WebhookReceiver::with_secret("http://h", b"shared".to_vec());
        let url = receiver.url_for("never-issued");
        let (key, token) = path_parts(&url);
        assert_eq!(
            receiver.receive(&key, &token, br#"{"video":"x"}"#),
            Err(WebhookError::UnknownKey)
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let receiver = WebhookReceiver::with_secret("http://h", b"very-secret-bytes".to_vec());
        let debug = format!("{receiver:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
    }

    #[tokio::test]
    async fn wait_resolves_before_or_after_the_delivery() {
        let receiver = WebhookReceiver::new("http://h");
        let (key, url) = receiver.issue();
        let (_, token) = path_parts(&url);
        let waiting = {
            let receiver = receiver.clone();
            let key = key.clone();
            tokio::spawn(async move { receiver.wait(&key).await })
        };
        tokio::task::yield_now().await;
        receiver.receive(&key, &token, br#"{"video":"v"}"#).unwrap();
        assert_eq!(waiting.await.unwrap().unwrap().video, "v");
        assert_eq!(receiver.wait(&key).await.unwrap().video, "v");
        assert!(receiver.wait("unknown").await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn keys_nobody_waits_for_expire_and_awaited_ones_do_not() {
        let receiver = WebhookReceiver::new("http://h");
        let (stale, stale_url) = receiver.issue();
        let (awaited, _) = receiver.issue();
        let waiting = {
            let receiver = receiver.clone();
            let awaited = awaited.clone();
            tokio::spawn(async move { receiver.wait(&awaited).await })
        };
        tokio::task::yield_now().await;
        tokio::time::advance(WEBHOOK_KEY_LIFETIME + Duration::from_secs(1)).await;
        let (_fresh, _) = receiver.issue();
        let (key, token) = path_parts(&stale_url);
        assert_eq!(key, stale);
        assert_eq!(receiver.admit(&key, &token), Err(WebhookError::UnknownKey));
        let awaited_url = receiver.url_for(&awaited);
        let (key, token) = path_parts(&awaited_url);
        assert_eq!(receiver.admit(&key, &token), Ok(()), "its waiter keeps it");
        receiver
            .receive(&key, &token, br#"{"video":"https://cdn.example/v.mp4"}"#)
            .unwrap();
        assert_eq!(
            waiting.await.unwrap().unwrap().video,
            "https://cdn.example/v.mp4"
        );
        let state = receiver.state.lock().unwrap();
        assert_eq!(state.issued.len(), 1, "only the fresh key is left");
    }
}
