//! Creating a generation without ever creating it blindly twice: one
//! `POST /rest/generations` (or GraphQL `createGeneration`), and after an
//! ambiguous failure, a read-back by the generation's unique callback URL
//! that adopts what it finds before anything is sent again.

use std::fmt;

use http::HeaderValue;
use http::header::HeaderMap;
use motionkit_models::motiondynamic::{
    Generation, GenerationRequest, PREFER_RETURN_REPRESENTATION, endpoints,
};
use motionkit_transport::{Acted, Body, status_verdict};

use crate::client::{Client, DISCARD_REASON_HEADER};
use crate::error::{Error, from_transport};
use crate::query::{GenerationColumn, GenerationsQuery, Order};
use crate::webhook::WebhookReceiver;

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

/// A generation the API accepted.
#[derive(Clone)]
pub struct Submission {
    generation: Generation,
    callback: Option<(WebhookReceiver, String)>,
    adopted: bool,
    attempts: u32,
}

impl fmt::Debug for Submission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submission")
            .field("generation_id", &self.generation.generation_id)
            .field("status", &self.generation.status)
            .field("webhook_key", &self.webhook_key())
            .field("adopted", &self.adopted)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl Submission {
    /// The generation id.
    pub fn id(&self) -> &str {
        &self.generation.generation_id
    }

    /// The created row.
    pub fn generation(&self) -> &Generation {
        &self.generation
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

    /// Requests it took (more than one after a 429 or an ambiguous failure).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn callback(&self) -> Option<(&WebhookReceiver, &str)> {
        self.callback.as_ref().map(|(r, k)| (r, k.as_str()))
    }
}

impl Submission {
    pub(crate) fn new(submitted: Submitted, callback: Option<(WebhookReceiver, String)>) -> Self {
        Submission {
            generation: submitted.generation,
            callback,
            adopted: submitted.adopted,
            attempts: submitted.attempts,
        }
    }
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
            .transport()
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
    #[cfg_attr(not(feature = "graphql"), allow(unused_variables))]
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
                #[cfg(feature = "graphql")]
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
            let may_resubmit = attempts <= self.max_resubmits();
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
            tokio::time::sleep(self.recovery_delay()).await;
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
    use std::time::Duration;

    use super::*;

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
