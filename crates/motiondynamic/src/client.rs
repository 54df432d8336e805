//! The [`Client`]: REST calls and the configuration shared by GraphQL,
//! submission, waiting and downloads. It depends on none of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use motionkit_models::motiondynamic::{DEMO_THEME_ID, Generation, Theme};
use motionkit_transport::{
    Auth, Body, Limits, Proxy, RateLimit, RateLimitStore, RetryPolicy, Secret, Settings, Timeouts,
    Transport, TransportStats, WaitOptions,
};
use motionkit_validation::Violations;
use serde::de::DeserializeOwned;

use crate::error::{Error, from_transport};
use crate::query::{
    Column, GenerationColumn, GenerationsQuery, Query, Select, ThemeColumn, ThemesQuery,
};
use crate::webhook::WebhookReceiver;

/// Whether `POST /rest/generations` asks for the created row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReturnPreference {
    /// `Prefer: return=minimal`, as the document's request (which sends no
    /// `Prefer`): one POST for every role. The id comes from `Location`,
    /// else from one read by callback URL (when reads are allowed), else
    /// from the webhook. The default.
    #[default]
    Minimal,
    /// `Prefer: return=representation`, and after a `42501` refusal
    /// (which rolled the insert back) `Prefer: return=minimal`, for this
    /// request and every later one of the client.
    Representation,
}

/// The client's default rate limit: MotionDynamic's published 5 requests
/// per second ([`RateLimit::motiondynamic`]: 60 s pause after a 429), with
/// a burst of 4 instead of 5.
///
/// The sustained rate is unchanged. The server counts requests when they
/// arrive: if the first burst arrives late (new connections, TLS
/// handshakes) while the next request goes out on a warm connection, a
/// full burst of 5 can look like 6 requests within one second to the
/// server, which then blocks the whole IP address for a minute. Keeping
/// one request of headroom (200 ms) absorbs that jitter. Against the
/// sandbox on 127.0.0.1 (which forgives 30 ms) a burst of 5 also passes;
/// pass [`RateLimit::motiondynamic`] to
/// [`ClientBuilder::rate_limit`] to use it.
pub fn default_rate_limit() -> RateLimit {
    RateLimit::motiondynamic().burst(4)
}

/// Builder of a [`Client`]; see [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    token: Secret,
    rate_limit: RateLimit,
    rate_limit_store: RateLimitStore,
    retry: RetryPolicy,
    timeouts: Timeouts,
    webhooks: Option<WebhookReceiver>,
    wait: WaitOptions,
    max_resubmits: u32,
    recovery_delay: Duration,
    limits: Limits,
    allow_local_addresses: bool,
    proxy: Proxy,
    return_preference: ReturnPreference,
    token_provider: Option<TokenProvider>,
}

/// The hook of [`ClientBuilder::token_provider`].
#[derive(Clone)]
struct TokenProvider(Arc<dyn Fn() -> Option<Secret> + Send + Sync>);

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenProvider")
    }
}

/// Refuses what cannot be a JWT the client may send.
fn check_token(token: &str) -> Result<(), Error> {
    if token.trim().is_empty() {
        return Err(config(
            "the JWT is empty; pass the token MotionDynamic gave you",
        ));
    }
    if token.starts_with("Bearer ") || token.starts_with("bearer ") {
        return Err(config(
            "pass the JWT without its `Bearer ` prefix; the client adds it",
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(config("the JWT contains whitespace or control characters"));
    }
    Ok(())
}

impl ClientBuilder {
    /// A builder configured as the `motionkit` CLI is, from the same
    /// sources: `MOTIONDYNAMIC_API_URL` and `MOTIONDYNAMIC_TOKEN`, then the
    /// config file (`MOTIONKIT_CONFIG`, or `~/.config/motionkit/config.toml`
    /// on Linux) and its profile (`MOTIONKIT_PROFILE`); see
    /// [`motionkit_transport::settings`]. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] with a configuration error naming the missing
    /// variable, the unreadable file or the unknown profile.
    pub fn from_env() -> Result<ClientBuilder, Error> {
        Self::from_settings(&Settings::from_env().map_err(motionkit_transport::Error::from)?)
    }

    /// A MotionDynamic builder from settings already loaded (see
    /// [`ClientBuilder::from_env`]): their MotionDynamic URL and token.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::from_env`], when the settings hold no token.
    pub fn from_settings(settings: &Settings) -> Result<ClientBuilder, Error> {
        let found = settings
            .require_motiondynamic()
            .map_err(motionkit_transport::Error::from)?;
        Ok(Client::builder(found.url, found.token))
    }

    /// The client-side rate limit, shared by every clone of the client
    /// (default: [`default_rate_limit`]). MotionDynamic limits per IP
    /// address: processes sharing an IP must share the budget.
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Where the rate limit and the 429 pause are kept (default: this
    /// process). Processes that send from one IP address share one budget
    /// with [`RateLimitStore::machine_wide`] (one machine) or
    /// `RateLimitStore::redis` (a fleet; cargo feature `redis`); a 429 seen
    /// by one then pauses all of them. See `docs/FLEET.md`.
    pub fn rate_limit_store(mut self, store: RateLimitStore) -> Self {
        self.rate_limit_store = store;
        self
    }

    /// The retry policy of idempotent calls (default:
    /// [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timeouts (default: [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Size limits on answers and downloads (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Lets URLs that come from servers or users reach loopback, private
    /// and link-local addresses (default: only when the base URL itself is
    /// such an address); see
    /// [`TransportBuilder::allow_local_addresses`](motionkit_transport::TransportBuilder::allow_local_addresses).
    pub fn allow_local_addresses(mut self, allow: bool) -> Self {
        self.allow_local_addresses = allow;
        self
    }

    /// Asked for a fresh JWT when MotionDynamic rejects the current one
    /// (an expired token): when it returns one that differs, the client
    /// uses it from then on and sends the rejected request once more. It
    /// runs on the calling task, so it should answer at once (read a file
    /// or a cache that something else renews); a source that needs I/O can
    /// push tokens with [`Client::set_token`] instead.
    pub fn token_provider(
        mut self,
        provider: impl Fn() -> Option<Secret> + Send + Sync + 'static,
    ) -> Self {
        self.token_provider = Some(TokenProvider(Arc::new(provider)));
        self
    }

    /// Where API calls, picture checks and video downloads go out
    /// (default: straight to the servers, whatever the environment says);
    /// see [`TransportBuilder::proxy`](motionkit_transport::TransportBuilder::proxy).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// The webhook receiver generations use when they name none themselves.
    pub fn webhooks(mut self, receiver: WebhookReceiver) -> Self {
        self.webhooks = Some(receiver);
        self
    }

    /// How [`Client::wait`] and the other waits wait (default:
    /// [`WaitOptions::motiondynamic`], from the document's bounds).
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Whether `POST /rest/generations` asks for the created row (default
    /// [`ReturnPreference::Minimal`], as the document's request;
    /// [`ReturnPreference::Representation`] falls back to `return=minimal`
    /// when the token's role may not read generations).
    pub fn return_preference(mut self, preference: ReturnPreference) -> Self {
        self.return_preference = preference;
        self
    }

    /// How many times a generation refused with 429 (which created
    /// nothing) is submitted again after the pause (default 2). A
    /// generation that may have been created is never submitted again.
    pub fn max_resubmits(mut self, resubmits: u32) -> Self {
        self.max_resubmits = resubmits;
        self
    }

    /// How long to let a possibly in-flight POST settle before reading
    /// back whether it created the generation (default 1 s).
    pub fn recovery_delay(mut self, delay: Duration) -> Self {
        self.recovery_delay = delay;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        check_token(self.token.expose())?;
        let mut transport = Transport::builder(self.base_url);
        if let Some(TokenProvider(provider)) = self.token_provider {
            transport = transport.credentials_provider(move || {
                let token = provider()?;
                match check_token(token.expose()) {
                    Ok(()) => Some(Auth::bearer(token)),
                    Err(e) => {
                        tracing::warn!(error = %e, "the token provider's token is unusable; ignored");
                        None
                    }
                }
            });
        }
        let transport = transport
            .auth(Auth::bearer(self.token))
            .rate_limit(self.rate_limit)
            .rate_limit_store(self.rate_limit_store)
            .retry(self.retry)
            .timeouts(self.timeouts)
            .limits(self.limits)
            .allow_local_addresses(self.allow_local_addresses)
            .proxy(self.proxy)
            .build()?;
        Ok(Client {
            transport,
            webhooks: self.webhooks,
            wait: self.wait,
            max_resubmits: self.max_resubmits,
            recovery_delay: self.recovery_delay,
            return_preference: self.return_preference,
            representation_refused: Arc::new(AtomicBool::new(false)),
            reads_refused: Arc::new(AtomicBool::new(false)),
        })
    }
}

fn config(message: &str) -> Error {
    Error::Transport(motionkit_transport::Error::Config {
        message: message.to_owned(),
    })
}

/// The MotionDynamic client. Cheap to clone: clones share the connection
/// pool, the rate limiter and its 429 pause, the retry budget and the
/// webhook receiver.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    webhooks: Option<WebhookReceiver>,
    wait: WaitOptions,
    max_resubmits: u32,
    recovery_delay: Duration,
    return_preference: ReturnPreference,
    /// The server refused `return=representation` with `42501`.
    pub(crate) representation_refused: Arc<AtomicBool>,
    /// The server refused a read of `generations` (401/403/404).
    reads_refused: Arc<AtomicBool>,
}

/// Checks and normalises (lower case) a UUID argument.
pub(crate) fn check_uuid(field: &str, value: &str) -> Result<String, Error> {
    motionkit_validation::uuid(field, value)
        .map(|v| v.to_ascii_lowercase())
        .map_err(|v| Error::Validation(Violations::from(v)))
}

impl Client {
    /// Starts building a client for the API at `base_url` (for example
    /// `https://api.motiondynamic.tech`) with the JWT `token` (without
    /// `Bearer `). The token is kept in a [`Secret`] and never shown.
    pub fn builder(base_url: impl Into<String>, token: impl Into<Secret>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            token: token.into(),
            rate_limit: default_rate_limit(),
            rate_limit_store: RateLimitStore::default(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            webhooks: None,
            wait: WaitOptions::motiondynamic(),
            max_resubmits: 2,
            recovery_delay: Duration::from_secs(1),
            limits: Limits::default(),
            allow_local_addresses: false,
            proxy: Proxy::Direct,
            token_provider: None,
            return_preference: ReturnPreference::default(),
        }
    }

    /// A MotionDynamic client from the environment and the config file:
    /// [`ClientBuilder::from_env`], built with its defaults.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::from_env`] and [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The transport, for calls this client does not wrap.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Replaces the JWT of this client and every clone of it. Nothing else
    /// is reset: the rate limiter and its 429 pause, the webhook receiver
    /// and the counters go on (rebuilding the client would lose them).
    ///
    /// # Errors
    ///
    /// A token that cannot be a JWT (empty, with a `Bearer ` prefix, or
    /// with whitespace); the old one stays.
    pub fn set_token(&self, token: impl Into<Secret>) -> Result<(), Error> {
        let token = token.into();
        check_token(token.expose())?;
        self.transport.set_auth(Auth::bearer(token));
        Ok(())
    }

    /// Counters shared by all clones: retries and 429 pauses.
    pub fn stats(&self) -> TransportStats {
        self.transport.stats()
    }

    /// The default webhook receiver, if one was configured.
    pub fn webhooks(&self) -> Option<&WebhookReceiver> {
        self.webhooks.as_ref()
    }

    /// How [`Client::wait`] and [`Client::wait_one`] wait.
    pub fn wait_options(&self) -> &WaitOptions {
        &self.wait
    }

    /// Whether `POST /rest/generations` asks for the created row.
    pub fn return_preference(&self) -> ReturnPreference {
        self.return_preference
    }

    /// True once the server refused to read `generations` to this client
    /// (401/403 with `42501`, or 403/404): the client then stops reading
    /// on its own (after a submission, while waiting) and relies on
    /// webhooks. Explicit reads ([`Client::generation`]) are still sent.
    pub fn reads_refused(&self) -> bool {
        self.reads_refused.load(Ordering::Relaxed)
    }

    pub(crate) fn note_reads_refused(&self, error: &Error) {
        if !self.reads_refused.swap(true, Ordering::Relaxed) {
            tracing::info!(%error, "this token may not read generations; relying on webhooks");
        }
    }

    /// Re-submissions allowed after a 429.
    pub(crate) fn max_resubmits(&self) -> u32 {
        self.max_resubmits
    }

    /// The pause before reading back an ambiguous submission.
    pub(crate) fn recovery_delay(&self) -> Duration {
        self.recovery_delay
    }

    async fn read<T: DeserializeOwned, C: Column>(
        &self,
        query: &Query<C>,
    ) -> Result<Vec<T>, Error> {
        let response = self
            .transport
            .send(query, Body::empty())
            .await
            .map_err(from_transport)?;
        Ok(response.json(&format!("{} {}", C::READ.method, C::READ.path))?)
    }

    /// Lists themes (`GET /rest/themes`). Without a `select`, the
    /// document's `theme_id,title,description,parameters` is used. The
    /// select must include `theme_id`; use [`Client::select_themes`] for
    /// other shapes.
    pub async fn themes(&self, query: &ThemesQuery) -> Result<Vec<Theme>, Error> {
        self.select_themes(query).await
    }

    /// Lists themes decoded as `T`, for selects that do not fit [`Theme`].
    pub async fn select_themes<T: DeserializeOwned>(
        &self,
        query: &ThemesQuery,
    ) -> Result<Vec<T>, Error> {
        let query = if query.has_select() {
            query.clone()
        } else {
            query.clone().select(Select::<ThemeColumn>::documented())
        };
        self.read(&query).await
    }

    /// One theme with its parameters (`theme_id=eq.<id>`; any case).
    /// [`Error::NotFound`] when the token sees no such theme.
    pub async fn theme(&self, theme_id: &str) -> Result<Theme, Error> {
        let theme_id = check_uuid("theme_id", theme_id)?;
        let query = ThemesQuery::new().eq(ThemeColumn::ThemeId, &theme_id);
        self.themes(&query)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound {
                what: "theme",
                id: theme_id,
            })
    }

    /// The public demo theme of the document ("Product demo").
    pub async fn demo_theme(&self) -> Result<Theme, Error> {
        self.theme(DEMO_THEME_ID).await
    }

    /// Reads generations back (`GET /rest/generations`).
    pub async fn generations(&self, query: &GenerationsQuery) -> Result<Vec<Generation>, Error> {
        self.read(query).await
    }

    /// One generation (`generation_id=eq.<id>`; any case).
    /// [`Error::NotFound`] when there is none.
    pub async fn generation(&self, generation_id: &str) -> Result<Generation, Error> {
        let generation_id = check_uuid("generation_id", generation_id)?;
        let query = GenerationsQuery::new().eq(GenerationColumn::GenerationId, &generation_id);
        self.generations(&query)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound {
                what: "generation",
                id: generation_id,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_never_printed() {
        let err = Client::builder("http://127.0.0.1:1", "")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = Client::builder("http://127.0.0.1:1", "Bearer abc")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("prefix"), "{err}");
        assert!(!err.to_string().contains("abc"), "{err}");
        let client = Client::builder("http://127.0.0.1:1", "eyJ.secret-part.sig")
            .build()
            .unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("secret-part"), "{debug}");
        let err = Client::builder("not a url", "t").build().unwrap_err();
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn the_default_rate_limit_keeps_the_published_rate() {
        let limit = default_rate_limit();
        assert_eq!(limit.requests_per_second.map(|r| r.get()), Some(5));
        assert_eq!(limit.burst.get(), 4);
        assert_eq!(limit.pause_on_429, Duration::from_secs(60));
    }
}
