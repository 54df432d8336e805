//! [`TransportBuilder`]: configuration checks and the HTTP clients.

use std::sync::Arc;

use url::Url;

use crate::auth::{Auth, SessionStore};
use crate::client::{Counters, Inner, Transport, USER_AGENT};
use crate::config::{RateLimit, RetryPolicy, Timeouts};
use crate::error::Error;
use crate::guard::{AddressPolicy, Origin, redirect_policy, resolver};
use crate::limits::Limits;
use crate::proxy::Proxy;
use crate::rate_limit::Gate;
use crate::rate_limit_store::RateLimitStore;
use crate::redact::{redact_parsed, redact_url};
use crate::retry::Budget;

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
    proxy: Proxy,
    provider: Option<crate::auth::CredentialsProvider>,
}

impl Transport {
    /// Starts building a transport for the API at `base_url`, for example
    /// `https://petest.deepmotion.com`. Endpoint paths are appended to it.
    pub fn builder(base_url: impl Into<String>) -> TransportBuilder {
        TransportBuilder::new(base_url.into())
    }
}

impl TransportBuilder {
    fn new(base_url: String) -> Self {
        TransportBuilder {
            base_url,
            auth: Auth::None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            rate_limit: RateLimit::default(),
            limits: Limits::default(),
            allow_local_addresses: false,
            rate_limit_store: RateLimitStore::default(),
            proxy: Proxy::Direct,
            provider: None,
        }
    }

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

    /// Asked for fresh credentials when the server rejects a bearer token
    /// (401) or a session login: when it returns new ones of the same
    /// kind, they replace the transport's (as [`Transport::set_auth`]
    /// does) and the request (or the login) is tried once more.
    /// For tokens that expire: read the current one from wherever it is
    /// renewed (a file, a secrets agent's cache). It runs on the calling
    /// task, so it should answer at once; a source that needs I/O of its
    /// own can push new tokens with [`Transport::set_auth`] instead.
    pub fn credentials_provider(
        mut self,
        provider: impl Fn() -> Option<Auth> + Send + Sync + 'static,
    ) -> Self {
        self.provider = Some(crate::auth::CredentialsProvider(Arc::new(provider)));
        self
    }

    /// Where requests go out (default: [`Proxy::Direct`], whatever the
    /// environment says). Through a proxy, host names are resolved by the
    /// proxy: the address guard then checks schemes, hosts written as
    /// addresses or `localhost`, and redirects, but not where names lead.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
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
            let mut builder = self.proxy.apply(
                reqwest::Client::builder()
                    .user_agent(USER_AGENT)
                    .connect_timeout(self.timeouts.connect)
                    .referer(false)
                    .redirect(redirect),
            )?;
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
                secrets: std::sync::RwLock::new(Arc::new(self.auth.secrets())),
                auth: std::sync::RwLock::new(Arc::new(self.auth)),
                provider: self.provider,
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
