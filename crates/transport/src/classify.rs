//! The one classifier: for every way a request can end, whether to retry
//! it, whether it reached the server, whether the server may have acted on
//! it, and whether trying again later may help.
//!
//! The transport's retry loop, [`Error::sent`], [`Error::is_temporary`],
//! [`Error::may_have_acted`], both service crates and the CLI's exit codes
//! all read their answers from [`classify`] and [`status_verdict`]; nothing
//! else decides these questions.
//!
//! | outcome                              | sent      | acted   | temporary | retried          |
//! |--------------------------------------|-----------|---------|-----------|------------------|
//! | 2xx                                  | sent      | yes     | no        | (done)           |
//! | 408, 425, 429                        | sent      | no      | yes       | idempotent only  |
//! | 500, 502, 503, 504, other 5xx        | sent      | maybe   | yes       | idempotent only  |
//! | 501, 505                             | sent      | no      | no        | no               |
//! | other 1xx/3xx/4xx                    | sent      | no      | no        | no               |
//! | connect failed (refused, DNS, TLS)   | not sent  | no      | yes       | always           |
//! | timed out, connection lost           | maybe     | maybe   | yes       | idempotent only  |
//! | refused locally (cannot be built, address not allowed) | not sent | no | no | no |
//! | malformed answer (oversized or invalid head) | sent | maybe | no  | no               |
//!
//! A malformed answer is a server fault: the same server answers the same
//! request the same way, so neither the transport nor the caller's "try
//! again later" can help. Protocol violations found while reading an
//! answer ([`crate::Error::Protocol`]: an impossible `Range`, a `308` that
//! claims bytes never sent) are judged the same way.
//!
//! "Acted" answers the question a caller asks before re-sending a request
//! that is not idempotent (`POST /process`, `POST /rest/generations`): may
//! the server have created something? A 4xx is a refusal, so nothing was
//! created; a 5xx or a lost answer leaves it open.

use std::fmt;
use std::time::Duration;

/// Whether a failed request may have reached the server.
///
/// The service layer uses this before re-submitting a non-idempotent call
/// (`POST /process`, `POST /rest/generations`): after [`Sent::NotSent`] it
/// may simply send again; after [`Sent::MaybeSent`] or [`Sent::Sent`] it must
/// first check whether the server acted on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sent {
    /// The request never left the client (connect failure, bad input,
    /// client-side rate limit): re-sending is safe.
    NotSent,
    /// The request may or may not have reached the server (timeout or
    /// connection lost after sending started).
    MaybeSent,
    /// The server received the request and answered.
    Sent,
}

impl Sent {
    fn hint(self) -> &'static str {
        match self {
            Sent::NotSent => "the request was not sent; it is safe to retry",
            Sent::MaybeSent => {
                "the request may have reached the server; check its effect before re-sending"
            }
            Sent::Sent => "the request reached the server",
        }
    }
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hint())
    }
}

/// What one attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The server answered.
    Response {
        /// HTTP status.
        status: u16,
        /// The parsed `Retry-After` header, if any.
        retry_after: Option<Duration>,
    },
    /// No connection could be opened: the request was not sent.
    ConnectFailed,
    /// The attempt ran out of time; the request may have been sent.
    TimedOut,
    /// The connection broke after sending started (reset, closed early).
    ConnectionLost,
    /// The client refused the request itself: it could not be built (a URL
    /// too long, a scheme that is not http(s)) or its address is not
    /// allowed.
    Refused,
    /// The server's answer broke HTTP itself: a head larger than the
    /// client accepts, or one that does not parse.
    Malformed,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// A success: hand the response to the caller.
    Done,
    /// A transient failure of a request that is safe to send again; wait
    /// `after` (the server's `Retry-After`) or a backoff when `None`.
    Retry {
        /// The server's `Retry-After`, if it sent one.
        after: Option<Duration>,
    },
    /// A failure that must not be retried.
    Fail,
}

/// Whether the server may have acted on a request (created a job, charged
/// a credit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acted {
    /// Certainly not: the request was not sent, or the server refused it.
    No,
    /// Unknown: check the server's state before sending it again.
    Maybe,
    /// Yes: the server answered with a success.
    Yes,
}

/// The full judgement of one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Retry, stop with success, or stop with failure.
    pub retry: RetryDecision,
    /// Whether the request reached the server.
    pub sent: Sent,
    /// Whether the server may have acted on it.
    pub acted: Acted,
    /// Whether the same request may succeed later.
    pub temporary: bool,
}

/// The statuses that are retried for idempotent requests: 408, 425, 429,
/// 500, 502, 503, 504. Other 5xx answers are temporary too (see
/// [`status_verdict`]) but are not retried within a call.
pub const TRANSIENT_STATUSES: [u16; 7] = [408, 425, 429, 500, 502, 503, 504];

/// Whether `status` is in [`TRANSIENT_STATUSES`].
pub fn is_transient_status(status: u16) -> bool {
    TRANSIENT_STATUSES.contains(&status)
}

/// The judgement of an answer with `status`, without retry advice.
pub fn status_verdict(status: u16) -> Verdict {
    let (acted, temporary) = match status {
        200..=299 => (Acted::Yes, false),
        408 | 425 | 429 => (Acted::No, true),
        501 | 505 => (Acted::No, false),
        500..=599 => (Acted::Maybe, true),
        _ => (Acted::No, false),
    };
    Verdict {
        retry: RetryDecision::Fail,
        sent: Sent::Sent,
        acted,
        temporary,
    }
}

/// The rule. `idempotent` comes from the endpoint descriptor (or the
/// method, for absolute URLs).
pub fn classify(outcome: &Outcome, idempotent: bool) -> Verdict {
    let retry_if = |ok: bool| {
        if ok {
            RetryDecision::Retry { after: None }
        } else {
            RetryDecision::Fail
        }
    };
    match *outcome {
        Outcome::Response {
            status,
            retry_after,
        } => {
            let mut verdict = status_verdict(status);
            verdict.retry = if (200..300).contains(&status) {
                RetryDecision::Done
            } else if idempotent && is_transient_status(status) {
                RetryDecision::Retry { after: retry_after }
            } else {
                RetryDecision::Fail
            };
            verdict
        }
        Outcome::ConnectFailed => Verdict {
            retry: retry_if(true),
            sent: Sent::NotSent,
            acted: Acted::No,
            temporary: true,
        },
        Outcome::TimedOut | Outcome::ConnectionLost => Verdict {
            retry: retry_if(idempotent),
            sent: Sent::MaybeSent,
            acted: Acted::Maybe,
            temporary: true,
        },
        Outcome::Refused => Verdict {
            retry: RetryDecision::Fail,
            sent: Sent::NotSent,
            acted: Acted::No,
            temporary: false,
        },
        Outcome::Malformed => Verdict {
            retry: RetryDecision::Fail,
            sent: Sent::Sent,
            acted: Acted::Maybe,
            temporary: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> Outcome {
        Outcome::Response {
            status,
            retry_after: None,
        }
    }

    const RETRY: RetryDecision = RetryDecision::Retry { after: None };
    const FAIL: RetryDecision = RetryDecision::Fail;

    /// One row per kind of outcome: (outcome, retried when idempotent,
    /// retried otherwise, sent, acted, temporary).
    #[test]
    fn the_table() {
        use Acted::{Maybe, No, Yes};
        use Sent::{MaybeSent, NotSent};
        let rows: Vec<(Outcome, RetryDecision, RetryDecision, Sent, Acted, bool)> = vec![
            (
                response(200),
                RetryDecision::Done,
                RetryDecision::Done,
                Sent::Sent,
                Yes,
                false,
            ),
            (
                response(201),
                RetryDecision::Done,
                RetryDecision::Done,
                Sent::Sent,
                Yes,
                false,
            ),
            (
                response(204),
                RetryDecision::Done,
                RetryDecision::Done,
                Sent::Sent,
                Yes,
                false,
            ),
            (response(301), FAIL, FAIL, Sent::Sent, No, false),
            (response(308), FAIL, FAIL, Sent::Sent, No, false),
            (response(400), FAIL, FAIL, Sent::Sent, No, false),
            (response(401), FAIL, FAIL, Sent::Sent, No, false),
            (response(403), FAIL, FAIL, Sent::Sent, No, false),
            (response(404), FAIL, FAIL, Sent::Sent, No, false),
            (response(408), RETRY, FAIL, Sent::Sent, No, true),
            (response(409), FAIL, FAIL, Sent::Sent, No, false),
            (response(413), FAIL, FAIL, Sent::Sent, No, false),
            (response(414), FAIL, FAIL, Sent::Sent, No, false),
            (response(422), FAIL, FAIL, Sent::Sent, No, false),
            (response(425), RETRY, FAIL, Sent::Sent, No, true),
            (response(429), RETRY, FAIL, Sent::Sent, No, true),
            (response(500), RETRY, FAIL, Sent::Sent, Maybe, true),
            (response(501), FAIL, FAIL, Sent::Sent, No, false),
            (response(502), RETRY, FAIL, Sent::Sent, Maybe, true),
            (response(503), RETRY, FAIL, Sent::Sent, Maybe, true),
            (response(504), RETRY, FAIL, Sent::Sent, Maybe, true),
            (response(505), FAIL, FAIL, Sent::Sent, No, false),
            (response(507), FAIL, FAIL, Sent::Sent, Maybe, true),
            (response(520), FAIL, FAIL, Sent::Sent, Maybe, true),
            (response(599), FAIL, FAIL, Sent::Sent, Maybe, true),
            (Outcome::ConnectFailed, RETRY, RETRY, NotSent, No, true),
            (Outcome::TimedOut, RETRY, FAIL, MaybeSent, Maybe, true),
            (Outcome::ConnectionLost, RETRY, FAIL, MaybeSent, Maybe, true),
            (Outcome::Refused, FAIL, FAIL, NotSent, No, false),
            (Outcome::Malformed, FAIL, FAIL, Sent::Sent, Maybe, false),
        ];
        for (outcome, idempotent_retry, other_retry, sent, acted, temporary) in rows {
            let verdict = classify(&outcome, true);
            assert_eq!(verdict.retry, idempotent_retry, "{outcome:?} idempotent");
            assert_eq!(verdict.sent, sent, "{outcome:?}");
            assert_eq!(verdict.acted, acted, "{outcome:?}");
            assert_eq!(verdict.temporary, temporary, "{outcome:?}");
            let verdict = classify(&outcome, false);
            assert_eq!(verdict.retry, other_retry, "{outcome:?} not idempotent");
            assert_eq!(verdict.sent, sent, "{outcome:?}");
        }
    }

    #[test]
    fn retry_after_is_passed_on() {
        let with_after = Outcome::Response {
            status: 503,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            classify(&with_after, true).retry,
            RetryDecision::Retry {
                after: Some(Duration::from_secs(3))
            }
        );
    }

    #[test]
    fn every_status_has_one_consistent_answer() {
        for status in 100..=599u16 {
            let verdict = status_verdict(status);
            assert_eq!(verdict.sent, Sent::Sent);
            if is_transient_status(status) {
                assert!(verdict.temporary, "{status}");
            }
            if verdict.acted == Acted::Maybe {
                assert!((500..600).contains(&status), "{status}");
            }
        }
    }
}
