//! Pluggable authentication: a DeepMotion session cookie obtained with
//! Basic credentials, or a MotionDynamic bearer token.
//!
//! Secrets live in [`SecretString`]s and every `Debug` here is written by
//! hand so that nothing secret is printed.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use motionkit_models::Endpoint;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::mask::Secrets;

/// Name of DeepMotion's session cookie.
pub const DEEPMOTION_SESSION_COOKIE: &str = "dmsess";

/// How requests authenticate. Which requests use it is decided by each
/// endpoint descriptor's [`motionkit_models::AuthKind`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// Basic credentials exchanged for a session cookie (DeepMotion).
    Session(SessionAuth),
    /// A bearer token (MotionDynamic JWT).
    Bearer(BearerAuth),
}

impl Auth {
    /// Session auth with the default cookie name (`dmsess`) and refresh skew
    /// (60 s). `endpoint` is the descriptor of the login call, for example
    /// `GET /session/auth`.
    pub fn session(
        endpoint: Endpoint,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Auth {
        Auth::Session(SessionAuth::new(endpoint, client_id, client_secret))
    }

    /// Bearer auth with `token` (without the `Bearer ` prefix).
    pub fn bearer(token: impl Into<Secret>) -> Auth {
        Auth::Bearer(BearerAuth::new(token))
    }
}

impl Auth {
    /// The secrets of these credentials, to mask in server text: the
    /// client secret and the Basic header's token, or the bearer token and
    /// its signature part.
    pub(crate) fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::default();
        match self {
            Auth::None => {}
            Auth::Session(session) => {
                secrets.add(session.client_secret.expose_secret());
                let raw = secrecy::zeroize::Zeroizing::new(format!(
                    "{}:{}",
                    session.client_id,
                    session.client_secret.expose_secret()
                ));
                secrets.add(&secrecy::zeroize::Zeroizing::new(
                    STANDARD.encode(raw.as_bytes()),
                ));
            }
            Auth::Bearer(bearer) => {
                let token = bearer.token.expose_secret();
                secrets.add(token);
                if let Some((_, signature)) = token.rsplit_once('.') {
                    secrets.add(signature);
                }
            }
        }
        secrets
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Session(session) => f.debug_tuple("Auth::Session").field(session).finish(),
            Auth::Bearer(bearer) => f.debug_tuple("Auth::Bearer").field(bearer).finish(),
        }
    }
}

impl From<SessionAuth> for Auth {
    fn from(session: SessionAuth) -> Self {
        Auth::Session(session)
    }
}

impl From<BearerAuth> for Auth {
    fn from(bearer: BearerAuth) -> Self {
        Auth::Bearer(bearer)
    }
}

/// The hook of [`TransportBuilder::credentials_provider`](crate::TransportBuilder::credentials_provider).
#[derive(Clone)]
pub(crate) struct CredentialsProvider(pub(crate) Arc<dyn Fn() -> Option<Auth> + Send + Sync>);

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsProvider")
    }
}

/// Configuration of session auth (DeepMotion).
#[derive(Clone)]
pub struct SessionAuth {
    pub(crate) endpoint: Endpoint,
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) cookie_name: String,
    pub(crate) refresh_skew: Duration,
}

impl SessionAuth {
    /// See [`Auth::session`].
    pub fn new(
        endpoint: Endpoint,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        SessionAuth {
            endpoint,
            client_id: client_id.into(),
            client_secret: client_secret.into().into_inner(),
            cookie_name: DEEPMOTION_SESSION_COOKIE.to_owned(),
            refresh_skew: Duration::from_secs(60),
        }
    }

    /// Whether `other` logs in as the same client with the same secret.
    pub(crate) fn same_credentials(&self, other: &SessionAuth) -> bool {
        self.client_id == other.client_id
            && self.client_secret.expose_secret() == other.client_secret.expose_secret()
    }

    /// Re-authenticates this long before the cookie's `Expires`/`Max-Age`.
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.refresh_skew = skew;
        self
    }

    /// The session cookie's name (default `dmsess`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    pub(crate) fn basic_header(&self) -> HeaderValue {
        let raw = secrecy::zeroize::Zeroizing::new(format!(
            "{}:{}",
            self.client_id,
            self.client_secret.expose_secret()
        ));
        let encoded = secrecy::zeroize::Zeroizing::new(STANDARD.encode(raw.as_bytes()));
        sensitive_header(&format!("Basic {}", encoded.as_str()))
    }
}

impl fmt::Debug for SessionAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionAuth")
            .field("endpoint", &self.endpoint.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("cookie_name", &self.cookie_name)
            .field("refresh_skew", &self.refresh_skew)
            .finish()
    }
}

/// Configuration of bearer auth (MotionDynamic).
#[derive(Clone)]
pub struct BearerAuth {
    token: SecretString,
}

impl BearerAuth {
    /// See [`Auth::bearer`].
    pub fn new(token: impl Into<Secret>) -> Self {
        BearerAuth {
            token: token.into().into_inner(),
        }
    }

    pub(crate) fn same_token(&self, other: &BearerAuth) -> bool {
        self.token.expose_secret() == other.token.expose_secret()
    }

    pub(crate) fn header(&self) -> HeaderValue {
        let value =
            secrecy::zeroize::Zeroizing::new(format!("Bearer {}", self.token.expose_secret()));
        sensitive_header(value.as_str())
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("token", &"[redacted]")
            .finish()
    }
}

/// A header value marked sensitive (hidden from `Debug` and never
/// compressed into HPACK tables). Invalid bytes give an empty value, which
/// the server rejects with 401 — the secret itself is never echoed.
fn sensitive_header(value: &str) -> HeaderValue {
    let mut header = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    header.set_sensitive(true);
    header
}

/// Credentials attached to one attempt.
#[derive(Clone)]
pub(crate) enum Credentials {
    None,
    Header {
        name: HeaderName,
        value: HeaderValue,
        /// The session generation that produced a cookie, to single-flight
        /// the re-authentication after a 401.
        session_generation: Option<u64>,
    },
}

impl Credentials {
    pub(crate) fn basic(session: &SessionAuth) -> Self {
        Credentials::Header {
            name: AUTHORIZATION,
            value: session.basic_header(),
            session_generation: None,
        }
    }

    pub(crate) fn bearer(bearer: &BearerAuth) -> Self {
        Credentials::Header {
            name: AUTHORIZATION,
            value: bearer.header(),
            session_generation: None,
        }
    }

    pub(crate) fn cookie(name: &str, session: &Session) -> Self {
        let value =
            secrecy::zeroize::Zeroizing::new(format!("{name}={}", session.cookie.expose_secret()));
        Credentials::Header {
            name: COOKIE,
            value: sensitive_header(value.as_str()),
            session_generation: Some(session.generation),
        }
    }

    pub(crate) fn session_generation(&self) -> Option<u64> {
        match self {
            Credentials::Header {
                session_generation, ..
            } => *session_generation,
            Credentials::None => None,
        }
    }
}

/// One session cookie as received.
pub(crate) struct Session {
    pub(crate) cookie: SecretString,
    /// The cookie's value, to mask in server text.
    pub(crate) secrets: Secrets,
    pub(crate) expires_at: Option<Instant>,
    pub(crate) issued_at: Instant,
    pub(crate) generation: u64,
}

/// How long before expiry a session of `lifetime` is renewed: the
/// configured skew, but never more than a tenth of the lifetime, so that a
/// short-lived session is not renewed on every call.
pub(crate) fn effective_skew(skew: Duration, lifetime: Duration) -> Duration {
    skew.min(lifetime / 10)
}

impl Session {
    fn is_fresh(&self, skew: Duration) -> bool {
        let Some(expires) = self.expires_at else {
            return true;
        };
        let skew = effective_skew(skew, expires.saturating_duration_since(self.issued_at));
        Instant::now() + skew < expires
    }
}

/// The current session of a transport, shared by all clones.
///
/// Readers take the `RwLock` briefly. A login is one shared task
/// (`refresh`, see `session.rs`): every caller that needs a new session
/// while it runs waits for that same login, each within its own deadline,
/// and a failed login is remembered for `FAILED_LOGIN_MEMORY` and given
/// to the callers of that time instead of logging in again.
pub(crate) struct SessionStore {
    current: RwLock<Option<Arc<Session>>>,
    pub(crate) refresh: std::sync::Mutex<Refresh>,
    generation: AtomicU64,
    pub(crate) logins: AtomicU64,
}

/// How long a failed login answers for the next ones, so that wrong
/// credentials or an outage cost one login, not one per caller (which
/// could lock the account).
pub(crate) const FAILED_LOGIN_MEMORY: Duration = Duration::from_secs(5);

/// The login in flight, shared by its waiters, and the last failure.
#[derive(Default)]
pub(crate) struct Refresh {
    pub(crate) in_flight: Option<SharedLogin>,
    pub(crate) failed: Option<(Instant, crate::error::Error)>,
}

/// A login every waiter polls; the task behind it runs to its end (within
/// the transport's timeouts) even when they all give up.
pub(crate) type SharedLogin = futures::future::Shared<
    futures::future::BoxFuture<'static, Result<Arc<Session>, crate::error::Error>>,
>;

impl SessionStore {
    pub(crate) fn new() -> Self {
        SessionStore {
            current: RwLock::new(None),
            refresh: std::sync::Mutex::new(Refresh::default()),
            generation: AtomicU64::new(0),
            logins: AtomicU64::new(0),
        }
    }

    /// Forgets the session and a failed login (the credentials changed).
    pub(crate) fn reset(&self) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = None;
        let mut refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        refresh.failed = None;
        refresh.in_flight = None;
    }

    pub(crate) fn current(&self) -> Option<Arc<Session>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The current session if it is not about to expire.
    pub(crate) fn fresh(&self, skew: Duration) -> Option<Arc<Session>> {
        self.current().filter(|s| s.is_fresh(skew))
    }

    /// Stores a new cookie and returns it with its generation.
    pub(crate) fn store(&self, cookie: SecretString, lifetime: Option<Duration>) -> Arc<Session> {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let now = Instant::now();
        let mut secrets = Secrets::default();
        secrets.add(cookie.expose_secret());
        let session = Arc::new(Session {
            cookie,
            secrets,
            expires_at: lifetime.map(|l| expiry(now, l)),
            issued_at: now,
            generation,
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(session.clone());
        session
    }
}

impl fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.current();
        f.debug_struct("SessionStore")
            .field("has_session", &current.is_some())
            .field("generation", &current.map(|s| s.generation))
            .field("logins", &self.logins.load(Ordering::Relaxed))
            .finish()
    }
}

/// A cookie found in `Set-Cookie` headers.
#[derive(PartialEq, Eq)]
pub(crate) struct ReceivedCookie {
    pub(crate) value: String,
    /// Time left before expiry, from `Max-Age` (preferred) or `Expires`;
    /// `None` for a cookie that lasts as long as the server accepts it.
    pub(crate) lifetime: Option<Duration>,
}

impl fmt::Debug for ReceivedCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedCookie")
            .field("value", &"[redacted]")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// The longest a session is trusted without logging in again, whatever
/// `Max-Age` or `Expires` a server sends; it also keeps every instant
/// computed from a cookie far from overflowing.
pub const MAX_SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Finds cookie `name` in `Set-Cookie` header values. The last one wins,
/// as in a browser. An already expired cookie gets a zero lifetime.
pub(crate) fn find_cookie<'a>(
    set_cookie_headers: impl IntoIterator<Item = &'a str>,
    name: &str,
    now: SystemTime,
) -> Option<ReceivedCookie> {
    let mut found = None;
    for header in set_cookie_headers {
        let mut parts = header.split(';');
        let Some((cookie_name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            continue;
        };
        if cookie_name.trim() != name {
            continue;
        }
        let value = value.trim().trim_matches('"').to_owned();
        let mut max_age = None;
        let mut expires = None;
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            let key = key.trim();
            if key.eq_ignore_ascii_case("max-age") {
                max_age = val.trim().parse::<i64>().ok();
            } else if key.eq_ignore_ascii_case("expires") {
                expires = parse_cookie_date(val.trim());
            }
        }
        let lifetime = match (max_age, expires) {
            (Some(seconds), _) => Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(0))),
            (None, Some(at)) => Some(at.duration_since(now).unwrap_or(Duration::ZERO)),
            (None, None) => None,
        }
        .map(|lifetime| lifetime.min(MAX_SESSION_LIFETIME));
        found = Some(ReceivedCookie { value, lifetime });
    }
    found
}

/// When a session of `lifetime` issued at `now` expires; never panics.
fn expiry(now: Instant, lifetime: Duration) -> Instant {
    now.checked_add(lifetime.min(MAX_SESSION_LIFETIME))
        .unwrap_or(now)
}

/// The lifetime the transport gives cookie `name` set by these `Set-Cookie`
/// header values, as it would store it: `None` when no such cookie is set,
/// `Some(None)` for a cookie without `Max-Age` or `Expires`. Never more
/// than [`MAX_SESSION_LIFETIME`]; never panics, whatever the headers say.
pub fn cookie_lifetime<'a>(
    set_cookie_headers: impl IntoIterator<Item = &'a str>,
    name: &str,
    now: SystemTime,
) -> Option<Option<Duration>> {
    let cookie = find_cookie(set_cookie_headers, name, now)?;
    let issued = Instant::now();
    Some(
        cookie
            .lifetime
            .map(|l| expiry(issued, l).saturating_duration_since(issued)),
    )
}

/// `Expires` dates: IMF-fixdate, RFC 850 and asctime through `httpdate`,
/// plus the common Netscape form `Mon, 03-Aug-2020 13:36:26 GMT`.
fn parse_cookie_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value)
        .ok()
        .or_else(|| httpdate::parse_http_date(&value.replace('-', " ")).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use motionkit_models::{AuthKind, BodyEncoding, Method, Service};

    const LOGIN: Endpoint = Endpoint {
        service: Service::DeepMotion,
        name: "session_auth",
        method: Method::Get,
        path: "/session/auth",
        path_params: &[],
        query_params: &[],
        idempotent: true,
        auth: AuthKind::Basic,
        body: BodyEncoding::None,
    };

    #[test]
    fn short_sessions_are_renewed_near_their_end_not_on_every_call() {
        let store = SessionStore::new();
        let session = store.store(
            SecretString::from("c".to_owned()),
            Some(Duration::from_secs(2)),
        );
        assert!(
            session.is_fresh(Duration::from_secs(60)),
            "a fresh 2 s session is used"
        );
        assert_eq!(
            effective_skew(Duration::from_secs(60), Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        assert_eq!(
            effective_skew(Duration::from_secs(60), Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        let expired = store.store(SecretString::from("c".to_owned()), Some(Duration::ZERO));
        assert!(!expired.is_fresh(Duration::from_secs(60)));
    }

    #[test]
    fn absurd_lifetimes_are_bounded_and_never_panic() {
        let now = SystemTime::now();
        for header in [
            "dmsess=X; Max-Age=9223372036854775807",
            "dmsess=X; Max-Age=-9223372036854775808",
            "dmsess=X; Max-Age=99999999999999999999999",
            "dmsess=X; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            let lifetime = cookie_lifetime([header], "dmsess", now).unwrap();
            assert!(
                lifetime.unwrap_or_default() <= MAX_SESSION_LIFETIME,
                "{header}"
            );
            let store = SessionStore::new();
            let cookie = find_cookie([header], "dmsess", now).unwrap();
            let session = store.store(SecretString::from(cookie.value), cookie.lifetime);
            let _ = session.is_fresh(Duration::MAX);
        }
    }

    #[test]
    fn parses_the_documented_cookie() {
        let now = httpdate::parse_http_date("Mon, 03 Aug 2020 13:00:00 GMT").unwrap();
        let header = "dmsess=s%3AEsF23.2fjJ%2FT2BeA; Domain=.deepmotion.com; Path=/; \
                      Expires=Mon, 03 Aug 2020 13:36:26 GMT; HttpOnly";
        let cookie = find_cookie([header], "dmsess", now).unwrap();
        assert_eq!(cookie.value, "s%3AEsF23.2fjJ%2FT2BeA");
        assert_eq!(cookie.lifetime, Some(Duration::from_secs(36 * 60 + 26)));
    }

    #[test]
    fn max_age_wins_and_other_cookies_are_ignored() {
        let now = SystemTime::now();
        let headers = [
            "other=1; Max-Age=5",
            "dmsess=abc; Expires=Mon, 03-Aug-2099 13:36:26 GMT; Max-Age=30",
        ];
        let cookie = find_cookie(headers, "dmsess", now).unwrap();
        assert_eq!(cookie.value, "abc");
        assert_eq!(cookie.lifetime, Some(Duration::from_secs(30)));
        let netscape = find_cookie(
            ["dmsess=x; expires=Mon, 03-Aug-2099 13:36:26 GMT"],
            "dmsess",
            now,
        )
        .unwrap();
        assert!(netscape.lifetime.unwrap() > Duration::from_secs(3600));
        assert_eq!(
            find_cookie(["dmsess=x; Max-Age=-1"], "dmsess", now)
                .unwrap()
                .lifetime,
            Some(Duration::ZERO)
        );
        assert_eq!(
            find_cookie(["dmsess=x; HttpOnly"], "dmsess", now)
                .unwrap()
                .lifetime,
            None
        );
        assert!(find_cookie(["dmsessX=1"], "dmsess", now).is_none());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let auth = Auth::session(LOGIN, "client-id", "top-secret-value".to_owned());
        let bearer = Auth::bearer("eyJ.secret-jwt.sig".to_owned());
        let shown = format!("{auth:?} {bearer:?}");
        assert!(!shown.contains("top-secret-value"), "{shown}");
        assert!(!shown.contains("secret-jwt"), "{shown}");
        assert!(shown.contains("client-id"));
        if let Auth::Session(session) = &auth {
            let header = session.basic_header();
            assert!(header.is_sensitive());
            assert!(!format!("{header:?}").contains("Basic"));
            // base64("client-id:top-secret-value")
            assert_eq!(
                header.to_str().unwrap(),
                "Basic Y2xpZW50LWlkOnRvcC1zZWNyZXQtdmFsdWU="
            );
        }
    }
}
