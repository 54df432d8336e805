//! One request as the attempt loop sees it ([`Call`]), and what an attempt
//! that got no answer ended with ([`Failure`]).

use std::time::Duration;

use motionkit_models::{AuthKind, Method};
use reqwest::header::HeaderMap;
use url::Url;

use crate::body::Body;
use crate::classify::Outcome;
use crate::error::{Error, Sent};
use crate::guard::{Origin, find_blocked};
use crate::redact::{redact_parsed, redact_url};

/// How an exchange is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timing {
    /// `Timeouts::attempt` per attempt and `Timeouts::total` per call.
    Api,
    /// `Timeouts::transfer_stall`: fails only when no byte moves.
    Transfer,
}

impl Timing {
    pub(crate) fn for_body(body: &Body) -> Timing {
        match body.len() {
            Some(len) if len <= 1024 * 1024 => Timing::Api,
            _ => Timing::Transfer,
        }
    }
}

/// One request, ready to be attempted as often as the rules allow.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: reqwest::Method,
    pub(crate) url: Url,
    /// Method and path template, or method and redacted URL: what logs
    /// and errors show.
    pub(crate) label: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    pub(crate) auth: AuthKind,
    pub(crate) idempotent: bool,
    /// Subject to the client's rate limit and 429 pause (API calls only).
    pub(crate) gated: bool,
    pub(crate) timing: Timing,
    /// Who chose the URL, for absolute URLs; `None` for the API base.
    pub(crate) origin: Option<Origin>,
    /// Keep only this many bytes of a success body (a file header).
    pub(crate) head_only: Option<u64>,
}

impl Call {
    /// A call to an absolute URL (signed storage URL): no auth, no gate.
    pub(crate) fn absolute(method: Method, url: Url, headers: HeaderMap, body: Body) -> Call {
        let label = format!("{method} {}", redact_parsed(&url));
        let timing = Timing::for_body(&body);
        Call {
            method: to_reqwest_method(method),
            url,
            label,
            headers,
            body,
            auth: AuthKind::None,
            idempotent: matches!(method, Method::Get | Method::Put | Method::Delete),
            gated: false,
            timing,
            origin: Some(Origin::Server),
            head_only: None,
        }
    }
}

/// An attempt that got no HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) outcome: Outcome,
    pub(crate) message: String,
    pub(crate) sent: Sent,
    pub(crate) elapsed: Duration,
    /// The HTTP stack's error, without its URL.
    pub(crate) cause: Option<crate::error::Cause>,
}

impl Failure {
    pub(crate) fn from_reqwest(
        error: reqwest::Error,
        elapsed: Duration,
        after_headers: bool,
    ) -> Failure {
        let error = error.without_url();
        let message = error_chain(&error);
        let refused = error.is_builder()
            || error.is_redirect()
            || find_blocked(&error).is_some()
            || error
                .url()
                .is_some_and(|u| !matches!(u.scheme(), "http" | "https"));
        let (outcome, sent) = if refused {
            let sent = if error.is_redirect() || after_headers {
                Sent::Sent
            } else {
                Sent::NotSent
            };
            (Outcome::Refused, sent)
        } else if is_malformed_answer(&message) {
            (Outcome::Malformed, Sent::Sent)
        } else if after_headers {
            (Outcome::ConnectionLost, Sent::Sent)
        } else if error.is_connect() {
            (Outcome::ConnectFailed, Sent::NotSent)
        } else if error.is_timeout() {
            (Outcome::TimedOut, Sent::MaybeSent)
        } else {
            (Outcome::ConnectionLost, Sent::MaybeSent)
        };
        Failure {
            outcome,
            message,
            sent,
            elapsed,
            cause: Some(crate::error::Cause::new(error)),
        }
    }

    pub(crate) fn timed_out(elapsed: Duration) -> Failure {
        Failure {
            outcome: Outcome::TimedOut,
            message: "timed out".to_owned(),
            sent: Sent::MaybeSent,
            elapsed,
            cause: None,
        }
    }

    pub(crate) fn into_error(self, request: &str) -> Error {
        match self.outcome {
            Outcome::Refused => Error::Refused {
                request: request.to_owned(),
                message: self.message,
                sent: self.sent,
            },
            Outcome::TimedOut => Error::Timeout {
                request: request.to_owned(),
                after: self.elapsed,
                sent: self.sent,
                cause: self.cause,
            },
            Outcome::Malformed => Error::Protocol {
                request: request.to_owned(),
                message: format!("the server's answer is not valid HTTP ({})", self.message),
                sent: self.sent,
            },
            _ => Error::Connect {
                request: request.to_owned(),
                message: self.message,
                sent: self.sent,
                cause: self.cause,
            },
        }
    }
}

/// True when the HTTP stack's error says the answer itself was broken: a
/// head over the size limit or one that does not parse (hyper's parse
/// errors), as opposed to a connection that failed.
fn is_malformed_answer(chain: &str) -> bool {
    const SIGNS: [&str; 5] = [
        "message head is too large",
        "invalid HTTP",
        "invalid content-length",
        "unexpected transfer-encoding",
        "invalid URI",
    ];
    SIGNS.iter().any(|sign| chain.contains(sign))
}

/// An error and its sources on one line, with any URL redacted.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts
        .join(": ")
        .split_whitespace()
        .map(|word| {
            if word.contains("://") {
                redact_url(word.trim_matches(|c| matches!(c, '(' | ')' | '"' | '\'')))
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn to_reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

pub(crate) fn parse_absolute(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|e| Error::Refused {
        request: redact_url(url),
        message: format!("refused: not an absolute http(s) URL ({e})"),
        sent: Sent::NotSent,
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Refused {
            request: redact_parsed(&parsed),
            message: "refused: not an http(s) URL; only http and https links are followed"
                .to_owned(),
            sent: Sent::NotSent,
        });
    }
    Ok(parsed)
}
