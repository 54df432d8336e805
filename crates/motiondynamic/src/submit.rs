//! Creating a generation without ever creating it twice: one
//! `POST /rest/generations` (or GraphQL `createGeneration`), identified by
//! its own callback URL, which is unique to it.
//!
//! **What the document promises, and what it does not.** The document
//! shows the POST and the webhook, nothing else: no row in the answer and
//! no read of `generations`. A plain PostgREST answers the POST `201` with
//! an empty body unless asked for `Prefer: return=representation`; and a
//! token whose role may insert generations but not read them (a normal
//! PostgREST setup) gets `42501 permission denied` (HTTP 401 for an
//! anonymous role, 403 for an authenticated one) to that preference, which
//! PostgREST answers by rolling the insert back. So:
//!
//! - By default ([`ReturnPreference::Minimal`]) the POST is the
//!   document's: no `Prefer` header, that is `Prefer: return=minimal`, one
//!   request that works for every role. The id comes from the `Location`
//!   header when the server sends one (`/generations?generation_id=eq.<id>`,
//!   as PostgREST before v11 did).
//! - [`ReturnPreference::Representation`] asks for the row
//!   (`Prefer: return=representation`, which also tells at once whether the
//!   generation was discarded). When the server refuses with `42501`,
//!   nothing was created (the insert was rolled back), so the same request
//!   is sent once more with `Prefer: return=minimal`; the client remembers
//!   the refusal (every clone) and asks minimal from then on.
//! - A `201` without a row or `Location` is a created generation whose id
//!   is not known yet. When reading `generations` is allowed, one read by
//!   callback URL learns the id; when it is refused, the id comes with the webhook (the
//!   file name of the video URL) or stays unknown.
//! - After an ambiguous failure (the request may have reached the server:
//!   timeout, broken connection, 5xx, unreadable answer) nothing is sent
//!   again. When the callback URL is unique (a [`WebhookReceiver`] issued
//!   it), the generation is looked up by it if reads are allowed: found, it
//!   is adopted; not found or refused, the submission is returned
//!   *unconfirmed* ([`Submission::confirmed`] is false): an empty or refused
//!   read proves nothing (row permissions may hide the row), and the webhook
//!   will tell. A 429 created nothing and is sent again after the pause.
//!
//! A refusal with `42501` is a permission of the token's role, not a
//! rejected token: [`Error::is_auth`] is false for it.
//!
//! GraphQL creation ([`Generate::send_graphql`](crate::Generate::send_graphql))
//! selects the created `generation` in its typed document, which is a read:
//! with an insert-only role it fails with a GraphQL `42501` error (and
//! PostGraphile rolls the insert back). Use the REST [`Generate::send`](crate::Generate::send) there.

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use http::HeaderValue;
use http::header::HeaderMap;
use motionkit_models::motiondynamic::{
    Generation, GenerationRequest, PREFER_RETURN_REPRESENTATION, endpoints, requests,
};
use motionkit_transport::{Acted, Body, redact_url, status_verdict};

use crate::client::{Client, ReturnPreference};
use crate::error::{Error, PERMISSION_DENIED, from_transport};
use crate::query::{GenerationColumn, GenerationsQuery, Order};
use crate::webhook::WebhookReceiver;
use motionkit_validation::Violation;

/// `Prefer` value that asks PostgREST for no row back.
pub const PREFER_RETURN_MINIMAL: &str = "return=minimal";

/// The outcome of a submission.
#[derive(Debug)]
pub(crate) struct Submitted {
    pub(crate) generation: Option<Generation>,
    /// The id when known without the row (from `Location`).
    pub(crate) id: Option<String>,
    pub(crate) adopted: bool,
    pub(crate) confirmed: bool,
    pub(crate) attempts: u32,
    /// When the first request was sent.
    pub(crate) submitted_at: SystemTime,
}

/// Which API creates the generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Rest,
    #[cfg(feature = "graphql")]
    Graphql,
}

/// A failure after which the generation may or may not exist (the
/// transport's classifier decides).
pub(crate) fn ambiguous(error: &Error) -> bool {
    match error {
        Error::Transport(t) => t.may_have_acted(),
        Error::Postgrest { status, .. } => status_verdict(*status).acted != Acted::No,
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

/// A generation the API accepted, or (when not [`Submission::confirmed`])
/// may have accepted.
#[derive(Clone)]
pub struct Submission {
    generation: Option<Generation>,
    id: Option<String>,
    webhook: String,
    callback: Option<(WebhookReceiver, String)>,
    adopted: bool,
    confirmed: bool,
    attempts: u32,
    warnings: Vec<Violation>,
    submitted_at: SystemTime,
}

impl fmt::Debug for Submission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submission")
            .field("generation_id", &self.id)
            .field(
                "status",
                &self.generation.as_ref().and_then(|g| g.status.clone()),
            )
            .field("webhook_key", &self.webhook_key())
            .field("adopted", &self.adopted)
            .field("confirmed", &self.confirmed)
            .field("attempts", &self.attempts)
            .field("warnings", &self.warnings)
            .field("submitted_at", &self.submitted_at)
            .finish()
    }
}

impl Submission {
    /// The generation id, when known: from the created row, or from a read
    /// by callback URL. `None` when the server returned no row and reads
    /// are refused; [`Client::wait_one`]'s [`Video`](crate::Video) then carries
    /// the id the webhook reveals.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The created row, when the server returned it or a read found it.
    pub fn generation(&self) -> Option<&Generation> {
        self.generation.as_ref()
    }

    /// The callback URL sent with the generation: unique to it when a
    /// [`WebhookReceiver`] issued it. It carries the receiver's token:
    /// treat it like a credential.
    pub fn webhook_url(&self) -> &str {
        &self.webhook
    }

    /// The key of the generation's callback URL, when a
    /// [`WebhookReceiver`] issued it.
    pub fn webhook_key(&self) -> Option<&str> {
        self.callback.as_ref().map(|(_, key)| key.as_str())
    }

    /// True when the submission failed ambiguously and the generation was
    /// then found on the server by its callback URL.
    pub fn adopted(&self) -> bool {
        self.adopted
    }

    /// False when the request failed ambiguously (it may have reached the
    /// server) and the generation could not be found: reads refused, or
    /// hidden by row permissions. It may exist; its webhook, if it comes,
    /// resolves [`Client::wait_one`]. Nothing was sent twice.
    pub fn confirmed(&self) -> bool {
        self.confirmed
    }

    /// Requests it took (more than one after a 429 or a refused
    /// `return=representation`).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What the check before sending reported but did not block (the
    /// documents do not say these fail).
    pub fn warnings(&self) -> &[Violation] {
        &self.warnings
    }

    /// When the first request was sent (this machine's clock).
    pub fn submitted_at(&self) -> SystemTime {
        self.submitted_at
    }

    pub(crate) fn callback(&self) -> Option<(&WebhookReceiver, &str)> {
        self.callback.as_ref().map(|(r, k)| (r, k.as_str()))
    }

    /// Records the id learnt later (for example from the webhook).
    pub(crate) fn new(
        submitted: Submitted,
        webhook: String,
        callback: Option<(WebhookReceiver, String)>,
        warnings: Vec<Violation>,
    ) -> Self {
        Submission {
            id: submitted.id.or_else(|| {
                submitted
                    .generation
                    .as_ref()
                    .map(|g| g.generation_id.clone())
            }),
            generation: submitted.generation,
            webhook,
            callback,
            adopted: submitted.adopted,
            confirmed: submitted.confirmed,
            attempts: submitted.attempts,
            warnings,
            submitted_at: submitted.submitted_at,
        }
    }
}

/// What a successful POST returned.
#[derive(Debug)]
pub(crate) enum Created {
    /// A body: the row, or nothing if the list was empty.
    Row(Option<Generation>),
    /// No body: the id if `Location` named it.
    Id(Option<String>),
}

/// The id in a PostgREST `Location` header,
/// `/generations?generation_id=eq.<uuid>`.
fn id_from_location(location: &str) -> Option<String> {
    let (_, query) = location.split_once('?')?;
    query.split('&').find_map(|pair| {
        let value = pair.strip_prefix("generation_id=eq.")?;
        uuid::Uuid::parse_str(value)
            .ok()
            .map(|u| u.hyphenated().to_string())
    })
}

/// A read refused by the server's permissions (not a rejected token):
/// 401/403 with `42501`, or 403/404 (the table is not exposed to the role).
pub(crate) fn read_refused(error: &Error) -> bool {
    error.is_permission_denied()
}

/// The `42501` refusal of `Prefer: return=representation`.
fn representation_refused(error: &Error) -> bool {
    matches!(
        error,
        Error::Postgrest {
            status: 401 | 403,
            ..
        }
    ) && error.code() == Some(PERMISSION_DENIED)
}

impl Client {
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

    /// One read by callback URL, unless reads were refused before. `None`
    /// when nothing was found or the read was refused (remembered).
    pub(crate) async fn find_by_webhook(&self, webhook: &str) -> Result<Option<Generation>, Error> {
        if self.reads_refused() {
            return Ok(None);
        }
        match self.generations_by_webhook(webhook).await {
            Ok(found) => Ok(found.into_iter().next()),
            Err(error) if read_refused(&error) => {
                self.note_reads_refused(&error);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// One `POST /rest/generations` with the given `Prefer`; the row when
    /// the server returned one.
    async fn post_generation(
        &self,
        request: &GenerationRequest,
        prefer: &'static str,
    ) -> Result<Created, Error> {
        let endpoint = &endpoints::CREATE_GENERATION;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HeaderName::from_static("prefer"),
            HeaderValue::from_static(prefer),
        );
        let response = self
            .transport()
            .send_with(
                &requests::CreateGeneration::new(),
                headers,
                Body::json(request)?,
            )
            .await
            .map_err(from_transport)?;
        let label = format!("{} {}", endpoint.method, endpoint.path);
        if response.body().iter().all(u8::is_ascii_whitespace) {
            // `return=minimal`, or a row the role may not see.
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(id_from_location);
            return Ok(Created::Id(location));
        }
        let rows: Vec<Generation> = response.json(&label)?;
        Ok(Created::Row(rows.into_iter().next()))
    }

    /// One REST submission: `return=representation` unless refused before
    /// (then `return=minimal`), and once more with `return=minimal` after a
    /// `42501` refusal, which created nothing.
    async fn post_rest(
        &self,
        request: &GenerationRequest,
        attempts: &mut u32,
    ) -> Result<Created, Error> {
        let ask = self.return_preference() == ReturnPreference::Representation
            && !self.representation_refused.load(Ordering::Relaxed);
        if !ask {
            return self.post_generation(request, PREFER_RETURN_MINIMAL).await;
        }
        match self
            .post_generation(request, PREFER_RETURN_REPRESENTATION)
            .await
        {
            Err(error) if representation_refused(&error) => {
                tracing::info!(
                    %error,
                    "the token may create generations but not read them back; \
                     sending again with `Prefer: return=minimal` (the refused insert was rolled back)"
                );
                self.representation_refused.store(true, Ordering::Relaxed);
                *attempts += 1;
                self.post_generation(request, PREFER_RETURN_MINIMAL).await
            }
            other => other,
        }
    }

    /// Creates a generation, never twice; see the module documentation.
    #[cfg_attr(not(feature = "graphql"), allow(unused_variables))]
    pub(crate) async fn submit(
        &self,
        request: &GenerationRequest,
        via: Via,
        client_mutation_id: Option<String>,
        unique_webhook: bool,
    ) -> Result<Submitted, Error> {
        let mut attempts = 0u32;
        let submitted_at = SystemTime::now();
        let mut resubmits = 0u32;
        loop {
            attempts += 1;
            let result = match via {
                Via::Rest => self.post_rest(request, &mut attempts).await,
                #[cfg(feature = "graphql")]
                Via::Graphql => self
                    .graphql()
                    .create_generation(request, client_mutation_id.clone())
                    .await
                    .map(|g| Created::Row(Some(g))),
            };
            let error = match result {
                Ok(Created::Row(Some(generation))) => {
                    return Ok(Submitted {
                        id: None,
                        generation: Some(generation),
                        adopted: false,
                        confirmed: true,
                        attempts,
                        submitted_at,
                    });
                }
                Ok(Created::Id(Some(id))) => {
                    return Ok(Submitted {
                        generation: None,
                        id: Some(id),
                        adopted: false,
                        confirmed: true,
                        attempts,
                        submitted_at,
                    });
                }
                Ok(_) => {
                    // Created; learn the id when reads are allowed.
                    let generation = if unique_webhook {
                        match self.find_by_webhook(&request.webhook).await {
                            Ok(found) => found,
                            Err(error) => {
                                tracing::warn!(%error, "reading back the created generation failed; its id will come with the webhook");
                                None
                            }
                        }
                    } else {
                        None
                    };
                    return Ok(Submitted {
                        id: None,
                        generation,
                        adopted: false,
                        confirmed: true,
                        attempts,
                        submitted_at,
                    });
                }
                Err(error) => error,
            };
            if refused_for_rate(&error) && resubmits < self.max_resubmits() {
                resubmits += 1;
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
                webhook = %redact_url(&request.webhook),
                "generation may or may not have been created; looking it up by its callback URL, never sending it again"
            );
            tokio::time::sleep(self.recovery_delay()).await;
            let found = match self.find_by_webhook(&request.webhook).await {
                Ok(found) => found,
                Err(check) => {
                    tracing::warn!(error = %check, "reading back the generation failed");
                    None
                }
            };
            let adopted = found.is_some();
            if adopted {
                tracing::info!("adopted the generation created by the ambiguous request");
            } else {
                tracing::warn!(
                    "the generation could not be found (reads refused or hidden); \
                     waiting for its webhook instead of sending it again"
                );
            }
            return Ok(Submitted {
                id: None,
                generation: found,
                adopted,
                confirmed: adopted,
                attempts,
                submitted_at,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_id_comes_from_a_postgrest_location() {
        assert_eq!(
            id_from_location("/generations?generation_id=eq.9C1D2E3F-4A5B-4C6D-8E7F-A0B1C2D3E4F5")
                .as_deref(),
            Some("9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5")
        );
        assert_eq!(id_from_location("/generations?generation_id=eq.nope"), None);
        assert_eq!(id_from_location("/generations"), None);
    }

    #[test]
    fn a_permission_refusal_is_not_an_authentication_failure() {
        let refused = from_transport(motionkit_transport::Error::Http {
            request: "GET /rest/generations".into(),
            status: 403,
            body: r#"{"code":"42501","message":"permission denied for table generations","details":null,"hint":null}"#.into(),
            request_id: None,
        });
        assert!(!refused.is_auth());
        assert!(refused.is_permission_denied());
        assert!(representation_refused(&refused));
        let anonymous = from_transport(motionkit_transport::Error::Auth {
            request: "POST /rest/generations".into(),
            message: "the bearer token was rejected (42501: permission denied)".into(),
            code: Some("42501".into()),
            sent: motionkit_transport::Sent::Sent,
        });
        assert!(!anonymous.is_auth(), "{anonymous}");
        assert!(representation_refused(&anonymous));
        let expired = motionkit_transport::Error::Auth {
            request: "GET /rest/generations".into(),
            message: "JWT expired".into(),
            code: Some("PGRST303".into()),
            sent: motionkit_transport::Sent::Sent,
        };
        let expired = from_transport(expired);
        assert!(expired.is_auth());
        assert!(!expired.is_permission_denied());
    }

    #[test]
    fn only_failures_that_may_have_created_something_are_ambiguous() {
        use motionkit_transport::{Error as T, Sent};
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
            cause: None,
        })));
        assert!(!ambiguous(&Error::Transport(T::Connect {
            request: "POST /rest/generations".into(),
            message: "refused".into(),
            sent: Sent::NotSent,
            cause: None,
        })));
        let limited = Error::Transport(T::RateLimited {
            request: "POST /rest/generations".into(),
            retry_after: None,
            sent: Sent::Sent,
        });
        assert!(!ambiguous(&limited));
        assert!(refused_for_rate(&limited));
        assert!(
            !ambiguous(&http(429)),
            "a 429 is a refusal: nothing was created"
        );
        assert!(!ambiguous(&Error::Transport(T::Refused {
            request: "POST /rest/generations".into(),
            message: "cannot be built".into(),
            sent: Sent::NotSent,
        })));
    }
}
