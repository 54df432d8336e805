//! Logging in: the session cookie obtained with Basic credentials, renewed
//! single-flight before it expires and once after a 401, and the errors of
//! a refused login or token.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use motionkit_models::AuthKind;
use reqwest::header::{HeaderMap, SET_COOKIE};
use secrecy::SecretString;

use crate::auth::{Auth, Credentials, Session, SessionAuth, find_cookie};
use crate::body::{Body, Meter};
use crate::call::{Call, Timing, to_reqwest_method};
use crate::client::Transport;
use crate::error::{Error, Sent};
use crate::redact::excerpt;
use crate::response::Response;

impl Transport {
    pub(crate) async fn credentials(&self, call: &Call) -> Result<Credentials, Error> {
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
    pub(crate) async fn session(&self, config: &SessionAuth) -> Result<Arc<Session>, Error> {
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
    pub(crate) async fn login_after_rejection(
        &self,
        rejected_generation: Option<u64>,
    ) -> Result<(), Error> {
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
    pub(crate) async fn login(&self, config: &SessionAuth) -> Result<Arc<Session>, Error> {
        // The login endpoint takes no parameters: the descriptor is the
        // request.
        let endpoint = &config.endpoint;
        let url = self.request_url(endpoint)?;
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

/// A failed login, reported for the request that needed it: `sent` says
/// whether that request itself reached the server.
pub(crate) fn login_failed(request: &str, error: Error, sent: Sent) -> Error {
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
