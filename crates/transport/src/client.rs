//! The [`Transport`]: building requests from endpoint descriptors and
//! running them through the gate, auth, retries and timeouts.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use motionkit_models::{AuthKind, Endpoint, Method, PathError};
use motionkit_validation::{Rule, Violation, Violations};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, SET_COOKIE,
};
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument as _;
use url::Url;

use crate::auth::{Auth, Credentials, Session, SessionAuth, SessionStore, find_cookie};
use crate::body::{Body, Meter};
use crate::classify::{Outcome, RetryDecision, classify};
use crate::config::{RateLimit, RetryPolicy, Timeouts};
use crate::error::{Error, Sent};
use crate::guard::{AddressPolicy, Origin, find_blocked, redirect_policy, resolver};
use crate::limits::{Limits, MinRate, RateWatch};
use crate::rate_limit::Gate;
use crate::rate_limit_store::RateLimitStore;
use crate::read::{Cap, ReadError, read_body};
use crate::redact::{BODY_EXCERPT_BYTES, excerpt, redact_parsed, redact_url};
use crate::retry::{Budget, backoff_delay, parse_retry_after};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("motionkit/", env!("CARGO_PKG_VERSION"));

/// Response headers that carry a server-side request id, in order of
/// preference.
const REQUEST_ID_HEADERS: [&str; 4] = ["x-request-id", "request-id", "x-correlation-id", "cf-ray"];

/// The HTTP client of motionkit. Cheap to clone: every clone shares the
/// connection pool, the session, the rate limiter, the 429 pause and the
/// retry budget.
#[derive(Clone)]
pub struct Transport {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    base_url: Url,
    /// Requests to the API base URL (the user's own configuration).
    pub(crate) http: reqwest::Client,
    /// Server-given URLs without redirects (signed upload links).
    pub(crate) server_http: reqwest::Client,
    /// Server-given URLs with guarded redirects (signed download links).
    pub(crate) download_http: reqwest::Client,
    /// User-given URLs with guarded redirects (picture URLs).
    pub(crate) user_http: reqwest::Client,
    pub(crate) policy: AddressPolicy,
    pub(crate) limits: Limits,
    auth: Auth,
    session: SessionStore,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Budget,
    pub(crate) timeouts: Timeouts,
    gate: Gate,
    pub(crate) counters: Counters,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) retries: AtomicU64,
    pub(crate) budget_exhausted: AtomicU64,
    pub(crate) rate_limit_pauses: AtomicU64,
}

/// Counters for observability, shared by all clones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Calls to the session login endpoint (first login and every
    /// re-authentication).
    pub session_logins: u64,
    /// Retries performed (not counting the replay after a re-login).
    pub retries: u64,
    /// Retries refused because the retry budget was empty.
    pub retry_budget_exhausted: u64,
    /// 429 responses that paused the whole client.
    pub rate_limit_pauses: u64,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Transport")
            .field("base_url", &redact_parsed(&inner.base_url))
            .field("auth", &inner.auth)
            .field("session", &inner.session)
            .field("retry", &inner.retry)
            .field("timeouts", &inner.timeouts)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Builder of a [`Transport`]; see [`Transport::builder`].
#[derive(Debug, Clone)]
pub struct TransportBuilder {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    timeouts: Timeouts,
    rate_limit: RateLimit,
    limits: Limits,
    allow_local_addresses: bool,
    rate_limit_store: RateLimitStore,
}

impl TransportBuilder {
    /// How requests authenticate (default: none).
    pub fn auth(mut self, auth: impl Into<Auth>) -> Self {
        self.auth = auth.into();
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timeouts (default: [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The client-side rate limit and 429 pause (default: unlimited, 60 s
    /// pause).
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Where the rate limit and the 429 pause are kept (default:
    /// [`RateLimitStore::process`]); see [`RateLimitStore`].
    pub fn rate_limit_store(mut self, store: RateLimitStore) -> Self {
        self.rate_limit_store = store;
        self
    }

    /// Size limits on response bodies and downloads (default:
    /// [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The largest API answer read into memory (default 16 MiB); a shortcut
    /// for [`Limits::response_bytes`].
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.limits.response_bytes = bytes;
        self
    }

    /// Lets server-given URLs (signed links, redirects) and user-given URLs
    /// (pictures) reach loopback, private and link-local addresses. Off by
    /// default: such URLs reach those addresses only when the base URL is
    /// itself a loopback or private address, and server-given URLs never
    /// reach link-local ones (where cloud metadata services answer).
    pub fn allow_local_addresses(mut self, allow: bool) -> Self {
        self.allow_local_addresses = allow;
        self
    }

    /// Checks the configuration and builds the transport.
    pub fn build(self) -> Result<Transport, Error> {
        let base_url = Url::parse(self.base_url.trim_end_matches('/')).map_err(|e| {
            Error::config(format!(
                "base URL {} is not a URL: {e}",
                redact_url(&self.base_url)
            ))
        })?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host_str().is_none() {
            return Err(Error::config(format!(
                "base URL {} must be http(s)://host[/prefix]",
                redact_parsed(&base_url)
            )));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::config(format!(
                "base URL {} must not have a query or fragment",
                redact_parsed(&base_url)
            )));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::config(
                "RetryPolicy::max_attempts must be at least 1",
            ));
        }
        let policy = AddressPolicy::for_base(&base_url, self.allow_local_addresses);
        let client = |redirect, origin: Option<Origin>| {
            let mut builder = reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(self.timeouts.connect)
                .referer(false)
                .redirect(redirect);
            if let Some(origin) = origin {
                builder = builder.dns_resolver(resolver(policy, origin));
            }
            builder
                .build()
                .map_err(|e| Error::config(format!("HTTP client: {}", e.without_url())))
        };
        let none = reqwest::redirect::Policy::none;
        let http = client(none(), None)?;
        let server_http = client(none(), Some(Origin::Server))?;
        let download_http = client(
            redirect_policy(policy, Origin::Server),
            Some(Origin::Server),
        )?;
        let user_http = client(redirect_policy(policy, Origin::User), Some(Origin::User))?;
        let gate = Gate::with_store(self.rate_limit, &self.rate_limit_store, &base_url)?;
        Ok(Transport {
            inner: Arc::new(Inner {
                base_url,
                http,
                server_http,
                download_http,
                user_http,
                policy,
                limits: self.limits,
                auth: self.auth,
                session: SessionStore::new(),
                budget: Budget::new(self.retry.budget),
                retry: self.retry,
                timeouts: self.timeouts,
                gate,
                counters: Counters::default(),
            }),
        })
    }
}

/// A buffered response: status, headers and the whole body.
///
/// Used for API calls, whose bodies are small; downloads stream to disk
/// instead.
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Response {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Response {
            status,
            headers,
            body,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, consuming the response.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The server's request id, from `x-request-id` and similar headers.
    pub fn request_id(&self) -> Option<&str> {
        REQUEST_ID_HEADERS
            .iter()
            .find_map(|name| self.headers.get(*name)?.to_str().ok())
    }

    /// The `Retry-After` header as a duration from now.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        parse_retry_after(value, SystemTime::now())
    }

    /// Decodes the body as JSON; errors name the JSON path of the first
    /// mismatch. An empty body decodes as `null`.
    pub fn json<T: DeserializeOwned>(&self, request: &str) -> Result<T, Error> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let value =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Error::Decode {
                request: request.to_owned(),
                path: e.path().to_string(),
                message: e.inner().to_string(),
                body: excerpt(&self.body, BODY_EXCERPT_BYTES),
            })?;
        // Text after the value means the body is not the JSON it claims to be.
        deserializer.end().map_err(|e| Error::Decode {
            request: request.to_owned(),
            path: ".".to_owned(),
            message: e.to_string(),
            body: excerpt(&self.body, BODY_EXCERPT_BYTES),
        })?;
        Ok(value)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &header_names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// How an exchange is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timing {
    /// `Timeouts::attempt` per attempt and `Timeouts::total` per call.
    Api,
    /// `Timeouts::transfer_stall`: fails only when no byte moves.
    Transfer,
}

impl Timing {
    fn for_body(body: &Body) -> Timing {
        match body.len() {
            Some(len) if len <= 1024 * 1024 => Timing::Api,
            _ => Timing::Transfer,
        }
    }
}

/// One request, ready to be attempted as often as the rules allow.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: reqwest::Method,
    pub(crate) url: Url,
    /// Method and path template, or method and redacted URL: what logs
    /// and errors show.
    pub(crate) label: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    pub(crate) auth: AuthKind,
    pub(crate) idempotent: bool,
    /// Subject to the client's rate limit and 429 pause (API calls only).
    pub(crate) gated: bool,
    pub(crate) timing: Timing,
    /// Who chose the URL, for absolute URLs; `None` for the API base.
    pub(crate) origin: Option<Origin>,
    /// Keep only this many bytes of a success body (a file header).
    pub(crate) head_only: Option<u64>,
}

impl Call {
    /// A call to an absolute URL (signed storage URL): no auth, no gate.
    pub(crate) fn absolute(method: Method, url: Url, headers: HeaderMap, body: Body) -> Call {
        let label = format!("{method} {}", redact_parsed(&url));
        let timing = Timing::for_body(&body);
        Call {
            method: to_reqwest_method(method),
            url,
            label,
            headers,
            body,
            auth: AuthKind::None,
            idempotent: matches!(method, Method::Get | Method::Put | Method::Delete),
            gated: false,
            timing,
            origin: Some(Origin::Server),
            head_only: None,
        }
    }
}

/// An attempt that got no HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) outcome: Outcome,
    pub(crate) message: String,
    pub(crate) sent: Sent,
    pub(crate) elapsed: Duration,
}

impl Failure {
    pub(crate) fn from_reqwest(
        error: reqwest::Error,
        elapsed: Duration,
        after_headers: bool,
    ) -> Failure {
        let error = error.without_url();
        let message = error_chain(&error);
        let refused = error.is_builder()
            || error.is_redirect()
            || find_blocked(&error).is_some()
            || error
                .url()
                .is_some_and(|u| !matches!(u.scheme(), "http" | "https"));
        let (outcome, sent) = if refused {
            let sent = if error.is_redirect() || after_headers {
                Sent::Sent
            } else {
                Sent::NotSent
            };
            (Outcome::Refused, sent)
        } else if after_headers {
            (Outcome::ConnectionLost, Sent::Sent)
        } else if error.is_connect() {
            (Outcome::ConnectFailed, Sent::NotSent)
        } else if error.is_timeout() {
            (Outcome::TimedOut, Sent::MaybeSent)
        } else {
            (Outcome::ConnectionLost, Sent::MaybeSent)
        };
        Failure {
            outcome,
            message,
            sent,
            elapsed,
        }
    }

    pub(crate) fn timed_out(elapsed: Duration) -> Failure {
        Failure {
            outcome: Outcome::TimedOut,
            message: "timed out".to_owned(),
            sent: Sent::MaybeSent,
            elapsed,
        }
    }

    pub(crate) fn into_error(self, request: &str) -> Error {
        match self.outcome {
            Outcome::Refused => Error::Refused {
                request: request.to_owned(),
                message: self.message,
                sent: self.sent,
            },
            Outcome::TimedOut => Error::Timeout {
                request: request.to_owned(),
                after: self.elapsed,
                sent: self.sent,
            },
            _ => Error::Connect {
                request: request.to_owned(),
                message: self.message,
                sent: self.sent,
            },
        }
    }
}

/// An error and its sources on one line, with any URL redacted.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts
        .join(": ")
        .split_whitespace()
        .map(|word| {
            if word.contains("://") {
                redact_url(word.trim_matches(|c| matches!(c, '(' | ')' | '"' | '\'')))
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn to_reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

/// `now + wait`, or a moment a century away when that does not fit: every
/// duration the configuration or a server gives is added with this, so none
/// can overflow.
pub(crate) fn later(wait: Duration) -> Instant {
    instant_after(Instant::now(), wait)
}

/// `from + wait`, or a moment a century after `from` when that does not
/// fit. For deadlines computed from configuration, user input or server
/// numbers: `Duration::MAX` means "practically never", not a panic.
pub fn instant_after(from: Instant, wait: Duration) -> Instant {
    from.checked_add(wait)
        .or_else(|| from.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(from)
}

/// Runs `exchange`, failing only when the meter has not moved for `stall`,
/// when it moves slower than `min_rate`, or at `deadline`.
async fn with_stall_timeout<F: Future>(
    exchange: F,
    meter: &Meter,
    stall: Duration,
    min_rate: Option<MinRate>,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    tokio::pin!(exchange);
    let mut seen = meter.moved();
    let mut last_move = Instant::now();
    let mut pace = RateWatch::new(min_rate, seen);
    loop {
        let mut wake = last_move.checked_add(stall).unwrap_or_else(|| later(stall));
        if let Some(deadline) = deadline {
            wake = wake.min(deadline);
        }
        if let Some(check) = pace.next_check() {
            wake = wake.min(check);
        }
        match tokio::time::timeout_at(wake, &mut exchange).await {
            Ok(output) => return Some(output),
            Err(_) => {
                let now = Instant::now();
                let moved = meter.moved();
                if moved != seen {
                    seen = moved;
                    last_move = now;
                }
                if deadline.is_some_and(|d| now >= d)
                    || !pace.keeps_pace(moved)
                    || now.duration_since(last_move) >= stall
                {
                    return None;
                }
            }
        }
    }
}

fn path_violation(endpoint: &Endpoint, error: PathError) -> Violation {
    match error {
        PathError::Missing { param, .. } => Violation::new(
            param,
            Rule::Required,
            "",
            format!("a value for path parameter `{param}` of {}", endpoint.name),
        ),
        PathError::Empty { param, .. } => Violation::new(
            param,
            Rule::MinLength,
            "",
            "at least 1 character (an empty value would change the route)",
        ),
        PathError::Unknown { param, .. } => Violation::new(
            param.clone(),
            Rule::UnknownParameter,
            param,
            format!("one of {:?}", endpoint.path_params),
        ),
        other => Violation::new(endpoint.name, Rule::Syntax, "", other.to_string()),
    }
}

impl Transport {
    /// Starts building a transport for the API at `base_url`, for example
    /// `https://petest.deepmotion.com`. Endpoint paths are appended to it.
    pub fn builder(base_url: impl Into<String>) -> TransportBuilder {
        TransportBuilder {
            base_url: base_url.into(),
            auth: Auth::None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            rate_limit: RateLimit::default(),
            rate_limit_store: RateLimitStore::default(),
            limits: Limits::default(),
            allow_local_addresses: false,
        }
    }

    /// The base URL requests are built on.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Counters shared by all clones.
    pub fn stats(&self) -> TransportStats {
        let counters = &self.inner.counters;
        TransportStats {
            session_logins: self.inner.session.logins.load(Ordering::Relaxed),
            retries: counters.retries.load(Ordering::Relaxed),
            retry_budget_exhausted: counters.budget_exhausted.load(Ordering::Relaxed),
            rate_limit_pauses: counters.rate_limit_pauses.load(Ordering::Relaxed),
        }
    }

    /// The URL of `endpoint` with its path template filled and `query`
    /// appended. Unknown or missing parameters are a
    /// [`Error::Validation`].
    pub fn endpoint_url(
        &self,
        endpoint: &Endpoint,
        path_params: &[(&str, &str)],
        query: &[(&str, &str)],
    ) -> Result<Url, Error> {
        let mut violations = Violations::new();
        let path = violations.record(
            endpoint
                .render_path(path_params)
                .map_err(|e| path_violation(endpoint, e)),
        );
        for (name, _) in query {
            if !endpoint.query_params.iter().any(|q| q.name == *name) {
                let known: Vec<&str> = endpoint.query_params.iter().map(|q| q.name).collect();
                violations.push(Violation::new(
                    *name,
                    Rule::UnknownParameter,
                    *name,
                    format!("one of {known:?} for {}", endpoint.name),
                ));
            }
        }
        for param in endpoint.query_params.iter().filter(|q| q.required) {
            if !query.iter().any(|(name, _)| *name == param.name) {
                violations.push(Violation::new(
                    param.name,
                    Rule::Required,
                    "",
                    format!("required by {}", endpoint.name),
                ));
            }
        }
        let path = match path {
            Some(path) if violations.is_empty() => path,
            _ => return Err(Error::Validation(violations)),
        };
        let base = self.inner.base_url.as_str().trim_end_matches('/');
        let separator = if path.starts_with('/') { "" } else { "/" };
        let mut url = Url::parse(&format!("{base}{separator}{path}"))
            .map_err(|e| Error::config(format!("{}: cannot build URL: {e}", endpoint.name)))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends a request described by `endpoint` and returns the buffered
    /// response of a 2xx; any other status is an [`Error`].
    ///
    /// Auth, the rate limit, timeouts and retries apply as described in the
    /// crate documentation. Bodies over 1 MiB or of unknown length are
    /// timed as transfers (`Timeouts::transfer_stall`) rather than by
    /// `Timeouts::attempt` and `Timeouts::total`.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        path_params: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Body,
    ) -> Result<Response, Error> {
        self.send_with(endpoint, path_params, query, HeaderMap::new(), body)
            .await
    }

    /// Like [`Transport::send`], with extra request headers (for example
    /// PostgREST's `Prefer`). Auth headers are still set by the transport.
    pub async fn send_with(
        &self,
        endpoint: &Endpoint,
        path_params: &[(&str, &str)],
        query: &[(&str, &str)],
        headers: HeaderMap,
        body: Body,
    ) -> Result<Response, Error> {
        let url = self.endpoint_url(endpoint, path_params, query)?;
        let timing = Timing::for_body(&body);
        let call = Call {
            method: to_reqwest_method(endpoint.method),
            url,
            label: format!("{} {}", endpoint.method, endpoint.path),
            headers,
            body,
            auth: endpoint.auth,
            idempotent: endpoint.idempotent,
            gated: true,
            timing,
            origin: None,
            head_only: None,
        };
        self.execute(&call, &Meter::default()).await
    }

    /// Sends `body` as JSON (none when `None`) and decodes the JSON answer
    /// into `Resp`. Decoding errors name the JSON path of the mismatch.
    pub async fn send_json<Req, Resp>(
        &self,
        endpoint: &Endpoint,
        path_params: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<&Req>,
    ) -> Result<Resp, Error>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let body = match body {
            Some(value) => Body::json(value)?,
            None => Body::empty(),
        };
        let response = self.send(endpoint, path_params, query, body).await?;
        response.json(&format!("{} {}", endpoint.method, endpoint.path))
    }

    /// Sends a request to an absolute URL, such as a signed storage URL:
    /// no credentials, no cookies, no client rate limit; retried only for
    /// GET, PUT and DELETE. Logs and errors show the URL without its query
    /// string.
    pub async fn send_url(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Body,
    ) -> Result<Response, Error> {
        let url = parse_absolute(url)?;
        let call = Call::absolute(method, url, headers, body);
        self.execute(&call, &Meter::default()).await
    }

    /// Reads the first `max_bytes` of `url`, a URL given by a user rather
    /// than by the API (for example a picture whose header is checked). It
    /// asks for that range and stops reading there whether or not the
    /// server honours `Range`, so a huge file costs `max_bytes` of memory.
    /// The URL may reach loopback, private or link-local addresses only
    /// when the base URL does or when the builder allows it
    /// ([`TransportBuilder::allow_local_addresses`]); otherwise the result
    /// is an [`Error::Refused`]. Redirects are followed (at most 5, http(s)
    /// only, checked the same way). The answer's status is returned as is.
    pub async fn fetch_head(&self, url: &str, max_bytes: u64) -> Result<Response, Error> {
        let url = parse_absolute(url)?;
        let mut headers = HeaderMap::new();
        if max_bytes > 0 {
            let range = HeaderValue::from_str(&format!("bytes=0-{}", max_bytes - 1))
                .map_err(|e| Error::config(format!("range header: {e}")))?;
            headers.insert(reqwest::header::RANGE, range);
        }
        let mut call = Call::absolute(Method::Get, url, headers, Body::empty());
        call.origin = Some(Origin::User);
        call.head_only = Some(max_bytes);
        self.execute(&call, &Meter::default()).await
    }

    /// Runs `call` until success, a permanent failure, or the retry limits.
    pub(crate) async fn execute(&self, call: &Call, meter: &Meter) -> Result<Response, Error> {
        let inner = &*self.inner;
        let deadline = match call.timing {
            Timing::Api => Some(later(inner.timeouts.total)),
            Timing::Transfer => None,
        };
        let mut attempt = 0u32;
        let mut transient_failures = 0u32;
        let mut logged_in_again = false;
        loop {
            attempt += 1;
            if call.gated {
                if let Err(refused) = inner.gate.wait(deadline).await {
                    return Err(Error::RateLimited {
                        request: call.label.clone(),
                        retry_after: Some(refused.wait),
                        sent: Sent::NotSent,
                    });
                }
            }
            let credentials = self.credentials(call).await?;
            let result = self
                .exchange(call, &credentials, attempt, deadline, meter)
                .await?;
            let outcome = match &result {
                Ok(response) => Outcome::Response {
                    status: response.status.as_u16(),
                    retry_after: response.retry_after(),
                },
                Err(failure) => failure.outcome,
            };
            if let Ok(response) = &result {
                if response.status == StatusCode::UNAUTHORIZED {
                    if call.auth == AuthKind::Session && !logged_in_again {
                        logged_in_again = true;
                        self.login_after_rejection(credentials.session_generation())
                            .await
                            .map_err(|e| login_failed(&call.label, e, Sent::Sent))?;
                        if call.body.is_replayable() {
                            continue;
                        }
                        return Err(Error::Auth {
                            request: call.label.clone(),
                            message: "the session had expired; logged in again but did not \
                                      re-send the request because its body cannot be replayed; \
                                      send it again"
                                .to_owned(),
                            code: None,
                            sent: Sent::Sent,
                        });
                    }
                    if call.auth != AuthKind::None {
                        return Err(unauthorized(call, response));
                    }
                }
                if response.status == StatusCode::TOO_MANY_REQUESTS && call.gated {
                    let pause = response.retry_after().unwrap_or(inner.gate.pause_on_429);
                    inner.gate.pause(pause).await;
                    inner
                        .counters
                        .rate_limit_pauses
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        request = %call.label,
                        pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                        "HTTP 429: pausing every request of this client"
                    );
                }
            }
            match (classify(&outcome, call.idempotent).retry, result) {
                (RetryDecision::Done, Ok(response)) => return Ok(response),
                (RetryDecision::Retry { after }, result) => {
                    transient_failures += 1;
                    match self.retry_delay(call, transient_failures, after, &outcome, deadline) {
                        Some(delay) => tokio::time::sleep(delay).await,
                        None => return Err(self.final_error(call, result)),
                    }
                }
                (_, result) => return Err(self.final_error(call, result)),
            }
        }
    }

    /// How long to wait before the next attempt, or `None` to give up.
    fn retry_delay(
        &self,
        call: &Call,
        failures: u32,
        retry_after: Option<Duration>,
        outcome: &Outcome,
        deadline: Option<Instant>,
    ) -> Option<Duration> {
        let inner = &*self.inner;
        let policy = &inner.retry;
        if failures >= policy.max_attempts {
            tracing::debug!(request = %call.label, failures, "giving up: attempts exhausted");
            return None;
        }
        if !call.body.is_replayable() {
            tracing::debug!(request = %call.label, "giving up: body cannot be replayed");
            return None;
        }
        if retry_after.is_some_and(|after| after > policy.max_retry_after) {
            tracing::debug!(request = %call.label, "giving up: Retry-After beyond the cap");
            return None;
        }
        let paused_by_gate = call.gated && matches!(outcome, Outcome::Response { status: 429, .. });
        let wait = if paused_by_gate {
            retry_after.unwrap_or(inner.gate.pause_on_429)
        } else {
            retry_after.unwrap_or_else(|| backoff_delay(policy, failures))
        };
        if deadline.is_some_and(|d| later(wait) >= d) {
            tracing::debug!(request = %call.label, "giving up: the wait would pass the deadline");
            return None;
        }
        if !inner.budget.try_withdraw() {
            inner
                .counters
                .budget_exhausted
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(request = %call.label, "giving up: retry budget exhausted");
            return None;
        }
        inner.counters.retries.fetch_add(1, Ordering::Relaxed);
        // After a 429 the gate holds every request, this one included.
        Some(if paused_by_gate { Duration::ZERO } else { wait })
    }

    fn final_error(&self, call: &Call, result: Result<Response, Failure>) -> Error {
        match result {
            Ok(response) if response.status == StatusCode::TOO_MANY_REQUESTS => {
                Error::RateLimited {
                    request: call.label.clone(),
                    retry_after: response
                        .retry_after()
                        .or(call.gated.then_some(self.inner.gate.pause_on_429)),
                    sent: Sent::Sent,
                }
            }
            Ok(response) => http_error(&call.label, &response),
            Err(failure) => failure.into_error(&call.label),
        }
    }

    /// One attempt, in its own tracing span. `Ok(Err(_))` is a network
    /// failure the retry rules may act on; `Err(_)` ends the call.
    pub(crate) async fn exchange(
        &self,
        call: &Call,
        credentials: &Credentials,
        attempt: u32,
        deadline: Option<Instant>,
        meter: &Meter,
    ) -> Result<Result<Response, Failure>, Error> {
        let path = call
            .label
            .split_once(' ')
            .map_or(call.label.as_str(), |(_, p)| p);
        let span = tracing::info_span!(
            "http_request",
            method = %call.method,
            path = %path,
            attempt,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .exchange_unlogged(call, credentials, deadline, meter, started)
            .instrument(span.clone())
            .await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("elapsed_ms", elapsed_ms);
        let _entered = span.enter();
        match &result {
            Ok(Ok(response)) => {
                span.record("status", response.status.as_u16());
                tracing::debug!(status = response.status.as_u16(), elapsed_ms, "response");
            }
            Ok(Err(failure)) => {
                tracing::debug!(outcome = ?failure.outcome, error = %failure.message, elapsed_ms, "attempt failed");
            }
            Err(error) => tracing::debug!(%error, elapsed_ms, "request not sent"),
        }
        result
    }

    async fn exchange_unlogged(
        &self,
        call: &Call,
        credentials: &Credentials,
        deadline: Option<Instant>,
        meter: &Meter,
        started: Instant,
    ) -> Result<Result<Response, Failure>, Error> {
        let inner = &*self.inner;
        let mut headers = call.headers.clone();
        if let Credentials::Header { name, value, .. } = credentials {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(content_type) = call.body.content_type_header() {
            let value = HeaderValue::from_str(content_type)
                .map_err(|_| Error::config(format!("{}: invalid Content-Type", call.label)))?;
            headers.insert(CONTENT_TYPE, value);
        }
        let bodyless_method = matches!(
            call.method,
            reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::DELETE
        );
        let client = match call.origin {
            None => &inner.http,
            Some(origin) => {
                if let Err(blocked) = inner.policy.check_url(&call.url, origin) {
                    return Err(Error::Refused {
                        request: call.label.clone(),
                        message: blocked.to_string(),
                        sent: Sent::NotSent,
                    });
                }
                match origin {
                    Origin::Server => &inner.server_http,
                    Origin::User => &inner.user_http,
                }
            }
        };
        let mut request = client.request(call.method.clone(), call.url.clone());
        if !(bodyless_method && call.body.is_empty()) {
            let Some(body) = call.body.for_attempt(meter).await? else {
                return Err(Error::Protocol {
                    request: call.label.clone(),
                    message: "the request body was a one-shot stream already sent once; \
                              it is not re-sent"
                        .to_owned(),
                    sent: Sent::MaybeSent,
                });
            };
            if let Some(len) = call.body.len() {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
            request = request.body(body);
        }
        let request = request.headers(headers);
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|e| Failure::from_reqwest(e, started.elapsed(), false))?;
            let status = response.status();
            let headers = response.headers().clone();
            let limits = &inner.limits;
            let cap = if let (true, Some(head)) = (status.is_success(), call.head_only) {
                Cap::Head(head)
            } else if status.is_success() {
                Cap::Whole(limits.response_bytes)
            } else {
                Cap::Head(limits.error_body_bytes)
            };
            let body = match read_body(response, cap, inner.timeouts.transfer_stall).await {
                Ok(body) => body,
                Err(ReadError::TooLarge { limit }) => {
                    return Ok(Err(Error::TooLarge {
                        request: call.label.clone(),
                        status: status.as_u16(),
                        limit,
                        what: "Limits::response_bytes",
                    }));
                }
                Err(ReadError::Idle) => {
                    let mut failure = Failure::timed_out(started.elapsed());
                    failure.sent = Sent::Sent;
                    return Err(failure);
                }
                Err(ReadError::Network(e)) => {
                    return Err(Failure::from_reqwest(e, started.elapsed(), true));
                }
            };
            Ok(Ok(Response {
                status,
                headers,
                body,
            }))
        };
        let result = match call.timing {
            Timing::Api => {
                let mut limit = later(inner.timeouts.attempt);
                if let Some(deadline) = deadline {
                    limit = limit.min(deadline);
                }
                tokio::time::timeout_at(limit, exchange).await.ok()
            }
            Timing::Transfer => {
                let timeouts = &inner.timeouts;
                let (stall, rate) = (timeouts.transfer_stall, timeouts.transfer_min_rate);
                with_stall_timeout(exchange, meter, stall, rate, deadline).await
            }
        };
        match result {
            None => Ok(Err(Failure::timed_out(started.elapsed()))),
            Some(Ok(Ok(response))) => Ok(Ok(response)),
            Some(Ok(Err(too_large))) => Err(too_large),
            Some(Err(failure)) => Ok(Err(failure)),
        }
    }

    async fn credentials(&self, call: &Call) -> Result<Credentials, Error> {
        let missing = |needed: &str, how: &str| {
            Error::config(format!(
                "{} needs {needed} credentials but the transport has none; configure {how}",
                call.label
            ))
        };
        match (call.auth, &self.inner.auth) {
            (AuthKind::None, _) => Ok(Credentials::None),
            (AuthKind::Basic, Auth::Session(session)) => Ok(Credentials::basic(session)),
            (AuthKind::Session, Auth::Session(session)) => {
                let current = self
                    .session(session)
                    .await
                    .map_err(|e| login_failed(&call.label, e, Sent::NotSent))?;
                Ok(Credentials::cookie(&session.cookie_name, &current))
            }
            (AuthKind::Bearer, Auth::Bearer(bearer)) => Ok(Credentials::bearer(bearer)),
            (AuthKind::Basic | AuthKind::Session, _) => {
                Err(missing("session", "Auth::session(..)"))
            }
            (AuthKind::Bearer, _) => Err(missing("bearer", "Auth::bearer(..)")),
        }
    }

    /// The current session, logging in first when there is none or it is
    /// about to expire. Concurrent callers share one login.
    async fn session(&self, config: &SessionAuth) -> Result<Arc<Session>, Error> {
        let store = &self.inner.session;
        if let Some(session) = store.fresh(config.refresh_skew) {
            return Ok(session);
        }
        let _refreshing = store.refresh_lock.lock().await;
        if let Some(session) = store.fresh(config.refresh_skew) {
            return Ok(session);
        }
        self.login(config).await
    }

    /// Logs in again after the server rejected the cookie of
    /// `rejected_generation`, unless another caller already did.
    async fn login_after_rejection(&self, rejected_generation: Option<u64>) -> Result<(), Error> {
        let Auth::Session(config) = &self.inner.auth else {
            return Ok(());
        };
        let store = &self.inner.session;
        let _refreshing = store.refresh_lock.lock().await;
        if let Some(current) = store.fresh(config.refresh_skew) {
            if Some(current.generation) != rejected_generation {
                return Ok(());
            }
        }
        self.login(config).await.map(drop)
    }

    /// Calls the login endpoint and stores the session cookie. The caller
    /// holds the refresh lock.
    async fn login(&self, config: &SessionAuth) -> Result<Arc<Session>, Error> {
        let endpoint = &config.endpoint;
        let url = self.endpoint_url(endpoint, &[], &[])?;
        let call = Call {
            method: to_reqwest_method(endpoint.method),
            url,
            label: format!("{} {}", endpoint.method, endpoint.path),
            headers: HeaderMap::new(),
            body: Body::empty(),
            auth: AuthKind::Basic,
            idempotent: endpoint.idempotent,
            gated: true,
            timing: Timing::Api,
            origin: None,
            head_only: None,
        };
        self.inner.session.logins.fetch_add(1, Ordering::Relaxed);
        let response = Box::pin(self.execute(&call, &Meter::default())).await?;
        let set_cookies = response
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok());
        let cookie =
            find_cookie(set_cookies, &config.cookie_name, SystemTime::now()).ok_or_else(|| {
                Error::Auth {
                    request: call.label.clone(),
                    message: format!(
                        "login answered HTTP {} but set no `{}` cookie; check the login endpoint \
                     and the cookie name",
                        response.status.as_u16(),
                        config.cookie_name
                    ),
                    code: None,
                    sent: Sent::Sent,
                }
            })?;
        let lifetime = cookie.lifetime;
        let session = self
            .inner
            .session
            .store(SecretString::from(cookie.value), lifetime);
        tracing::info!(
            generation = session.generation,
            lifetime_s = lifetime.map(|l| l.as_secs()),
            "session established"
        );
        Ok(session)
    }
}

pub(crate) fn parse_absolute(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url)
        .map_err(|e| Error::config(format!("{} is not an absolute URL: {e}", redact_url(url))))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "{} must be an http(s) URL",
            redact_parsed(&parsed)
        )));
    }
    Ok(parsed)
}

pub(crate) fn http_error(request: &str, response: &Response) -> Error {
    Error::Http {
        request: request.to_owned(),
        status: response.status.as_u16(),
        body: excerpt(&response.body, BODY_EXCERPT_BYTES),
        request_id: response.request_id().map(|id| excerpt(id.as_bytes(), 128)),
    }
}

/// A failed login, reported for the request that needed it: `sent` says
/// whether that request itself reached the server.
fn login_failed(request: &str, error: Error, sent: Sent) -> Error {
    // A network failure, a timeout or a 5xx during login says nothing about
    // the credentials: keep it, so callers see a temporary failure.
    let credentials_problem = match &error {
        Error::Auth { .. } => true,
        Error::Http { status, .. } => !crate::classify::status_verdict(*status).temporary,
        _ => false,
    };
    if !credentials_problem {
        return error;
    }
    let code = match &error {
        Error::Auth { code, .. } => code.clone(),
        _ => None,
    };
    Error::Auth {
        request: request.to_owned(),
        message: format!("logging in failed: {error}"),
        code,
        sent,
    }
}

/// The error for a 401 on an authenticated request.
fn unauthorized(call: &Call, response: &Response) -> Error {
    #[derive(serde::Deserialize)]
    struct ServerError {
        code: Option<String>,
        message: Option<String>,
    }
    let server: Option<ServerError> = serde_json::from_slice(&response.body).ok();
    let code = server.as_ref().and_then(|s| s.code.clone());
    let server_message = server
        .and_then(|s| s.message)
        .map(|m| excerpt(m.as_bytes(), 120));
    let detail = match (&code, &server_message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        (None, Some(message)) => message.clone(),
        (None, None) => "HTTP 401".to_owned(),
    };
    let message = match call.auth {
        AuthKind::Bearer => format!(
            "the bearer token was rejected or has expired ({detail}); get a new JWT and \
             rebuild the client"
        ),
        AuthKind::Basic => {
            format!("the client id or secret was rejected ({detail}); check the credentials")
        }
        _ => format!(
            "the session cookie was rejected even after logging in again ({detail}); check \
             that the account may use this endpoint"
        ),
    };
    Error::Auth {
        request: call.label.clone(),
        message,
        code: code.map(|c| excerpt(c.as_bytes(), 32)),
        sent: Sent::Sent,
    }
}
