//! Which failures are retried, how long to wait, and the shared retry
//! budget.
//!
//! The rule, in one place ([`classify`]):
//! - a connect failure is retried for every request, because nothing was
//!   sent;
//! - timeouts, lost connections and the statuses in [`TRANSIENT_STATUSES`]
//!   are retried only for idempotent requests;
//! - everything else (every other 4xx, 3xx, a 2xx) ends the call.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;

use crate::config::{RetryBudget, RetryPolicy};

/// Statuses that say "try again later": 408, 425, 429, 500, 502, 503, 504.
pub const TRANSIENT_STATUSES: [u16; 7] = [408, 425, 429, 500, 502, 503, 504];

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Whether `status` is in [`TRANSIENT_STATUSES`].
pub fn is_transient_status(status: u16) -> bool {
    TRANSIENT_STATUSES.contains(&status)
}

/// The retry rule. `idempotent` comes from the endpoint descriptor (or the
/// method, for absolute URLs).
pub fn classify(outcome: &Outcome, idempotent: bool) -> RetryDecision {
    match *outcome {
        Outcome::Response { status, .. } if (200..300).contains(&status) => RetryDecision::Done,
        Outcome::Response {
            status,
            retry_after,
        } if idempotent && is_transient_status(status) => {
            RetryDecision::Retry { after: retry_after }
        }
        Outcome::Response { .. } => RetryDecision::Fail,
        Outcome::ConnectFailed => RetryDecision::Retry { after: None },
        Outcome::TimedOut | Outcome::ConnectionLost if idempotent => {
            RetryDecision::Retry { after: None }
        }
        Outcome::TimedOut | Outcome::ConnectionLost => RetryDecision::Fail,
    }
}

/// Exponential backoff with full jitter: a uniformly random wait between
/// zero and `min(max_delay, base_delay * 2^(retry - 1))`. `retry` counts
/// from 1.
pub fn backoff_delay(policy: &RetryPolicy, retry: u32) -> Duration {
    let exponent = retry.saturating_sub(1).min(30);
    let ceiling = policy
        .base_delay
        .saturating_mul(1u32 << exponent)
        .min(policy.max_delay);
    let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::rng().random_range(0..=ceiling_micros))
}

/// Parses `Retry-After` as delay-seconds or as an HTTP date. A date in the
/// past means "now" (zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The runtime side of [`RetryBudget`]: one bucket shared by all clones.
#[derive(Debug)]
pub(crate) struct Budget {
    config: RetryBudget,
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    tokens: f64,
    refilled_at: Instant,
}

impl Budget {
    pub(crate) fn new(config: RetryBudget) -> Self {
        Budget {
            config,
            state: Mutex::new(BudgetState {
                tokens: f64::from(config.capacity),
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Takes one retry token; false when the budget is spent.
    pub(crate) fn try_withdraw(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let elapsed = now.duration_since(state.refilled_at).as_secs_f64();
        let refill = elapsed * self.config.refill_per_second.max(0.0);
        state.tokens = (state.tokens + refill).min(f64::from(self.config.capacity));
        state.refilled_at = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
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

    #[test]
    fn matrix() {
        for status in TRANSIENT_STATUSES {
            assert_eq!(
                classify(&response(status), true),
                RetryDecision::Retry { after: None }
            );
            assert_eq!(classify(&response(status), false), RetryDecision::Fail);
        }
        for status in [400, 401, 403, 404, 409, 422, 301, 308, 501] {
            assert_eq!(classify(&response(status), true), RetryDecision::Fail);
        }
        assert_eq!(classify(&response(204), false), RetryDecision::Done);
        assert_eq!(
            classify(&Outcome::ConnectFailed, false),
            RetryDecision::Retry { after: None }
        );
        for outcome in [Outcome::TimedOut, Outcome::ConnectionLost] {
            assert_eq!(
                classify(&outcome, true),
                RetryDecision::Retry { after: None }
            );
            assert_eq!(classify(&outcome, false), RetryDecision::Fail);
        }
        let with_after = Outcome::Response {
            status: 503,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            classify(&with_after, true),
            RetryDecision::Retry {
                after: Some(Duration::from_secs(3))
            }
        );
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(backoff_delay(&policy, 1) <= Duration::from_millis(100));
            assert!(backoff_delay(&policy, 2) <= Duration::from_millis(200));
            assert!(backoff_delay(&policy, 9) <= Duration::from_millis(350));
            assert!(backoff_delay(&policy, u32::MAX) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn budget_runs_out_and_refills() {
        let budget = Budget::new(RetryBudget {
            capacity: 2,
            refill_per_second: 0.0,
        });
        assert!(budget.try_withdraw());
        assert!(budget.try_withdraw());
        assert!(!budget.try_withdraw());
        let refilling = Budget::new(RetryBudget {
            capacity: 1,
            refill_per_second: 1000.0,
        });
        assert!(refilling.try_withdraw());
        std::thread::sleep(Duration::from_millis(5));
        assert!(refilling.try_withdraw());
    }
}
