//! MotionDynamic's per-IP limit: `rate` requests per second; past that a
//! 429 and a block of `block` seconds during which every request gets 429.
//!
//! The document does not say how the limit is measured. The emulator uses a
//! token bucket holding `rate` tokens and refilled at `rate` per second, the
//! same shape as a client-side GCRA limiter with burst `rate`, and forgives
//! `JITTER` of arrival-time noise so that a client pacing itself exactly at
//! the limit is not punished for scheduling delays.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Arrival-time noise forgiven per request.
const JITTER: Duration = Duration::from_millis(30);

#[derive(Debug)]
struct Bucket {
    /// Theoretical arrival time of the next request (GCRA).
    tat: Instant,
    blocked_until: Option<Instant>,
}

/// The limiter's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Serve the request.
    Allow,
    /// Answer 429; the client may retry after this long.
    Block(Duration),
}

/// Per-IP limiter.
#[derive(Debug)]
pub(super) struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    block: Duration,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `rate` requests per second with burst `rate`; `block` after a breach.
    pub(super) fn new(rate: u32, block: Duration) -> Self {
        let rate = rate.max(1);
        let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
        RateLimiter {
            interval,
            tolerance: interval * (rate - 1) + JITTER,
            block,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Decides one request from `ip` arriving now.
    pub(super) fn check(&self, ip: IpAddr) -> Verdict {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Verdict {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Verdict::Allow;
        };
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tat: now,
            blocked_until: None,
        });
        if let Some(until) = bucket.blocked_until {
            if now < until {
                return Verdict::Block(until - now);
            }
            bucket.blocked_until = None;
            bucket.tat = now;
        }
        let tat = bucket.tat.max(now);
        if tat.saturating_duration_since(now) > self.tolerance {
            bucket.blocked_until = Some(now + self.block);
            return Verdict::Block(self.block);
        }
        bucket.tat = tat + self.interval;
        Verdict::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn burst_then_steady_rate_then_block() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.check_at(IP, start), Verdict::Allow);
        }
        assert_eq!(
            limiter.check_at(IP, start),
            Verdict::Block(Duration::from_secs(60))
        );
        let later = start + Duration::from_secs(30);
        assert_eq!(
            limiter.check_at(IP, later),
            Verdict::Block(Duration::from_secs(30))
        );
        let free = start + Duration::from_secs(61);
        assert_eq!(limiter.check_at(IP, free), Verdict::Allow);
    }

    #[test]
    fn pacing_at_the_rate_is_never_blocked() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.check_at(IP, start), Verdict::Allow, "burst {i}");
        }
        for i in 1..100u32 {
            // 200 ms apart, arriving up to 20 ms early.
            let at = start + Duration::from_millis(200) * i - Duration::from_millis(20);
            assert_eq!(limiter.check_at(IP, at), Verdict::Allow, "request {i}");
        }
    }
}
