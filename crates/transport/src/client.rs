//! The [`Transport`]: the client both service crates share, and its
//! request builders (endpoint descriptors, signed URLs, user URLs). The
//! attempt loop is in `orchestrator.rs`, the login in `session.rs`, the
//! builder in `builder.rs`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use motionkit_models::{Endpoint, Method, PathError, Request};
use motionkit_validation::{Rule, Violation, Violations};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{Auth, SessionStore};
use crate::body::{Body, Meter};
use crate::call::{Call, Timing, parse_absolute, to_reqwest_method};
use crate::config::{RetryPolicy, Timeouts};
use crate::error::Error;
use crate::guard::{AddressPolicy, Origin};
use crate::limits::Limits;
use crate::mask::Secrets;
use crate::rate_limit::Gate;
use crate::redact::redact_parsed;
use crate::response::Response;
use crate::retry::Budget;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("motionkit/", env!("CARGO_PKG_VERSION"));

/// The HTTP client of motionkit. Cheap to clone: every clone shares the
/// connection pool, the session, the rate limiter, the 429 pause and the
/// retry budget.
#[derive(Clone)]
pub struct Transport {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) base_url: Url,
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
    /// The credentials; replaced by [`Transport::set_auth`].
    pub(crate) auth: std::sync::RwLock<Arc<Auth>>,
    /// The secrets of every credentials this transport has had, masked in
    /// every answer read.
    pub(crate) secrets: std::sync::RwLock<Arc<Secrets>>,
    /// Asked for new credentials when the server rejects a bearer token.
    pub(crate) provider: Option<crate::auth::CredentialsProvider>,
    pub(crate) session: SessionStore,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Budget,
    pub(crate) timeouts: Timeouts,
    pub(crate) gate: Gate,
    pub(crate) counters: Counters,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) retries: AtomicU64,
    pub(crate) budget_exhausted: AtomicU64,
    pub(crate) rate_limit_pauses: AtomicU64,
    pub(crate) responses: AtomicU64,
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
    /// HTTP answers received, of any status (the login's included). Zero
    /// after a failure means the server was never reached: a connection
    /// refused then is more likely a wrong URL than a passing outage.
    pub responses: u64,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Transport")
            .field("base_url", &redact_parsed(&inner.base_url))
            .field(
                "auth",
                &**inner.auth.read().unwrap_or_else(|p| p.into_inner()),
            )
            .field("session", &inner.session)
            .field("retry", &inner.retry)
            .field("timeouts", &inner.timeouts)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
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
        PathError::DotSegment { param, .. } => Violation::new(
            param,
            Rule::Syntax,
            "",
            "a value other than `.` and `..` (a URL resolves them to another route)",
        ),
        PathError::TooMany {
            expected, given, ..
        } => Violation::new(
            endpoint.name,
            Rule::UnknownParameter,
            given.to_string(),
            format!("{expected} path values, one per {:?}", endpoint.path_params),
        ),
        other => Violation::new(endpoint.name, Rule::Syntax, "", other.to_string()),
    }
}

impl Transport {
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
            responses: counters.responses.load(Ordering::Relaxed),
        }
    }

    /// The URL `request` calls: the base URL, its path (placeholders
    /// filled) and its query. An empty or dot-segment path parameter is a
    /// [`Error::Validation`] naming the parameter.
    pub fn request_url<R: Request + ?Sized>(&self, request: &R) -> Result<Url, Error> {
        let endpoint = request.endpoint();
        let path = request.path().map_err(|e| {
            let mut violations = Violations::new();
            violations.push(path_violation(endpoint, e));
            Error::Validation(violations)
        })?;
        let base = self.inner.base_url.as_str().trim_end_matches('/');
        let separator = if path.starts_with('/') { "" } else { "/" };
        let mut url = Url::parse(&format!("{base}{separator}{path}"))
            .map_err(|e| Error::config(format!("{}: cannot build URL: {e}", endpoint.name)))?;
        let query = request.query();
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// The limits every transfer obeys.
    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The timeouts every transfer obeys.
    pub(crate) fn timeouts(&self) -> &Timeouts {
        &self.inner.timeouts
    }

    /// Attempts the retry policy allows per call.
    pub(crate) fn max_attempts(&self) -> u32 {
        self.inner.retry.max_attempts
    }

    /// Which addresses a URL may reach.
    pub(crate) fn address_policy(&self) -> &AddressPolicy {
        &self.inner.policy
    }

    /// The HTTP client for downloads from signed storage URLs.
    pub(crate) fn download_client(&self) -> &reqwest::Client {
        &self.inner.download_http
    }

    /// Sends `request` and returns the buffered response of a 2xx; any
    /// other status is an [`Error`].
    ///
    /// Auth, the rate limit, timeouts and retries apply as described in the
    /// crate documentation. Bodies over 1 MiB or of unknown length are
    /// timed as transfers (`Timeouts::transfer_stall`) rather than by
    /// `Timeouts::attempt` and `Timeouts::total`.
    pub async fn send<R: Request + ?Sized>(
        &self,
        request: &R,
        body: Body,
    ) -> Result<Response, Error> {
        self.send_with(request, HeaderMap::new(), body).await
    }

    /// Like [`Transport::send`], with extra request headers (for example
    /// PostgREST's `Prefer`). Auth headers are still set by the transport.
    pub async fn send_with<R: Request + ?Sized>(
        &self,
        request: &R,
        headers: HeaderMap,
        body: Body,
    ) -> Result<Response, Error> {
        let url = self.request_url(request)?;
        let endpoint = request.endpoint();
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
        request: &(impl Request + ?Sized),
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
        let response = self.send(request, body).await?;
        let endpoint = request.endpoint();
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
    /// ([`crate::TransportBuilder::allow_local_addresses`]); otherwise the result
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
}
