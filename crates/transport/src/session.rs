//! Logging in: the session cookie obtained with Basic credentials, renewed
//! before it expires and once after a 401, and the errors of a refused
//! login or token.
//!
//! A login is one shared task: every caller that needs a session while it
//! runs waits for that login (each no longer than its own deadline) and
//! gets its session or its error; a failed login answers the callers of
//! the next few seconds (`FAILED_LOGIN_MEMORY`) without another login.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use tokio::time::Instant;

use motionkit_models::AuthKind;
use reqwest::header::{HeaderMap, SET_COOKIE};
use secrecy::SecretString;

use crate::auth::{
    Auth, Credentials, FAILED_LOGIN_MEMORY, Session, SessionAuth, SharedLogin, find_cookie,
};
use crate::body::{Body, Meter};
use crate::call::{Call, Timing, to_reqwest_method};
use crate::client::Transport;
use crate::error::{Error, Sent};
use crate::redact::excerpt;
use crate::response::Response;

impl Transport {
    /// The credentials now (shared: every attempt reads them, so they are
    /// not copied).
    pub(crate) fn auth(&self) -> Arc<Auth> {
        self.inner
            .auth
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the credentials of this transport and every clone of it,
    /// without touching anything else: the rate limiter, its 429 pause,
    /// the retry budget and the counters go on. A session is logged in
    /// again with the new credentials at the next call, and a failed login
    /// is forgotten. The old secrets stay masked in server text.
    pub fn set_auth(&self, auth: impl Into<Auth>) {
        let auth = auth.into();
        {
            let mut secrets = self
                .inner
                .secrets
                .write()
                .unwrap_or_else(|p| p.into_inner());
            let mut merged = (**secrets).clone();
            merged.extend(&auth.secrets());
            *secrets = Arc::new(merged);
        }
        *self.inner.auth.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(auth);
        self.inner.session.reset();
    }

    /// After the server rejected `rejected` (a bearer token, a login):
    /// whether the provider has credentials of the same kind that differ
    /// from them, now the transport's (set here, unless a concurrent caller
    /// already did), to try once more with.
    pub(crate) fn provided_credentials(&self, rejected: &Auth) -> bool {
        let Some(provider) = &self.inner.provider else {
            return false;
        };
        let Some(fresh) = (provider.0)() else {
            return false;
        };
        if same_credentials(rejected, &fresh) != Some(false) {
            return false;
        }
        if same_credentials(&self.auth(), &fresh) != Some(true) {
            tracing::info!("the server rejected the credentials; using the provider's new ones");
            self.set_auth(fresh);
        }
        true
    }

    /// The session cookie for `call`, logging in with `auth` first when
    /// needed; when the login is refused, once more with the provider's
    /// credentials if it has new ones.
    async fn session_credentials(
        &self,
        call: &Call,
        mut auth: Arc<Auth>,
        deadline: Option<Instant>,
    ) -> Result<Credentials, Error> {
        let mut asked = false;
        loop {
            let Auth::Session(session) = &*auth else {
                return Err(Error::config(format!(
                    "{} needs session credentials, and the credentials provider gave another kind",
                    call.label
                )));
            };
            match self.session(session, deadline).await {
                Ok(current) => return Ok(Credentials::cookie(&session.cookie_name, &current)),
                Err(e)
                    if !asked && credentials_rejected(&e) && self.provided_credentials(&auth) =>
                {
                    asked = true;
                    auth = self.auth();
                }
                Err(e) => return Err(login_failed(&call.label, e, Sent::NotSent)),
            }
        }
    }

    pub(crate) async fn credentials(
        &self,
        call: &Call,
        deadline: Option<Instant>,
    ) -> Result<Credentials, Error> {
        let missing = |needed: &str, how: &str| {
            Error::config(format!(
                "{} needs {needed} credentials but the transport has none; configure {how}",
                call.label
            ))
        };
        let auth = self.auth();
        match (call.auth, &*auth) {
            (AuthKind::None, _) => Ok(Credentials::None),
            (AuthKind::Basic, Auth::Session(session)) => Ok(Credentials::basic(session)),
            (AuthKind::Session, Auth::Session(_)) => {
                self.session_credentials(call, auth, deadline).await
            }
            (AuthKind::Bearer, Auth::Bearer(bearer)) => Ok(Credentials::bearer(bearer)),
            (AuthKind::Basic | AuthKind::Session, _) => {
                Err(missing("session", "Auth::session(..)"))
            }
            (AuthKind::Bearer, _) => Err(missing("bearer", "Auth::bearer(..)")),
        }
    }

    /// The current session, logging in first when there is none or it is
    /// about to expire. Concurrent callers share one login, each waiting
    /// for it until its own `deadline`.
    pub(crate) async fn session(
        &self,
        config: &SessionAuth,
        deadline: Option<Instant>,
    ) -> Result<Arc<Session>, Error> {
        if let Some(session) = self.inner.session.fresh(config.refresh_skew) {
            return Ok(session);
        }
        self.shared_login(config, None, deadline).await
    }

    /// Logs in again after the server rejected the cookie of
    /// `rejected_generation`, unless another caller already did.
    pub(crate) async fn login_after_rejection(
        &self,
        rejected_generation: Option<u64>,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        let auth = self.auth();
        let Auth::Session(config) = &*auth else {
            return Ok(());
        };
        self.shared_login(config, Some(rejected_generation), deadline)
            .await
            .map(drop)
    }

    /// Joins the login in flight, or starts one, unless a session good
    /// enough exists by now (one fresh, and after a rejection, newer than
    /// the rejected one) or a login failed less than
    /// `FAILED_LOGIN_MEMORY` ago (its error is returned). Waits until
    /// `deadline` at most; the login goes on for its other waiters.
    async fn shared_login(
        &self,
        config: &SessionAuth,
        rejected_generation: Option<Option<u64>>,
        deadline: Option<Instant>,
    ) -> Result<Arc<Session>, Error> {
        let store = &self.inner.session;
        let login = {
            let mut refresh = store.refresh.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(current) = store.fresh(config.refresh_skew)
                && rejected_generation.is_none_or(|g| g != Some(current.generation))
            {
                return Ok(current);
            }
            if let Some((at, error)) = &refresh.failed
                && at.elapsed() < FAILED_LOGIN_MEMORY
            {
                tracing::debug!("a login failed moments ago; not logging in again");
                return Err(error.clone());
            }
            match &refresh.in_flight {
                Some(login) => login.clone(),
                None => {
                    let login = self.start_login(config);
                    refresh.in_flight = Some(login.clone());
                    login
                }
            }
        };
        let waited = Instant::now();
        match deadline {
            None => login.await,
            Some(deadline) => tokio::time::timeout_at(deadline, login)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        request: login_label(config),
                        after: waited.elapsed(),
                        sent: Sent::NotSent,
                        cause: None,
                    })
                }),
        }
    }

    /// Starts a login in a task of its own, which records its end in the
    /// store: the session, or the failure to give the next callers.
    fn start_login(&self, config: &SessionAuth) -> SharedLogin {
        use futures::FutureExt as _;
        let (transport, config) = (self.clone(), config.clone());
        let task = tokio::spawn(tracing::Instrument::in_current_span(async move {
            let result = transport.login(&config).await;
            let store = &transport.inner.session;
            let mut refresh = store.refresh.lock().unwrap_or_else(|p| p.into_inner());
            refresh.in_flight = None;
            refresh.failed = result.as_ref().err().map(|e| (Instant::now(), e.clone()));
            result
        }));
        async move {
            task.await.unwrap_or_else(|join| {
                Err(Error::Config {
                    message: format!("the login task ended abnormally: {join}"),
                })
            })
        }
        .boxed()
        .shared()
    }

    /// Calls the login endpoint and stores the session cookie. Only
    /// `Transport::start_login` calls it, so one runs at a time.
    async fn login(&self, config: &SessionAuth) -> Result<Arc<Session>, Error> {
        // The login endpoint takes no parameters: the descriptor is the
        // request.
        let endpoint = &config.endpoint;
        let url = self.request_url(endpoint)?;
        let call = Call {
            method: to_reqwest_method(endpoint.method),
            url,
            label: login_label(config),
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
            .headers()
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
                        response.status().as_u16(),
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

/// The login request's name in errors and logs.
fn login_label(config: &SessionAuth) -> String {
    format!("{} {}", config.endpoint.method, config.endpoint.path)
}

/// Whether two sets of credentials are the same; `None` when they are not
/// of the same kind (a provider's of another kind are not used).
fn same_credentials(a: &Auth, b: &Auth) -> Option<bool> {
    match (a, b) {
        (Auth::Bearer(a), Auth::Bearer(b)) => Some(a.same_token(b)),
        (Auth::Session(a), Auth::Session(b)) => Some(a.same_credentials(b)),
        _ => None,
    }
}

/// Whether a login failed on its credentials. A network failure, a
/// timeout or a 5xx during login says nothing about them.
fn credentials_rejected(error: &Error) -> bool {
    match error {
        Error::Auth { .. } => true,
        Error::Http { status, .. } => !crate::classify::status_verdict(*status).temporary,
        _ => false,
    }
}

/// A failed login, reported for the request that needed it: `sent` says
/// whether that request itself reached the server.
pub(crate) fn login_failed(request: &str, error: Error, sent: Sent) -> Error {
    // Anything but rejected credentials is kept, so that callers see a
    // temporary failure as one.
    if !credentials_rejected(&error) {
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
pub(crate) fn unauthorized(call: &Call, response: &Response) -> Error {
    #[derive(serde::Deserialize)]
    struct ServerError {
        code: Option<String>,
        message: Option<String>,
    }
    let server: Option<ServerError> = serde_json::from_slice(response.body()).ok();
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
             give it to the client (set_token, or a token provider)"
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
