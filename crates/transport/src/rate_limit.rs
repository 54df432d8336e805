//! The client-side gate every API request passes: a pause after a 429, then
//! a GCRA rate limit. Both are shared by every clone of the transport, and,
//! with a shared [`RateLimitStore`], by every process that uses the same
//! store (see `rate_limit_store.rs`).
//!
//! With a shared store a request first takes a slot in the shared state,
//! then passes the local limiter as well, so the client never sends faster
//! than its own limit, whether the shared state works or not. When the
//! shared state cannot be reached the gate logs one warning, uses the local
//! limiter alone, and tries the shared state again on later requests.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;
use url::Url;

use crate::config::RateLimit;
use crate::error::Error;
use crate::gcra::Admission;
use crate::rate_limit_store::{RateLimitStore, SharedBackend, StoreFallback};

/// Shortest sleep between two asks of the shared state.
const MIN_SHARED_WAIT: Duration = Duration::from_millis(1);

/// After the shared state failed, how long requests go straight to the
/// fallback before the state is asked again (a held file lock costs its
/// whole wait on every ask).
const SHARED_RETRY_AFTER: Duration = Duration::from_secs(5);

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
    /// The longest pause a 429 imposes, and the longest wait the shared
    /// state can ask for.
    max_pause: Duration,
    shared: Option<SharedBackend>,
    /// What to do while the shared state cannot be used.
    fallback: StoreFallback,
    /// The limiter used on top of the local one while the shared state
    /// cannot be used ([`StoreFallback::Share`]): this process's share of
    /// the rate.
    share: Option<DefaultDirectRateLimiter>,
    /// The shared state failed and has not worked since.
    degraded: AtomicBool,
    /// When the shared state last failed.
    failed_at: Mutex<Option<Instant>>,
}

impl Gate {
    #[cfg(test)]
    pub(crate) fn new(config: RateLimit) -> Self {
        Self::local(config, None)
    }

    /// The gate of the API at `base_url`, its state kept in `store`.
    pub(crate) fn with_store(
        config: RateLimit,
        store: &RateLimitStore,
        base_url: &Url,
    ) -> Result<Self, Error> {
        let mut gate = Self::local(config, store.open(base_url, &config)?);
        gate.fallback = store.fallback();
        if let (StoreFallback::Share { workers }, Some(rate)) =
            (gate.fallback, config.requests_per_second)
        {
            // One `workers`-th of the rate, one request at a time.
            let period = Duration::from_secs_f64(f64::from(workers.get()) / f64::from(rate.get()));
            gate.share = Quota::with_period(period).map(RateLimiter::direct);
        }
        Ok(gate)
    }

    fn local(config: RateLimit, shared: Option<SharedBackend>) -> Self {
        let gcra = config
            .requests_per_second
            .map(|rate| RateLimiter::direct(Quota::per_second(rate).allow_burst(config.burst)));
        Gate {
            gcra,
            paused_until: Mutex::new(None),
            pause_on_429: config.pause_on_429.min(config.max_pause),
            max_pause: config.max_pause,
            shared,
            fallback: StoreFallback::default(),
            share: None,
            degraded: AtomicBool::new(false),
            failed_at: Mutex::new(None),
        }
    }

    /// A server's `Retry-After` (or the default pause), bounded by the
    /// configured maximum.
    pub(crate) fn bounded_pause(&self, retry_after: Option<Duration>) -> Duration {
        retry_after.unwrap_or(self.pause_on_429).min(self.max_pause)
    }

    /// Pauses every request for `pause` (bounded) from now, in this process
    /// and in the shared state. Never shortens a pause that is already
    /// longer.
    pub(crate) async fn pause(&self, pause: Duration) {
        let pause = pause.min(self.max_pause);
        // A pause too long to represent lasts as long as representable.
        let until = crate::instant::instant_after(Instant::now(), pause);
        {
            let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            if paused.is_none_or(|current| current < until) {
                *paused = Some(until);
            }
        }
        if let Some(shared) = &self.shared {
            match shared.pause(pause).await {
                Ok(()) => self.shared_works(shared),
                Err(e) => self.shared_failed(shared, &e),
            }
        }
    }

    fn shared_failed(&self, shared: &SharedBackend, error: &str) {
        *self.failed_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                store = %shared.describe(),
                error = %error,
                "shared rate limit unavailable: this process uses its fallback (its share of the rate, or none) until it is back"
            );
        }
    }

    fn shared_works(&self, shared: &SharedBackend) {
        *self.failed_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if self.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!(store = %shared.describe(), "shared rate limit available again");
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        *self.paused_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may go out, or fails at once when that would be
    /// after `deadline`.
    pub(crate) async fn wait(&self, deadline: Option<Instant>) -> Result<(), WouldPassDeadline> {
        if let Some(shared) = &self.shared {
            let recently_failed = self
                .failed_at
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some_and(|at| at.elapsed() < SHARED_RETRY_AFTER);
            if recently_failed || !self.wait_shared(shared, deadline).await? {
                match self.fallback {
                    StoreFallback::FailClosed => {
                        return Err(WouldPassDeadline {
                            wait: Duration::from_secs(1),
                        });
                    }
                    StoreFallback::Share { .. } => {
                        if let Some(share) = &self.share {
                            wait_gcra(share, deadline).await?;
                        }
                    }
                }
            }
        }
        self.wait_local(deadline).await
    }

    /// Takes a slot in the shared state, honouring the local and shared
    /// pauses. Returns at once with `false` when the shared state is
    /// unavailable.
    async fn wait_shared(
        &self,
        shared: &SharedBackend,
        deadline: Option<Instant>,
    ) -> Result<bool, WouldPassDeadline> {
        loop {
            let now = Instant::now();
            if let Some(until) = self.paused_until().filter(|until| *until > now) {
                if deadline.is_some_and(|d| until > d) {
                    return Err(WouldPassDeadline { wait: until - now });
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            match shared.acquire().await {
                Ok(Admission::Go) => {
                    self.shared_works(shared);
                    return Ok(true);
                }
                Ok(Admission::Wait(wait)) => {
                    self.shared_works(shared);
                    // A state written by another program (or an older
                    // motionkit) cannot pause this one past the bound.
                    let wait = wait.min(self.max_pause).max(MIN_SHARED_WAIT);
                    let now = Instant::now();
                    if deadline.is_some_and(|d| crate::instant::instant_after(now, wait) > d) {
                        return Err(WouldPassDeadline { wait });
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    self.shared_failed(shared, &e);
                    return Ok(false);
                }
            }
        }
    }

    async fn wait_local(&self, deadline: Option<Instant>) -> Result<(), WouldPassDeadline> {
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
                    if deadline.is_some_and(|d| crate::instant::instant_after(now, wait) > d) {
                        return Err(WouldPassDeadline { wait });
                    }
                    // Then the pause is checked again: a 429 may have come.
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Waits for a slot of `gcra`, or fails at once when that would be after
/// `deadline`.
async fn wait_gcra(
    gcra: &DefaultDirectRateLimiter,
    deadline: Option<Instant>,
) -> Result<(), WouldPassDeadline> {
    loop {
        match gcra.check() {
            Ok(()) => return Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(gcra.clock().now());
                let now = Instant::now();
                if deadline.is_some_and(|d| crate::instant::instant_after(now, wait) > d) {
                    return Err(WouldPassDeadline { wait });
                }
                tokio::time::sleep(wait).await;
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
        gate.pause(Duration::from_millis(150)).await;
        let started = Instant::now();
        let refused = gate
            .wait(Some(started + Duration::from_millis(50)))
            .await
            .unwrap_err();
        assert!(refused.wait > Duration::from_millis(90));
        gate.wait(None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(140));
        // A shorter pause does not shorten a longer one.
        gate.pause(Duration::from_millis(200)).await;
        gate.pause(Duration::from_millis(1)).await;
        let started = Instant::now();
        gate.wait(None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(190));
    }

    fn shared_gate(dir: &std::path::Path, rate: u32, burst: u32) -> Gate {
        let url = Url::parse("http://127.0.0.1:9").unwrap();
        let limit = RateLimit::per_second(rate).burst(burst);
        Gate::with_store(limit, &RateLimitStore::machine_wide_in(dir), &url).unwrap()
    }

    #[tokio::test]
    async fn gates_on_one_machine_wide_store_share_the_rate_and_the_pause() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            shared_gate(dir.path(), 20, 2),
            shared_gate(dir.path(), 20, 2),
        );
        let started = Instant::now();
        // 2 at once, then 20/s between both gates: 12 requests take 0.5 s.
        for i in 0..12 {
            let gate = if i % 2 == 0 { &a } else { &b };
            gate.wait(None).await.unwrap();
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(480), "{elapsed:?}");
        // Each gate alone would have let its 6 through in 0.2 s.
        tokio::time::sleep(Duration::from_millis(100)).await;
        a.pause(Duration::from_millis(300)).await;
        let started = Instant::now();
        b.wait(None).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "the pause is shared"
        );
    }

    #[tokio::test]
    async fn an_unusable_store_falls_back_to_the_local_limit() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-folder");
        std::fs::write(&blocker, "").unwrap();
        let gate = shared_gate(&blocker, 20, 2);
        let started = Instant::now();
        for _ in 0..6 {
            gate.wait(None).await.unwrap();
        }
        // Burst 2, then 20/s: never faster than the local limit.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(190), "{elapsed:?}");
        assert!(gate.degraded.load(Ordering::Relaxed));
    }
}
