//! Caps on what a server can make the client hold or wait for.
//!
//! Nothing a server sends may exhaust memory or hang a call: bodies read
//! into memory have a cap ([`Limits`]), and transfers must keep a minimum
//! rate ([`MinRate`]). The defaults are listed in ARCHITECTURE.md
//! ("Limits").

use std::time::Duration;

/// Size limits on what the client reads from servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest success body of an API call read into memory (default
    /// 16 MiB). A larger answer ends the call with
    /// [`Error::TooLarge`](crate::Error::TooLarge).
    pub response_bytes: u64,
    /// Bytes of an error body kept for the message (default 64 KiB); the
    /// rest is not read.
    pub error_body_bytes: u64,
    /// Largest file a download may write (default 64 GiB). A larger
    /// announced or received size ends it with
    /// [`Error::TooLarge`](crate::Error::TooLarge).
    pub download_bytes: u64,
}

impl Limits {
    /// Sets the `response_bytes` field.
    pub fn response_bytes(mut self, response_bytes: u64) -> Self {
        self.response_bytes = response_bytes;
        self
    }

    /// Sets the `error_body_bytes` field.
    pub fn error_body_bytes(mut self, error_body_bytes: u64) -> Self {
        self.error_body_bytes = error_body_bytes;
        self
    }

    /// Sets the `download_bytes` field.
    pub fn download_bytes(mut self, download_bytes: u64) -> Self {
        self.download_bytes = download_bytes;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            response_bytes: 16 * 1024 * 1024,
            error_body_bytes: 64 * 1024,
            download_bytes: 64 * 1024 * 1024 * 1024,
        }
    }
}

/// The slowest a transfer may be, in the style of curl's
/// `--speed-limit`/`--speed-time`: fewer than `bytes_per_second` on
/// average over `window` ends the attempt as a timeout (temporary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MinRate {
    /// Average rate below which the transfer is abandoned.
    pub bytes_per_second: u64,
    /// How long the rate may stay below the limit.
    pub window: Duration,
}

impl MinRate {
    /// Sets the `bytes_per_second` field.
    pub fn bytes_per_second(mut self, bytes_per_second: u64) -> Self {
        self.bytes_per_second = bytes_per_second;
        self
    }

    /// Sets the `window` field.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }
}

impl Default for MinRate {
    /// 1 KiB/s over 60 s.
    fn default() -> Self {
        MinRate {
            bytes_per_second: 1024,
            window: Duration::from_secs(60),
        }
    }
}

/// Watches a transfer's byte count against a [`MinRate`].
#[derive(Debug)]
pub(crate) struct RateWatch {
    rate: Option<MinRate>,
    window_start: tokio::time::Instant,
    bytes_at_start: u64,
}

impl RateWatch {
    pub(crate) fn new(rate: Option<MinRate>, bytes: u64) -> Self {
        RateWatch {
            rate,
            window_start: tokio::time::Instant::now(),
            bytes_at_start: bytes,
        }
    }

    /// False once a whole window has passed below the rate. Called with the
    /// running byte count as the transfer goes, and on a timer.
    pub(crate) fn keeps_pace(&mut self, bytes: u64) -> bool {
        let Some(rate) = self.rate else {
            return true;
        };
        let elapsed = self.window_start.elapsed();
        if elapsed < rate.window {
            return true;
        }
        let moved = bytes.saturating_sub(self.bytes_at_start);
        let needed = u128::from(rate.bytes_per_second).saturating_mul(elapsed.as_millis()) / 1000;
        if u128::from(moved) < needed {
            return false;
        }
        self.window_start = tokio::time::Instant::now();
        self.bytes_at_start = bytes;
        true
    }

    /// The next moment the rate must be judged, if any.
    pub(crate) fn next_check(&self) -> Option<tokio::time::Instant> {
        self.rate.map(|rate| self.window_start + rate.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_trickle_falls_behind_and_a_steady_flow_does_not() {
        let rate = MinRate {
            bytes_per_second: 100,
            window: Duration::from_secs(10),
        };
        let mut trickle = RateWatch::new(Some(rate), 0);
        let mut steady = RateWatch::new(Some(rate), 0);
        for second in 1..10u64 {
            tokio::time::advance(Duration::from_secs(1)).await;
            assert!(trickle.keeps_pace(second), "within the first window");
            assert!(steady.keeps_pace(second * 150));
        }
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert!(!trickle.keeps_pace(11));
        assert!(steady.keeps_pace(1600));
        let mut unlimited = RateWatch::new(None, 0);
        tokio::time::advance(Duration::from_secs(1000)).await;
        assert!(unlimited.keeps_pace(0));
        assert_eq!(unlimited.next_check(), None);
    }
}
