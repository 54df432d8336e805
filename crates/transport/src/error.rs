//! The one error type of the crate, and whether a failed request may have
//! reached the server.

use std::sync::Arc;
use std::time::Duration;

use motionkit_validation::Violations;

pub use crate::classify::Sent;
use crate::classify::{Acted, Outcome, RetryDecision, Verdict, classify, status_verdict};

/// Everything that can go wrong in the transport.
///
/// Messages are one line, name the request by its method and path template
/// (or a URL without its query string) and never contain secrets, cookies
/// or tokens. Every variant answers [`Error::sent`].
///
/// A request that only reads (`GET`, `HEAD`: a login, a status, a
/// download) is never said to need checking before it is sent again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status that is not a success.
    #[error("{request} returned HTTP {status}{}: {}", request_id_suffix(.request_id), body_or_empty(.body))]
    Http {
        /// Method and path template (or redacted URL) of the request.
        request: String,
        /// The HTTP status code.
        status: u16,
        /// A bounded, single-line excerpt of the response body.
        body: String,
        /// The server's request id header, when it sent one.
        request_id: Option<String>,
    },
    /// No answer within the configured time.
    #[error("{request} timed out after {:.1}s; {}; raise the timeouts or retry later", .after.as_secs_f64(), sent_note(.request, *.sent))]
    Timeout {
        /// Method and path template (or redacted URL) of the request.
        request: String,
        /// How long the transport waited.
        after: Duration,
        /// Whether the request may have reached the server.
        sent: Sent,
        /// What the network stack reported, when it reported something
        /// (its text never holds the URL).
        #[source]
        cause: Option<Cause>,
    },
    /// The connection could not be opened, or broke during the exchange.
    #[error("{request}: connection failed: {message}; {}", sent_note(.request, *.sent))]
    Connect {
        /// Method and path template (or redacted URL) of the request.
        request: String,
        /// What the network stack reported.
        message: String,
        /// [`Sent::NotSent`] when connecting failed, [`Sent::MaybeSent`]
        /// when the connection broke after sending started.
        sent: Sent,
        /// The network stack's own error (its text never holds the URL).
        #[source]
        cause: Option<Cause>,
    },
    /// A success response whose body does not match the expected type.
    #[error("{request}: response does not match the expected type at `{path}`: {message}; body starts with: {}", body_or_empty(.body))]
    Decode {
        /// Method and path template of the request.
        request: String,
        /// JSON path of the first mismatch, for example `status[0].rid`.
        path: String,
        /// What the decoder expected.
        message: String,
        /// A bounded, single-line excerpt of the response body.
        body: String,
    },
    /// Credentials missing, rejected or expired.
    #[error("{request}: authentication failed: {message}")]
    Auth {
        /// Method and path template of the request.
        request: String,
        /// What failed and what to do about it.
        message: String,
        /// The server's error code, for example PostgREST's `PGRST303`.
        code: Option<String>,
        /// Whether the request may have reached the server.
        sent: Sent,
    },
    /// The server (HTTP 429) or the client-side limiter refused the request.
    #[error("{request} was rate limited{}; {sent}", retry_after_suffix(.retry_after))]
    RateLimited {
        /// Method and path template of the request.
        request: String,
        /// How long to wait before sending again, when known.
        retry_after: Option<Duration>,
        /// [`Sent::Sent`] for a 429, [`Sent::NotSent`] when the client-side
        /// limiter gave up before sending.
        sent: Sent,
    },
    /// The input was rejected before anything was sent.
    #[error(transparent)]
    Validation(#[from] Violations),
    /// Reading or writing a local file failed.
    #[error("{context}: {source}")]
    Io {
        /// What the transport was doing, for example `opening /tmp/a.mp4`.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
        /// Whether the request may have reached the server.
        sent: Sent,
    },
    /// The server broke the upload or download protocol (missing
    /// `Location`, wrong size, wrong `Content-Range`, ...).
    #[error("{request}: {message}; {sent}")]
    Protocol {
        /// Method and redacted URL of the request.
        request: String,
        /// What was wrong.
        message: String,
        /// Whether the request may have reached the server.
        sent: Sent,
    },
    /// The transport or a request was configured wrongly.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The client refused to send a request: it cannot be built (a URL too
    /// long for HTTP, a redirect to a scheme other than http(s)) or its
    /// address is not allowed (see
    /// [`TransportBuilder::allow_local_addresses`](crate::TransportBuilder::allow_local_addresses)).
    #[error("{request}: not sent: {message}")]
    Refused {
        /// Method and redacted URL of the request.
        request: String,
        /// Why it was refused.
        message: String,
        /// [`Sent::NotSent`], or [`Sent::Sent`] when an earlier hop (before
        /// a refused redirect) reached a server.
        sent: Sent,
    },
    /// A response body was larger than the limit for its kind. The server
    /// answered; its answer was not read.
    #[error(
        "{request}: the response body is larger than the limit of {limit} bytes ({what}); the answer was not read"
    )]
    TooLarge {
        /// Method and path template (or redacted URL) of the request.
        request: String,
        /// The HTTP status of the answer.
        status: u16,
        /// The limit that was exceeded, in bytes.
        limit: u64,
        /// Which limit, for example `Limits::response_bytes`.
        what: &'static str,
    },
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id})"),
        None => String::new(),
    }
}

fn body_or_empty(body: &str) -> &str {
    if body.is_empty() {
        "(empty body)"
    } else {
        body
    }
}

fn retry_after_suffix(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("; retry after {:.1}s", wait.as_secs_f64()),
        None => String::new(),
    }
}

/// A copy of the error, for a failure shared by several callers (one
/// login, one status poll). An [`Error::Io`]'s operating-system error is
/// copied as its kind and message.
impl Clone for Error {
    fn clone(&self) -> Self {
        match self {
            Error::Http {
                request,
                status,
                body,
                request_id,
            } => Error::Http {
                request: request.clone(),
                status: *status,
                body: body.clone(),
                request_id: request_id.clone(),
            },
            Error::Timeout {
                request,
                after,
                sent,
                cause,
            } => Error::Timeout {
                request: request.clone(),
                after: *after,
                sent: *sent,
                cause: cause.clone(),
            },
            Error::Connect {
                request,
                message,
                sent,
                cause,
            } => Error::Connect {
                request: request.clone(),
                message: message.clone(),
                sent: *sent,
                cause: cause.clone(),
            },
            Error::Decode {
                request,
                path,
                message,
                body,
            } => Error::Decode {
                request: request.clone(),
                path: path.clone(),
                message: message.clone(),
                body: body.clone(),
            },
            Error::Auth {
                request,
                message,
                code,
                sent,
            } => Error::Auth {
                request: request.clone(),
                message: message.clone(),
                code: code.clone(),
                sent: *sent,
            },
            Error::RateLimited {
                request,
                retry_after,
                sent,
            } => Error::RateLimited {
                request: request.clone(),
                retry_after: *retry_after,
                sent: *sent,
            },
            Error::Validation(violations) => Error::Validation(violations.clone()),
            Error::Io {
                context,
                source,
                sent,
            } => Error::Io {
                context: context.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
                sent: *sent,
            },
            Error::Protocol {
                request,
                message,
                sent,
            } => Error::Protocol {
                request: request.clone(),
                message: message.clone(),
                sent: *sent,
            },
            Error::Config { message } => Error::Config {
                message: message.clone(),
            },
            Error::Refused {
                request,
                message,
                sent,
            } => Error::Refused {
                request: request.clone(),
                message: message.clone(),
                sent: *sent,
            },
            Error::TooLarge {
                request,
                status,
                limit,
                what,
            } => Error::TooLarge {
                request: request.clone(),
                status: *status,
                limit: *limit,
                what,
            },
        }
    }
}

impl Error {
    /// The classifier's judgement of this error (see [`status_verdict`](crate::status_verdict)):
    /// whether the request was sent, whether the server may have acted on
    /// it, and whether it is temporary. `retry` is always
    /// [`RetryDecision::Fail`]: the transport has already retried what it
    /// may.
    pub fn verdict(&self) -> Verdict {
        let verdict = |sent, acted, temporary| Verdict {
            retry: RetryDecision::Fail,
            sent,
            acted,
            temporary,
        };
        let acted_if_sent = |sent: Sent| {
            if sent == Sent::NotSent {
                Acted::No
            } else {
                Acted::Maybe
            }
        };
        match self {
            Error::Http { status, .. } => status_verdict(*status),
            Error::TooLarge { status, .. } => Verdict {
                temporary: false,
                ..status_verdict(*status)
            },
            Error::Decode { .. } => verdict(Sent::Sent, Acted::Yes, false),
            Error::Timeout { sent, .. } | Error::Connect { sent, .. } => {
                let outcome = if *sent == Sent::NotSent {
                    Outcome::ConnectFailed
                } else {
                    Outcome::TimedOut
                };
                Verdict {
                    retry: RetryDecision::Fail,
                    ..classify(&outcome, false)
                }
            }
            Error::RateLimited { sent, .. } => verdict(*sent, Acted::No, true),
            Error::Auth { sent, .. } | Error::Refused { sent, .. } => {
                verdict(*sent, Acted::No, false)
            }
            Error::Protocol { sent, .. } => verdict(*sent, acted_if_sent(*sent), false),
            Error::Io { sent, .. } => verdict(*sent, acted_if_sent(*sent), false),
            Error::Validation(_) | Error::Config { .. } => verdict(Sent::NotSent, Acted::No, false),
        }
    }

    /// True when the server broke the HTTP, upload or download protocol
    /// (an invalid or oversized answer, an impossible `Range`, a `308` that
    /// claims bytes never sent): trying again will most likely fail the
    /// same way, so report it to the service rather than retry.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Error::Protocol { .. })
    }

    /// Whether the request may have reached the server.
    pub fn sent(&self) -> Sent {
        self.verdict().sent
    }

    /// True for failures worth trying again later: the network, timeouts,
    /// rate limits, 5xx answers and broken transfers. Refusals (4xx, bad
    /// input, limits, local files) are permanent, and so are protocol
    /// violations ([`Error::Protocol`]): a server that breaks the protocol
    /// breaks it again, so [`Error::is_server_fault`] is true for them.
    pub fn is_temporary(&self) -> bool {
        self.verdict().temporary
    }

    /// True when the server may have acted on the request (created a job,
    /// charged a credit): check its state before sending a request that is
    /// not idempotent again. False after a refusal (4xx, 429) or when the
    /// request was not sent.
    pub fn may_have_acted(&self) -> bool {
        self.verdict().acted != Acted::No
    }

    /// True unless the request certainly never left the client. A caller
    /// must check the server's state before re-sending a non-idempotent
    /// request when this is true.
    pub fn may_have_reached_server(&self) -> bool {
        self.sent() != Sent::NotSent
    }

    /// The HTTP status, for errors that carry one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } | Error::TooLarge { status, .. } => Some(*status),
            Error::RateLimited {
                sent: Sent::Sent, ..
            } => Some(429),
            _ => None,
        }
    }

    /// The server's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Http { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// How long to wait before trying again, when the server said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error, sent: Sent) -> Error {
        Error::Io {
            context: context.into(),
            source,
            sent,
        }
    }
}

/// What [`Sent`] means for `request` ("METHOD target"): a request that only
/// reads may be sent again whatever reached the server.
fn sent_note(request: &str, sent: Sent) -> String {
    let reads_only = request.starts_with("GET ") || request.starts_with("HEAD ");
    match sent {
        Sent::MaybeSent if reads_only => {
            "the request may have reached the server, but it only reads, so sending it again is \
             safe"
                .to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_timed_out_is_not_described_as_possibly_charged() {
        let login = Error::Timeout {
            request: "GET /session/auth".into(),
            after: Duration::from_secs(30),
            sent: Sent::MaybeSent,
            cause: None,
        };
        let text = login.to_string();
        assert!(
            text.contains("only reads, so sending it again is safe"),
            "{text}"
        );
        assert!(!text.contains("check its effect"), "{text}");
        let process = Error::Timeout {
            request: "POST /process".into(),
            after: Duration::from_secs(30),
            sent: Sent::MaybeSent,
            cause: None,
        };
        assert!(
            process
                .to_string()
                .contains("check its effect before re-sending")
        );
    }

    #[test]
    fn every_message_is_one_line_and_says_whether_it_was_sent() {
        let errors = [
            Error::Http {
                request: "POST /process".into(),
                status: 503,
                body: String::new(),
                request_id: Some("r-1".into()),
            },
            Error::Timeout {
                request: "POST /process".into(),
                after: Duration::from_millis(1500),
                sent: Sent::MaybeSent,
                cause: None,
            },
            Error::Connect {
                request: "POST /process".into(),
                message: "connection refused".into(),
                sent: Sent::NotSent,
                cause: None,
            },
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(!text.contains('\n'), "{text}");
        }
        assert_eq!(
            errors[0].to_string(),
            "POST /process returned HTTP 503 (request id r-1): (empty body)"
        );
        assert!(errors[0].may_have_reached_server());
        assert!(
            errors[1]
                .to_string()
                .contains("may have reached the server")
        );
        assert!(errors[1].to_string().contains("1.5s"));
        assert_eq!(errors[2].sent(), Sent::NotSent);
        assert!(!errors[2].may_have_reached_server());
        assert!(errors[2].to_string().contains("safe to retry"));
    }
}

/// The lower-level error behind a transport error (the HTTP stack's, with
/// the URL removed), kept as its [`source`](std::error::Error::source) so
/// that the whole chain can be walked and logged. Cheap to clone.
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// Wraps an error; give one whose text holds no secret (a URL's query,
    /// a credential).
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(Arc::new(error))
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
