//! How long to wait between attempts, and the shared retry budget. Which
//! failures are retried is decided by [`crate::classify`].

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use rand::Rng;

use crate::config::{RetryBudget, RetryPolicy};

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

/// The longest wait a `Retry-After` header can ask for; longer values are
/// cut to it, so that no arithmetic on a server's number can overflow.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses `Retry-After` as delay-seconds or as an HTTP date. A date in the
/// past means "now" (zero); anything longer than [`MAX_RETRY_AFTER`] is cut
/// to it.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let date = httpdate::parse_http_date(value).ok()?;
        date.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
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
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(MAX_RETRY_AFTER)
        );
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
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_refills_on_the_runtimes_clock() {
        let refilling = Budget::new(RetryBudget {
            capacity: 2,
            refill_per_second: 0.5,
        });
        assert!(refilling.try_withdraw());
        assert!(refilling.try_withdraw());
        assert!(!refilling.try_withdraw(), "spent");
        tokio::time::advance(Duration::from_millis(1900)).await;
        assert!(!refilling.try_withdraw(), "0.95 of a token after 1.9 s");
        tokio::time::advance(Duration::from_millis(2100)).await;
        assert!(refilling.try_withdraw(), "one token back");
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(refilling.try_withdraw());
        assert!(refilling.try_withdraw());
        assert!(!refilling.try_withdraw(), "never above its capacity");
    }
}
