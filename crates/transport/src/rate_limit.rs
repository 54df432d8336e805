//! The client-side gate every API request passes: a pause after a 429, then
//! a GCRA rate limit. Both are shared by every clone of the transport.

use std::sync::Mutex;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use crate::config::RateLimit;

/// Why the gate refused to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WouldPassDeadline {
    /// How long the caller would have had to wait.
    pub(crate) wait: Duration,
}

#[derive(Debug)]
pub(crate) struct Gate {
    gcra: Option<DefaultDirectRateLimiter>,
    paused_until: Mutex<Option<Instant>>,
    pub(crate) pause_on_429: Duration,
}

impl Gate {
    pub(crate) fn new(config: RateLimit) -> Self {
        let gcra = config
            .requests_per_second
            .map(|rate| RateLimiter::direct(Quota::per_second(rate).allow_burst(config.burst)));
        Gate {
            gcra,
            paused_until: Mutex::new(None),
            pause_on_429: config.pause_on_429,
        }
    }

    /// Pauses every request for `pause` from now. Never shortens a pause
    /// that is already longer.
    pub(crate) fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        *self.paused_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may go out, or fails at once when that would be
    /// after `deadline`.
    pub(crate) async fn wait(&self, deadline: Option<Instant>) -> Result<(), WouldPassDeadline> {
        loop {
            let now = Instant::now();
            if let Some(until) = self.paused_until().filter(|until| *until > now) {
                if deadline.is_some_and(|d| until > d) {
                    return Err(WouldPassDeadline { wait: until - now });
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            let Some(gcra) = &self.gcra else {
                return Ok(());
            };
            match gcra.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(gcra.clock().now());
                    if deadline.is_some_and(|d| now + wait > d) {
                        return Err(WouldPassDeadline { wait });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pause_blocks_until_it_ends_and_respects_deadlines() {
        let gate = Gate::new(RateLimit::unlimited());
        gate.pause(Duration::from_millis(150));
        let started = Instant::now();
        let refused = gate
            .wait(Some(started + Duration::from_millis(50)))
            .await
            .unwrap_err();
        assert!(refused.wait > Duration::from_millis(90));
        gate.wait(None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(140));
        // A shorter pause does not shorten a longer one.
        gate.pause(Duration::from_millis(200));
        gate.pause(Duration::from_millis(1));
        let started = Instant::now();
        gate.wait(None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(190));
    }
}
