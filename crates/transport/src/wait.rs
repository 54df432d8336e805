//! How a wait for work on a server polls, and when it gives up: one
//! [`WaitOptions`] for both services' clients, and the interval arithmetic
//! both of their waits run on.
//!
//! The type has no `Default`: the two services' documents set different
//! time scales (an animation may take hours, a render minutes), and a
//! default borrowed from the wrong one would wait wrongly without a word.
//! Start from [`WaitOptions::deepmotion`], [`WaitOptions::motiondynamic`],
//! or a client's own `wait_options()`, and change what you need.

use std::time::Duration;

use motionkit_models::motiondynamic::{
    GENERATION_COLD_START_FIRST_MAX_SECONDS, GENERATION_USUAL_MAX_SECONDS,
    WEBHOOK_RETRY_INTERVAL_SECONDS,
};
use rand::Rng;

/// How a wait polls and when it gives up. The same fields and setters
/// serve both clients; where one service has no use for a field, its
/// documentation says so.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First interval between reads, and the interval again after
    /// anything moved.
    pub first_interval: Duration,
    /// Longest interval between reads.
    pub max_interval: Duration,
    /// Growth of the interval while nothing changes (at least 1).
    pub growth: f64,
    /// Share of the interval added or removed at random (0.2 = ±20%), so
    /// that many waiters do not poll in step.
    pub jitter: f64,
    /// Temporary failures of the read tolerated in a row; one more ends
    /// the wait with that failure. A wait that also listens for a webhook
    /// tolerates any number, since the webhook can still come.
    pub max_consecutive_failures: u32,
    /// While a webhook is expected, reads happen only this often, as a
    /// safety net. DeepMotion's waits listen for no webhook and do not use
    /// it.
    pub interval_with_webhook: Duration,
}

impl WaitOptions {
    /// DeepMotion's jobs: reads every 2 s at first, growing ×1.5 while
    /// nothing moves, up to 30 s (±20%); up to 3 hours; 5 failed status
    /// calls in a row end the wait. The defaults of
    /// `motionkit_deepmotion::Client`.
    pub fn deepmotion() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(3 * 3600),
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            growth: 1.5,
            jitter: 0.2,
            max_consecutive_failures: 5,
            interval_with_webhook: Duration::from_secs(60),
        }
    }

    /// MotionDynamic's renders, from its document:
    /// - up to 19 minutes: the worst case, a render from a cold start
    ///   (`GENERATION_COLD_START_FIRST_MAX_SECONDS`, 18 min), plus the usual
    ///   bound (`GENERATION_USUAL_MAX_SECONDS`, 1 min) for the delivery;
    /// - while the webhook is expected, a read-back every
    ///   `GENERATION_USUAL_MAX_SECONDS` (60 s);
    /// - when no webhook can come, a read-back every
    ///   `WEBHOOK_RETRY_INTERVAL_SECONDS` (5 s, ±20%), and 12 failed reads in
    ///   a row (a minute) end the wait.
    ///
    /// The defaults of `motionkit_motiondynamic::Client`.
    pub fn motiondynamic() -> Self {
        let every = Duration::from_secs(WEBHOOK_RETRY_INTERVAL_SECONDS);
        WaitOptions {
            timeout: Duration::from_secs(
                GENERATION_COLD_START_FIRST_MAX_SECONDS + GENERATION_USUAL_MAX_SECONDS,
            ),
            first_interval: every,
            max_interval: every,
            growth: 1.0,
            jitter: 0.2,
            max_consecutive_failures: 12,
            interval_with_webhook: Duration::from_secs(GENERATION_USUAL_MAX_SECONDS),
        }
    }

    /// Short intervals, for tests and local sandboxes (either service):
    /// 50 ms growing to 400 ms, 1 s while a webhook is expected, up to
    /// 2 minutes.
    pub fn fast() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(120),
            first_interval: Duration::from_millis(50),
            max_interval: Duration::from_millis(400),
            interval_with_webhook: Duration::from_secs(1),
            ..WaitOptions::deepmotion()
        }
    }

    /// Sets [`WaitOptions::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`WaitOptions::first_interval`].
    pub fn first_interval(mut self, first_interval: Duration) -> Self {
        self.first_interval = first_interval;
        self
    }

    /// Sets [`WaitOptions::max_interval`].
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// Sets [`WaitOptions::growth`].
    pub fn growth(mut self, growth: f64) -> Self {
        self.growth = growth;
        self
    }

    /// Sets [`WaitOptions::jitter`].
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets [`WaitOptions::max_consecutive_failures`].
    pub fn max_consecutive_failures(mut self, max_consecutive_failures: u32) -> Self {
        self.max_consecutive_failures = max_consecutive_failures;
        self
    }

    /// Sets [`WaitOptions::interval_with_webhook`].
    pub fn interval_with_webhook(mut self, interval_with_webhook: Duration) -> Self {
        self.interval_with_webhook = interval_with_webhook;
        self
    }

    /// Sets a fixed interval: `first_interval` and `max_interval` both
    /// (no growth).
    pub fn every(mut self, interval: Duration) -> Self {
        self.first_interval = interval;
        self.max_interval = interval;
        self
    }
}

/// The interval between the reads of one wait, as [`WaitOptions`] say: it
/// starts at `first_interval`, grows by `growth` while nothing moves, up
/// to `max_interval`, snaps back when something moves, and each wait is
/// jittered. Both clients' waits run on it; not for use outside them.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct PollInterval {
    options: WaitOptions,
    interval: Duration,
}

impl PollInterval {
    /// At the first interval.
    pub fn new(options: &WaitOptions) -> Self {
        PollInterval {
            options: *options,
            interval: floor(options.first_interval),
        }
    }

    /// Something moved: back to the first interval.
    pub fn moved(&mut self) {
        self.interval = floor(self.options.first_interval);
    }

    /// Nothing moved (or a read failed): the interval grows.
    pub fn unchanged(&mut self) {
        self.interval = grown(
            self.interval,
            self.options.growth,
            floor(self.options.max_interval),
        );
    }

    /// The current interval, unjittered.
    pub fn current(&self) -> Duration {
        self.interval
    }

    /// The wait before the next read: the current interval, jittered.
    pub fn next_wait(&self) -> Duration {
        jittered(self.interval, self.options.jitter)
    }
}

/// No interval below a millisecond: a zero would poll in a busy loop.
fn floor(interval: Duration) -> Duration {
    interval.max(Duration::from_millis(1))
}

/// `interval` with up to `jitter` (0–1) of it added or removed at random;
/// never panics, whatever the options say.
fn jittered(interval: Duration, jitter: f64) -> Duration {
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let factor = 1.0 + rand::rng().random_range(-jitter..=jitter);
    Duration::try_from_secs_f64(interval.as_secs_f64() * factor).unwrap_or(interval)
}

/// `interval` times `growth` (at least 1), at most `max`; never panics,
/// whatever the options say.
fn grown(interval: Duration, growth: f64, max: Duration) -> Duration {
    let growth = if growth.is_finite() {
        growth.max(1.0)
    } else {
        1.0
    };
    Duration::try_from_secs_f64(interval.as_secs_f64() * growth)
        .unwrap_or(max)
        .min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_grows_to_its_cap_and_snaps_back_when_something_moves() {
        let options = WaitOptions::deepmotion()
            .first_interval(Duration::from_secs(1))
            .max_interval(Duration::from_secs(4))
            .growth(2.0)
            .jitter(0.0);
        let mut poll = PollInterval::new(&options);
        let mut seen = vec![poll.next_wait()];
        for _ in 0..3 {
            poll.unchanged();
            seen.push(poll.next_wait());
        }
        assert_eq!(
            seen,
            [1, 2, 4, 4].map(Duration::from_secs).to_vec(),
            "grows ×2 up to the 4 s cap"
        );
        poll.moved();
        assert_eq!(poll.current(), Duration::from_secs(1));
    }

    #[test]
    fn nonsense_options_neither_panic_nor_spin() {
        let options = WaitOptions::fast()
            .first_interval(Duration::ZERO)
            .max_interval(Duration::ZERO)
            .growth(f64::NAN)
            .jitter(f64::INFINITY);
        let mut poll = PollInterval::new(&options);
        poll.unchanged();
        assert_eq!(poll.next_wait(), Duration::from_millis(1));
        let huge = WaitOptions::fast()
            .max_interval(Duration::MAX)
            .growth(f64::MAX);
        let mut poll = PollInterval::new(&huge);
        poll.unchanged();
        assert_eq!(poll.current(), Duration::MAX);
        let _ = jittered(Duration::MAX, 1.0);
    }

    #[test]
    fn jitter_stays_within_its_share() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(10), 0.2);
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
        assert_eq!(
            jittered(Duration::from_secs(3), 0.0),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn interval_arithmetic_never_panics() {
        let max = Duration::from_secs(30);
        for growth in [f64::INFINITY, f64::NAN, -1.0, 1e300, 2.0] {
            assert!(grown(Duration::MAX, growth, max) <= max);
            assert!(grown(Duration::from_secs(1), growth, max) <= max);
        }
        for jitter in [f64::NAN, f64::INFINITY, -5.0, 0.5] {
            let _ = jittered(Duration::MAX, jitter);
            assert!(jittered(Duration::from_secs(1), jitter) <= Duration::from_secs(2));
        }
    }

    #[test]
    fn the_motiondynamic_defaults_follow_its_document() {
        let options = WaitOptions::motiondynamic();
        assert_eq!(options.timeout, Duration::from_secs(19 * 60));
        assert_eq!(options.first_interval, Duration::from_secs(5));
        assert_eq!(options.max_interval, Duration::from_secs(5));
        assert_eq!(options.interval_with_webhook, Duration::from_secs(60));
        let every = WaitOptions::deepmotion().every(Duration::from_secs(7));
        assert_eq!(
            (every.first_interval, every.max_interval),
            (Duration::from_secs(7), Duration::from_secs(7))
        );
    }
}
