//! The DeepMotion Animate 3D emulator.
//!
//! It serves every endpoint of `specs/deepmotion.json` with the document's
//! status codes, headers and JSON shapes, plus the signed storage URLs the
//! API hands out (uploads, downloads, model files), which in the real
//! service live on Google Cloud Storage.
//!
//! # Routes
//!
//! | Route | Endpoint name |
//! |---|---|
//! | `GET /session/auth` | `session_auth` |
//! | `GET /upload?name=&resumable=` | `upload_url` |
//! | `POST /process` | `process` |
//! | `GET /status/{rids}` | `status` |
//! | `GET /download/{rids}` | `download` |
//! | `GET /list`, `GET /list/{statuses}` | `list`, `list_by_status` |
//! | `GET /account/creditBalance` | `credit_balance` |
//! | `POST /videoInfo` | `video_info` |
//! | `GET /character/getModelUploadUrl` | `get_model_upload_url` |
//! | `POST /character/storeModel` | `store_model` |
//! | `GET /character/listModels` | `list_models` |
//! | `DELETE /character/deleteModel/{model_id}` | `delete_model` |
//! | `POST`/`GET /webhook_endpoints` | `create_webhook_endpoint`, `list_webhook_endpoints` |
//! | `GET`/`POST`/`DELETE /webhook_endpoints/{endpoint_id}` | `get_`, `update_`, `delete_webhook_endpoint` |
//! | `PUT`/`POST`/`DELETE /storage/{key}` | `storage_upload` |
//! | `GET`/`HEAD /storage/{key}` | `storage_download` |
//! | `GET /openapi.json` | this API's OpenAPI 3.1 document, no session needed |
//!
//! Paths come from `motionkit_models::deepmotion::endpoints`. Every API
//! route goes through one middleware (`guard`) that counts the request,
//! applies the faults file (`Faults::decide`: 5xx, resets, 429 with
//! `Retry-After`, latency) and checks the `dmsess` session cookie.
//!
//! # Storage URLs
//!
//! `{base}/storage/{key}?expires={unix seconds}&signature={hex HMAC-SHA256}`,
//! see the `signing` module; the method (`PUT`, `POST` or `GET`) is part of
//! what is signed. Upload keys are `uploads/{id}/{file name}`, model files
//! `models/{id}/model/{name}.{ext}` and `models/{id}/thumb/{name}.{ext}`,
//! outputs `outputs/{rid}/{file name}`. A resumable session URI is
//! `{base}/storage/{key}?upload_id={id}`.
//!
//! # Choices where the document is silent
//!
//! - `/status/{rids}` and `/download/{rids}` list the known ids, in the
//!   order asked, and leave unknown ids out (`count` says how many are
//!   listed); when none of the ids is known the answer is `404` with a JSON
//!   error, so a mistyped single id is not polled forever.
//! - API errors are JSON `{"error": "..."}`; storage errors are GCS-style
//!   XML (`<Error><Code>..</Code><Message>..</Message></Error>`).
//! - Credits: 1000 at the start; a job costs one credit per started second
//!   of processed video (after `trim`), one for a picture, nothing when the
//!   input cannot be read (201/202). Charged at `POST /process`, reruns
//!   included; not enough credits is `402`.
//! - `/session/auth` answers `200` with an empty body and the cookie.
//!
//! # Layout
//!
//! The API's resources (session, storage, jobs, characters, webhooks)
//! divide both the handlers and the state:
//!
//! - `api/`: the handlers, one module per resource: `session`, `storage`
//!   (`GET /upload`), `processing` (jobs, credits, video information),
//!   `characters` and `webhook_endpoints`.
//! - `store/`: the SQLite state, one module per resource: `session`,
//!   `storage` (objects and resumable upload sessions), `jobs` (with the
//!   credits they are charged), `characters` and `webhooks`.
//! - `storage/`: the signed storage URLs themselves (uploads, resumable
//!   sessions, downloads); `signing` signs them and the session cookie.
//! - `jobs` decides a job's future at submission (`params` reads its
//!   parameters, `media` what its input is, `outputs` writes its files);
//!   `webhooks` delivers `job.completed`.

mod api;
mod jobs;
mod media;
mod outputs;
pub(crate) use outputs::png_rgb;
mod params;
mod people;
mod signing;
mod storage;
mod store;
mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, delete, get, post};
use motionkit_models::deepmotion::{SESSION_COOKIE, endpoints};
use motionkit_models::{AuthKind, Endpoint};
use rand::RngCore as _;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::faults::Fault;
use crate::{SandboxConfig, SandboxError};

use self::signing::Signer;
use self::store::Store;

/// Request counters and other numbers tests look at.
#[derive(Debug, Default)]
struct Counters {
    requests: Mutex<BTreeMap<String, u64>>,
    auths: AtomicU64,
    submissions: AtomicU64,
    webhook_attempts: AtomicU64,
    webhook_deliveries: AtomicU64,
    faults: AtomicU64,
    uri_too_long: AtomicU64,
    /// Body bytes received by storage uploads, re-sent and dropped ones included.
    upload_bytes: AtomicU64,
}

/// Shared state of the emulator.
pub(crate) struct Inner {
    config: Arc<SandboxConfig>,
    base_url: String,
    store: Store,
    signer: Signer,
    scale: f64,
    shutdown: CancellationToken,
    counters: Counters,
    http: reqwest::Client,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Storage uploads are read at most this many bytes per second (0: no limit).
    upload_rate: AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("base_url", &self.base_url)
            .field("store", &self.store)
            .field("scale", &self.scale)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    Clock::epoch_millis()
}

impl Inner {
    /// Counts one request to `name`.
    fn count(&self, name: &str) {
        let mut map = self
            .counters
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *map.entry(name.to_owned()).or_default() += 1;
    }

    /// Real time that `simulated` seconds take on the scaled clock.
    pub(crate) fn real(&self, simulated: f64) -> Duration {
        Duration::from_secs_f64((simulated / self.scale).max(0.0))
    }

    /// Simulated seconds between `since_ms` and now.
    pub(crate) fn simulated_since(&self, since_ms: u64) -> f64 {
        now_ms().saturating_sub(since_ms) as f64 / 1000.0 * self.scale
    }

    /// Decides and applies the configured fault for a request to `name`:
    /// `Some(response)` answers the request instead of the handler.
    async fn inject(&self, name: &str, idempotent: bool) -> Option<Response> {
        let (fault, latency) = self.config.faults.decide(name, idempotent);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let response = match fault {
            Fault::None => return None,
            Fault::Reset => crate::server::reset(),
            Fault::ServerError(code) => {
                let status =
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                api::error(status, "sandbox: injected server error")
            }
            Fault::TooManyRequests => {
                let mut response = api::error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "sandbox: injected rate limit",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        };
        self.counters.faults.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(endpoint = name, ?fault, "deepmotion: injected fault");
        Some(response)
    }

    /// True when the request carries a valid, unexpired `dmsess` cookie.
    fn has_session(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| signing::cookie_value(v, SESSION_COOKIE))
            .filter_map(|cookie| self.signer.session_token(&cookie))
            .any(|token| {
                self.store
                    .session_expiry(&token)
                    .is_some_and(|expires| expires > now_ms())
            })
    }

    /// A lock per key, for writes that must not interleave.
    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, lock| Arc::strong_count(lock) > 1);
        map.entry(key.to_owned()).or_default().clone()
    }
}

/// The one middleware in front of every API route: counts the request,
/// refuses over-long URLs, applies faults, checks the session.
async fn guard(
    State((inner, endpoint)): State<(Arc<Inner>, &'static Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    inner.count(endpoint.name);
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |t| t.as_str().len());
    if target > inner.config.args.max_uri_bytes {
        inner.counters.uri_too_long.fetch_add(1, Ordering::Relaxed);
        return api::error(
            StatusCode::URI_TOO_LONG,
            format!(
                "request target of {target} bytes is over the limit of {}",
                inner.config.args.max_uri_bytes
            ),
        );
    }
    if let Some(response) = inner.inject(endpoint.name, endpoint.idempotent).await {
        return response;
    }
    if endpoint.auth == AuthKind::Session && !inner.has_session(request.headers()) {
        return api::error(
            StatusCode::UNAUTHORIZED,
            "no valid session: call GET /session/auth and send the dmsess cookie",
        );
    }
    next.run(request).await
}

/// The DeepMotion half of the sandbox.
#[derive(Debug, Clone)]
pub struct DeepMotion {
    inner: Arc<Inner>,
}

impl DeepMotion {
    /// Prepares the emulator that will serve at `base_url`: opens (or
    /// creates) its state and re-schedules the `job.completed` events of
    /// jobs that a previous run did not get to.
    pub fn new(
        config: Arc<SandboxConfig>,
        base_url: &str,
        shutdown: CancellationToken,
    ) -> Result<Self, SandboxError> {
        let store = Store::open(config.args.data_dir.as_deref()).map_err(SandboxError::Storage)?;
        let key = match store.meta("signing_key") {
            Some(key) => key,
            None => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                let key = signing::hex(&bytes);
                store.set_meta("signing_key", &key);
                key
            }
        };
        let scale = config.args.time_scale;
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SandboxError::Storage(format!("webhook client: {e}")))?;
        let upload_rate = AtomicU64::new(config.faults.file.upload_bytes_per_sec);
        let inner = Arc::new(Inner {
            config,
            base_url: base_url.trim_end_matches('/').to_owned(),
            store,
            signer: Signer::new(key.into_bytes()),
            scale,
            shutdown,
            counters: Counters::default(),
            upload_rate,
            http,
            locks: Mutex::new(HashMap::new()),
        });
        api::ensure_stock_models(&inner);
        if tokio::runtime::Handle::try_current().is_ok() {
            for job in inner.store.jobs().into_iter().filter(|job| !job.notified) {
                webhooks::schedule(inner.clone(), &job);
            }
        }
        Ok(DeepMotion { inner })
    }

    /// The routes.
    pub fn router(&self) -> Router {
        let inner = &self.inner;
        let ep = |endpoint: &'static Endpoint, route: MethodRouter<Arc<Inner>>| {
            route.layer(axum::middleware::from_fn_with_state(
                (inner.clone(), endpoint),
                guard,
            ))
        };
        use endpoints as e;
        Router::new()
            .route(
                e::SESSION_AUTH.path,
                ep(&e::SESSION_AUTH, get(api::session_auth)),
            )
            .route(e::UPLOAD_URL.path, ep(&e::UPLOAD_URL, get(api::upload_url)))
            .route(e::PROCESS.path, ep(&e::PROCESS, post(api::process)))
            .route(e::STATUS.path, ep(&e::STATUS, get(api::status)))
            .route(e::DOWNLOAD.path, ep(&e::DOWNLOAD, get(api::download)))
            .route(e::LIST.path, ep(&e::LIST, get(api::list)))
            .route(
                e::LIST_BY_STATUS.path,
                ep(&e::LIST_BY_STATUS, get(api::list_by_status)),
            )
            .route(
                e::CREDIT_BALANCE.path,
                ep(&e::CREDIT_BALANCE, get(api::credit_balance)),
            )
            .route(
                e::VIDEO_INFO.path,
                ep(&e::VIDEO_INFO, post(api::video_info)),
            )
            .route(
                e::GET_MODEL_UPLOAD_URL.path,
                ep(&e::GET_MODEL_UPLOAD_URL, get(api::get_model_upload_url)),
            )
            .route(
                e::STORE_MODEL.path,
                ep(&e::STORE_MODEL, post(api::store_model)),
            )
            .route(
                e::LIST_MODELS.path,
                ep(&e::LIST_MODELS, get(api::list_models)),
            )
            .route(
                e::DELETE_MODEL.path,
                ep(&e::DELETE_MODEL, delete(api::delete_model)),
            )
            .route(
                e::CREATE_WEBHOOK_ENDPOINT.path,
                ep(&e::CREATE_WEBHOOK_ENDPOINT, post(api::create_webhook)),
            )
            .route(
                e::LIST_WEBHOOK_ENDPOINTS.path,
                ep(&e::LIST_WEBHOOK_ENDPOINTS, get(api::list_webhooks)),
            )
            .route(
                e::GET_WEBHOOK_ENDPOINT.path,
                ep(&e::GET_WEBHOOK_ENDPOINT, get(api::get_webhook)),
            )
            .route(
                e::UPDATE_WEBHOOK_ENDPOINT.path,
                ep(&e::UPDATE_WEBHOOK_ENDPOINT, post(api::update_webhook)),
            )
            .route(
                e::DELETE_WEBHOOK_ENDPOINT.path,
                ep(&e::DELETE_WEBHOOK_ENDPOINT, delete(api::delete_webhook)),
            )
            .route("/storage/{*key}", any(storage::storage))
            .route(
                "/openapi.json",
                get(|State(inner): State<Arc<Inner>>| async move {
                    crate::openapi::respond(crate::openapi::DEEPMOTION, &inner.base_url)
                }),
            )
            .fallback(|| async {
                api::error(StatusCode::NOT_FOUND, "no such endpoint").into_response()
            })
            .with_state(inner.clone())
    }

    /// Base URL the emulator serves at.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Requests received by endpoint name (the spec's names, plus
    /// `storage_upload` and `storage_download`), faulted ones included.
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.request_counts().get(endpoint).copied().unwrap_or(0)
    }

    /// Every request counter, by endpoint name.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.inner
            .counters
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Successful `GET /session/auth` calls.
    pub fn successful_auths(&self) -> u64 {
        self.inner.counters.auths.load(Ordering::Relaxed)
    }

    /// Jobs created by `POST /process` (accepted and charged) since start.
    pub fn process_submissions(&self) -> u64 {
        self.inner.counters.submissions.load(Ordering::Relaxed)
    }

    /// The account's credit balance.
    pub fn credits(&self) -> f64 {
        self.inner.store.credits()
    }

    /// Sets the account's credit balance.
    pub fn set_credits(&self, credits: f64) {
        self.inner.store.set_credits(credits);
    }

    /// Webhook POSTs attempted since start.
    pub fn webhook_attempts(&self) -> u64 {
        self.inner.counters.webhook_attempts.load(Ordering::Relaxed)
    }

    /// Webhook events delivered (answered 2xx) since start.
    pub fn webhook_deliveries(&self) -> u64 {
        self.inner
            .counters
            .webhook_deliveries
            .load(Ordering::Relaxed)
    }

    /// Requests refused with 414 because their URL was over `--max-uri-bytes`.
    pub fn uri_too_long(&self) -> u64 {
        self.inner.counters.uri_too_long.load(Ordering::Relaxed)
    }

    /// Faults injected since start (errors, resets, 429s, cut transfers).
    pub fn injected_faults(&self) -> u64 {
        self.inner.counters.faults.load(Ordering::Relaxed)
    }

    /// Request ids of every job, oldest first.
    pub fn job_ids(&self) -> Vec<String> {
        self.inner.store.jobs().into_iter().map(|j| j.rid).collect()
    }

    /// The `params` a job was submitted with, as received.
    pub fn job_params(&self, rid: &str) -> Option<Vec<String>> {
        self.inner.store.job(rid).map(|j| j.params)
    }
}
