//! Plain configuration data: timeouts, retry policy and rate limit.
//!
//! All three hold no secrets, so their derived `Debug` is safe to print.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::limits::MinRate;

/// Layered timeouts.
///
/// API calls use `connect`, `attempt` and `total`. Uploads and downloads can
/// legitimately take hours, so their body transfers are bounded by
/// `transfer_stall` (no byte moved for that long), `transfer_min_rate`
/// (too slow for too long) and the optional `transfer_deadline` instead of
/// `attempt` and `total`; their small control requests still use `attempt`.
/// Every duration is added with overflow checks: `Duration::MAX` means
/// "practically never".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Opening a TCP connection, TLS handshake included.
    pub connect: Duration,
    /// One attempt of an API call: sending, waiting for and reading the
    /// response.
    pub attempt: Duration,
    /// One API call across all attempts, backoff sleeps, rate-limit waits
    /// and re-authentication.
    pub total: Duration,
    /// Longest time a transfer, or the body of any answer, may go without
    /// moving a byte (the idle timeout).
    pub transfer_stall: Duration,
    /// The slowest a transfer may be (default 1 KiB/s over 60 s); `None`
    /// disables the rule.
    pub transfer_min_rate: Option<MinRate>,
    /// Longest a whole download may take, resumes included (default: no
    /// limit).
    pub transfer_deadline: Option<Duration>,
}

impl Timeouts {
    /// Sets the `connect` field.
    pub fn connect(mut self, connect: Duration) -> Self {
        self.connect = connect;
        self
    }

    /// Sets the `attempt` field.
    pub fn attempt(mut self, attempt: Duration) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the `total` field.
    pub fn total(mut self, total: Duration) -> Self {
        self.total = total;
        self
    }

    /// Sets the `transfer_stall` field.
    pub fn transfer_stall(mut self, transfer_stall: Duration) -> Self {
        self.transfer_stall = transfer_stall;
        self
    }

    /// Sets the `transfer_min_rate` field.
    pub fn transfer_min_rate(mut self, transfer_min_rate: Option<MinRate>) -> Self {
        self.transfer_min_rate = transfer_min_rate;
        self
    }

    /// Sets the `transfer_deadline` field.
    pub fn transfer_deadline(mut self, transfer_deadline: Option<Duration>) -> Self {
        self.transfer_deadline = transfer_deadline;
        self
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            attempt: Duration::from_secs(30),
            total: Duration::from_secs(120),
            transfer_stall: Duration::from_secs(60),
            transfer_min_rate: Some(MinRate::default()),
            transfer_deadline: None,
        }
    }
}

/// When and how often to retry.
///
/// Only idempotent requests are retried, and only after transient failures
/// (see [`status_verdict`](crate::status_verdict)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per call, the first one included. `1` disables retries.
    pub max_attempts: u32,
    /// Ceiling of the first backoff; doubles with every retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
    /// Longest `Retry-After` the transport waits for; a longer one ends
    /// the call with the server's error instead.
    pub max_retry_after: Duration,
    /// Retry budget shared by every clone of the transport.
    pub budget: RetryBudget,
}

impl RetryPolicy {
    /// Sets the `max_attempts` field.
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the `base_delay` field.
    pub fn base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the `max_delay` field.
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Sets the `max_retry_after` field.
    pub fn max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// Sets the `budget` field.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = budget;
        self
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
            budget: RetryBudget::default(),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

/// A token bucket for retries: every retry takes one token; tokens come
/// back at `refill_per_second` up to `capacity`. During an outage the
/// clients stop retrying once the bucket is empty instead of multiplying
/// the load on the server.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryBudget {
    /// Most retries that can happen in a burst.
    pub capacity: u32,
    /// Retries regained per second.
    pub refill_per_second: f64,
}

impl RetryBudget {
    /// Sets the `capacity` field.
    pub fn capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets the `refill_per_second` field.
    pub fn refill_per_second(mut self, refill_per_second: f64) -> Self {
        self.refill_per_second = refill_per_second;
        self
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            capacity: 20,
            refill_per_second: 1.0,
        }
    }
}

/// Client-side rate limit (GCRA) and the pause after a 429, both shared by
/// every clone of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Sustained rate; `None` sends as fast as callers ask.
    pub requests_per_second: Option<NonZeroU32>,
    /// Requests that may go out back to back before the rate applies.
    pub burst: NonZeroU32,
    /// How long the whole client pauses after a 429 without `Retry-After`.
    pub pause_on_429: Duration,
    /// The longest pause a 429 can impose, whatever its `Retry-After` says:
    /// a server's number is bounded before it is obeyed, stored in a shared
    /// rate-limit file or sent to Redis. Default 5 minutes (DeepMotion's
    /// document states no block length; this is our bound);
    /// [`RateLimit::motiondynamic`] uses the documented one minute.
    pub max_pause: Duration,
}

impl RateLimit {
    /// Sets the `requests_per_second` field.
    pub fn requests_per_second(mut self, requests_per_second: Option<NonZeroU32>) -> Self {
        self.requests_per_second = requests_per_second;
        self
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            requests_per_second: None,
            burst: NonZeroU32::MIN,
            pause_on_429: Duration::from_secs(60),
            max_pause: Duration::from_secs(300),
        }
    }
}

impl RateLimit {
    /// No client-side limit; a 429 still pauses the client.
    pub fn unlimited() -> Self {
        RateLimit::default()
    }

    /// `rate` requests per second with a burst of the same size. A zero
    /// rate is treated as one.
    pub fn per_second(rate: u32) -> Self {
        let rate = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
        RateLimit {
            requests_per_second: Some(rate),
            burst: rate,
            ..RateLimit::default()
        }
    }

    /// MotionDynamic's published limit: 5 requests per second per IP; a
    /// blocked client waits one minute.
    pub fn motiondynamic() -> Self {
        RateLimit::per_second(5)
            .burst(5)
            .pause_on_429(Duration::from_secs(60))
            .max_pause(Duration::from_secs(60))
    }

    /// Sets the burst size. A zero burst is treated as one.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// Sets the pause after a 429 that carries no `Retry-After`.
    pub fn pause_on_429(mut self, pause: Duration) -> Self {
        self.pause_on_429 = pause;
        self
    }

    /// Sets the longest pause a 429 can impose (see [`RateLimit::max_pause`]).
    pub fn max_pause(mut self, pause: Duration) -> Self {
        self.max_pause = pause;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motiondynamic_preset_matches_the_published_limit() {
        let limit = RateLimit::motiondynamic();
        assert_eq!(limit.requests_per_second.map(NonZeroU32::get), Some(5));
        assert_eq!(limit.burst.get(), 5);
        assert_eq!(limit.pause_on_429, Duration::from_secs(60));
        assert_eq!(limit.max_pause, Duration::from_secs(60));
    }

    #[test]
    fn zero_rates_are_clamped_to_one() {
        let limit = RateLimit::per_second(0).burst(0);
        assert_eq!(limit.requests_per_second.map(NonZeroU32::get), Some(1));
        assert_eq!(limit.burst.get(), 1);
    }
}
