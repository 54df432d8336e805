//! HTTP core shared by the motionkit clients (DeepMotion Animate 3D and
//! MotionDynamic).
//!
//! Both APIs need the same careful plumbing: credentials that expire, rate
//! limits that block a whole IP, requests that must never be sent twice
//! (`POST /process` is charged), and multi-gigabyte uploads and downloads
//! over flaky links. This crate does that once, so the service crates only
//! describe endpoints and types.
//!
//! - Requests are the generated request types (one per endpoint, for
//!   example `motionkit_models::deepmotion::requests::Status`), or anything
//!   that implements [`motionkit_models::Request`]:
//!   [`Transport::send_json`] for JSON calls, [`Transport::send`] for the
//!   raw response, [`Transport::send_url`] for signed storage URLs.
//! - [`Auth`]: DeepMotion's Basic login → `dmsess` session cookie, renewed
//!   before it expires and once after a 401 (single-flight across
//!   concurrent callers); or MotionDynamic's bearer JWT.
//! - Retries ([`status_verdict`] and the one classifier behind it): only idempotent requests, only after
//!   transient failures, with full-jitter backoff, `Retry-After`, a deadline
//!   and a retry budget shared by all clones. Every [`Error`] says whether
//!   the request may have reached the server ([`Sent`]).
//! - Rate limit ([`RateLimit`]): a GCRA limiter and a client-wide pause
//!   after a 429, shared by all clones; with a [`RateLimitStore`], shared
//!   by every process on the machine (a locked file) or a fleet (Redis,
//!   cargo feature `redis`).
//! - [`DedupeStore`]: which webhook deliveries were already acted on, in
//!   this process (bounded) or across replicas (Redis `SET NX EX`).
//! - Transfers: [`Transport::upload_file`], [`Transport::upload_resumable`]
//!   and [`Transport::download`] stream from and to disk in constant memory;
//!   a resumable upload can go on in a later process ([`SessionUri`],
//!   [`Transport::upload_status`]);
//!   downloads are atomic and resumable, and server-given names go through
//!   [`sanitize_file_name`].
//! - [`settings`]: credentials and service URLs from the environment and
//!   the config file (with profiles), the one loader behind both clients'
//!   `Client::from_env()` and the `motionkit` CLI.
//! - Tracing: one `http_request` span per attempt with method, path
//!   template (or URL without query), attempt, status and elapsed time.
//!   Secrets, cookies and signed query strings are never logged or printed.
//!
//! ```no_run
//! use motionkit_models::deepmotion::{endpoints, requests};
//! use motionkit_transport::{Auth, RateLimit, Transport};
//!
//! # async fn run() -> Result<(), motionkit_transport::Error> {
//! let transport = Transport::builder("https://petest.deepmotion.com")
//!     .auth(Auth::session(endpoints::SESSION_AUTH, "client-id", "client-secret".to_owned()))
//!     .rate_limit(RateLimit::per_second(5))
//!     .build()?;
//! let status: serde_json::Value = transport
//!     .send_json::<(), _>(&requests::Status::new("r1,r2"), None)
//!     .await?;
//! println!("{status}");
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod body;
mod builder;
mod call;
mod classify;
mod client;
mod config;
mod content;
mod dedupe;
mod download;
mod download_attempt;
mod error;
mod gcra;
mod guard;
mod handover;
mod instant;
mod limits;
mod mask;
mod orchestrator;
mod partial;
mod proxy;
mod rate_limit;
mod rate_limit_file;
mod rate_limit_store;
mod read;
#[cfg(feature = "axum")]
mod receiver;
mod redact;
#[cfg(feature = "redis")]
mod redis_store;
mod response;
mod resumable;
mod resume;
mod retry;
mod save;
mod secret;
#[cfg(feature = "axum")]
mod served;
mod session;
pub mod settings;
#[cfg(feature = "unzip")]
mod unzip;
mod upload;
mod wait;

pub use auth::{Auth, BearerAuth, DEEPMOTION_SESSION_COOKIE, MAX_SESSION_LIFETIME, SessionAuth};
// Workspace-internal (the fuzz targets read session cookies through it);
// not part of the API.
#[doc(hidden)]
pub use auth::cookie_lifetime;
pub use body::{Body, Progress, ProgressFn};
pub use builder::TransportBuilder;
pub use classify::{
    Acted, RetryDecision, TRANSIENT_STATUSES, Verdict, is_transient_status, status_verdict,
};
pub use client::{Transport, TransportStats, USER_AGENT};
pub use config::{RateLimit, RetryBudget, RetryPolicy, Timeouts};
pub use content::Content;
pub use dedupe::{Claim, ClaimToken, DedupeStore, DedupeUnavailable};
pub use download::{DownloadOptions, DownloadReport};
pub use handover::{DEFAULT_CONFIRM_WITHIN, Delivered};
// Workspace-internal (both services' webhook receivers hand events over
// with it); not part of the API.
pub use error::{Cause, Error, Sent};
#[doc(hidden)]
pub use handover::{HandOver, hand_over};
// Workspace-internal (the MotionDynamic client's waits use it); not part of
// the API.
#[doc(hidden)]
pub use instant::instant_after;
pub use limits::{Limits, MinRate};
pub use proxy::Proxy;
pub use rate_limit_file::RATE_LIMIT_FILE_LOCK_WAIT;
pub use rate_limit_store::{RateLimitStore, StoreFallback};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use receiver::{
    RECEIVER_HEADER_DEADLINE, RECEIVER_MAX_CONNECTIONS, ReceiverBounds, bounded_router,
    serve_receiver,
};
pub use redact::{BODY_EXCERPT_BYTES, redact_url};
pub use response::Response;
pub use resume::{SessionFn, SessionStatus, SessionUri};
pub use retry::MAX_RETRY_AFTER;
pub use save::{MAX_FILE_NAME_BYTES, OnExisting, sanitize_file_name};
pub use secret::Secret;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use served::{ServedReceiver, bind_receiver, local_receiver_url};
pub use settings::{Settings, SettingsError, SettingsErrorKind, SettingsInput};
#[cfg(feature = "unzip")]
#[cfg_attr(docsrs, doc(cfg(feature = "unzip")))]
pub use unzip::{MAX_UNZIP_RATIO, MAX_ZIP_ENTRIES, UNZIP_FLOOR_BYTES};
pub use upload::{RESUMABLE_CHUNK_ALIGN, UploadOptions, UploadReport};
#[doc(hidden)]
pub use wait::PollInterval;
pub use wait::WaitOptions;

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
