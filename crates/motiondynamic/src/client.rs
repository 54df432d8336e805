//! The [`Client`]: REST calls, submission with safe recovery, and the
//! configuration shared by GraphQL, waiting and downloads.

use std::time::Duration;

use http::HeaderValue;
use http::header::HeaderMap;
use motionkit_models::Endpoint;
use motionkit_models::motiondynamic::{
    DEMO_THEME_ID, Generation, GenerationRequest, PREFER_RETURN_REPRESENTATION, Theme, endpoints,
};
use motionkit_transport::{
    Auth, Body, RateLimit, RateLimitStore, RetryPolicy, Sent, Timeouts, Transport, TransportStats,
};
use motionkit_validation::Violations;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::error::{Error, from_transport};
use crate::graphql::Graphql;
use crate::query::{GenerationColumn, GenerationsQuery, Order, Select, ThemeColumn, ThemesQuery};
use crate::wait::WaitOptions;
use crate::webhook::WebhookReceiver;

/// Response header in which the sandbox names why a generation was
/// discarded. The real API discards silently.
pub const DISCARD_REASON_HEADER: &str = "x-sandbox-discarded";

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
    token: SecretString,
    rate_limit: RateLimit,
    rate_limit_store: RateLimitStore,
    retry: RetryPolicy,
    timeouts: Timeouts,
    webhooks: Option<WebhookReceiver>,
    wait: WaitOptions,
    max_resubmits: u32,
    recovery_delay: Duration,
}

impl ClientBuilder {
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

    /// The webhook receiver generations use when they name none themselves.
    pub fn webhooks(mut self, receiver: WebhookReceiver) -> Self {
        self.webhooks = Some(receiver);
        self
    }

    /// How [`Client::wait`] waits (default: [`WaitOptions::default`]).
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// How many times a generation is re-submitted after an ambiguous
    /// failure once a read-back showed it was not created (default 2).
    /// Zero disables re-submission; the read-back still happens.
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
        use secrecy::ExposeSecret as _;
        let token = self.token.expose_secret();
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
        let transport = Transport::builder(self.base_url)
            .auth(Auth::bearer(self.token))
            .rate_limit(self.rate_limit)
            .rate_limit_store(self.rate_limit_store)
            .retry(self.retry)
            .timeouts(self.timeouts)
            .build()?;
        Ok(Client {
            transport,
            webhooks: self.webhooks,
            wait: self.wait,
            max_resubmits: self.max_resubmits,
            recovery_delay: self.recovery_delay,
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
}

/// The outcome of a submission.
#[derive(Debug)]
pub(crate) struct Submitted {
    pub(crate) generation: Generation,
    pub(crate) adopted: bool,
    pub(crate) attempts: u32,
    pub(crate) discard_reason: Option<String>,
}

/// Which API creates the generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Rest,
    Graphql,
}

/// Checks and normalises (lower case) a UUID argument.
pub(crate) fn check_uuid(field: &str, value: &str) -> Result<String, Error> {
    motionkit_validation::text::uuid(field, value)
        .map(|v| v.to_ascii_lowercase())
        .map_err(|v| Error::Validation(Violations::from(v)))
}

/// A failure after which the generation may or may not exist.
pub(crate) fn ambiguous(error: &Error) -> bool {
    use motionkit_transport::Error as T;
    match error {
        Error::Transport(t) => match t {
            T::Http { status, .. } => *status >= 500,
            T::Decode { .. } => true,
            T::Timeout { sent, .. }
            | T::Connect { sent, .. }
            | T::Protocol { sent, .. }
            | T::Io { sent, .. } => *sent != Sent::NotSent,
            _ => false,
        },
        Error::Postgrest { status, .. } => *status >= 500,
        Error::Unexpected { .. } => true,
        _ => false,
    }
}

/// A failure that certainly created nothing and may be sent again: a 429.
fn refused_for_rate(error: &Error) -> bool {
    matches!(
        error,
        Error::Transport(motionkit_transport::Error::RateLimited { .. })
    ) || matches!(error, Error::Postgrest { status: 429, .. })
}

impl Client {
    /// Starts building a client for the API at `base_url` (for example
    /// `https://api.motiondynamic.tech`) with the JWT `token` (without
    /// `Bearer `). The token is kept in a [`SecretString`] and never shown.
    pub fn builder(base_url: impl Into<String>, token: impl Into<SecretString>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            token: token.into(),
            rate_limit: default_rate_limit(),
            rate_limit_store: RateLimitStore::default(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            webhooks: None,
            wait: WaitOptions::default(),
            max_resubmits: 2,
            recovery_delay: Duration::from_secs(1),
        }
    }

    /// The transport, for calls this client does not wrap.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Counters shared by all clones: retries and 429 pauses.
    pub fn stats(&self) -> TransportStats {
        self.transport.stats()
    }

    /// The default webhook receiver, if one was configured.
    pub fn webhooks(&self) -> Option<&WebhookReceiver> {
        self.webhooks.as_ref()
    }

    /// How [`Client::wait`] waits.
    pub fn wait_options(&self) -> &WaitOptions {
        &self.wait
    }

    /// The GraphQL calls.
    pub fn graphql(&self) -> Graphql<'_> {
        Graphql::new(self)
    }

    async fn read<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        pairs: &[(String, String)],
    ) -> Result<Vec<T>, Error> {
        let query: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = self
            .transport
            .send(endpoint, &[], &query, Body::empty())
            .await
            .map_err(from_transport)?;
        Ok(response.json(&format!("{} {}", endpoint.method, endpoint.path))?)
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
        self.read(&endpoints::LIST_THEMES, &query.to_pairs()).await
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
        self.read(&endpoints::LIST_GENERATIONS, &query.to_pairs())
            .await
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

    /// The generations created with this callback URL, oldest first.
    pub(crate) async fn generations_by_webhook(
        &self,
        webhook: &str,
    ) -> Result<Vec<Generation>, Error> {
        let query = GenerationsQuery::new()
            .eq(GenerationColumn::Webhook, webhook)
            .order(GenerationColumn::CreatedAt, Order::Asc);
        self.generations(&query).await
    }

    /// One `POST /rest/generations` with `Prefer: return=representation`.
    async fn post_generation(
        &self,
        request: &GenerationRequest,
    ) -> Result<(Generation, Option<String>), Error> {
        let endpoint = &endpoints::CREATE_GENERATION;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HeaderName::from_static("prefer"),
            HeaderValue::from_static(PREFER_RETURN_REPRESENTATION),
        );
        let response = self
            .transport
            .send_with(endpoint, &[], &[], headers, Body::json(request)?)
            .await
            .map_err(from_transport)?;
        let label = format!("{} {}", endpoint.method, endpoint.path);
        let rows: Vec<Generation> = response.json(&label)?;
        let reason = response
            .headers()
            .get(DISCARD_REASON_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let row = rows.into_iter().next().ok_or_else(|| Error::Unexpected {
            request: label,
            message: "HTTP 2xx without the created row despite `Prefer: return=representation`"
                .into(),
        })?;
        Ok((row, reason))
    }

    /// Creates a generation, never blindly twice.
    ///
    /// After an ambiguous failure (the request may have reached the server:
    /// timeout, broken connection, 5xx, unreadable answer) and when
    /// `unique_webhook` is true, the generation is looked up by its callback
    /// URL, which is unique to it. Found: adopted. Not found: submitted
    /// again, at most `max_resubmits` times. A 429 created nothing and is
    /// submitted again after the pause. Anything else is returned as is.
    pub(crate) async fn submit(
        &self,
        request: &GenerationRequest,
        via: Via,
        client_mutation_id: Option<String>,
        unique_webhook: bool,
    ) -> Result<Submitted, Error> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let result = match via {
                Via::Rest => self.post_generation(request).await,
                Via::Graphql => self
                    .graphql()
                    .create_generation(request, client_mutation_id.clone())
                    .await
                    .map(|g| (g, None)),
            };
            let error = match result {
                Ok((generation, discard_reason)) => {
                    return Ok(Submitted {
                        generation,
                        adopted: false,
                        attempts,
                        discard_reason,
                    });
                }
                Err(error) => error,
            };
            let may_resubmit = attempts <= self.max_resubmits;
            if refused_for_rate(&error) && may_resubmit {
                tracing::warn!(
                    attempt = attempts,
                    "generation refused with 429; submitting again after the pause"
                );
                continue;
            }
            if !ambiguous(&error) || !unique_webhook {
                return Err(error);
            }
            tracing::warn!(
                attempt = attempts,
                %error,
                "generation may or may not have been created; reading it back by its callback URL"
            );
            tokio::time::sleep(self.recovery_delay).await;
            let found = match self.generations_by_webhook(&request.webhook).await {
                Ok(found) => found,
                Err(check) => {
                    tracing::warn!(error = %check, "reading back the generation failed");
                    return Err(error);
                }
            };
            if let Some(generation) = found.into_iter().next() {
                tracing::info!(generation = %generation.generation_id, "adopted the generation created by the ambiguous request");
                return Ok(Submitted {
                    generation,
                    adopted: true,
                    attempts,
                    discard_reason: None,
                });
            }
            if !may_resubmit {
                return Err(error);
            }
            tracing::info!(
                attempt = attempts,
                "the generation was not created; submitting again"
            );
        }
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

    #[test]
    fn only_failures_that_may_have_created_something_are_ambiguous() {
        use motionkit_transport::Error as T;
        let http = |status| {
            from_transport(T::Http {
                request: "POST /rest/generations".into(),
                status,
                body: String::new(),
                request_id: None,
            })
        };
        assert!(ambiguous(&http(502)));
        assert!(!ambiguous(&http(400)));
        assert!(ambiguous(&Error::Transport(T::Timeout {
            request: "POST /rest/generations".into(),
            after: Duration::from_secs(30),
            sent: Sent::MaybeSent,
        })));
        assert!(!ambiguous(&Error::Transport(T::Connect {
            request: "POST /rest/generations".into(),
            message: "refused".into(),
            sent: Sent::NotSent,
        })));
        let limited = Error::Transport(T::RateLimited {
            request: "POST /rest/generations".into(),
            retry_after: None,
            sent: Sent::Sent,
        });
        assert!(!ambiguous(&limited));
        assert!(refused_for_rate(&limited));
    }
}
