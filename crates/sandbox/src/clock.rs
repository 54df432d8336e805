//! A clock that runs `--time-scale` times faster than real time.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Simulated time since the sandbox started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    started: Instant,
    scale: f64,
}

impl Clock {
    /// A clock running `scale` simulated seconds per real second.
    pub(crate) fn new(scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Clock {
            started: Instant::now(),
            scale,
        }
    }

    /// Simulated seconds since start.
    pub(crate) fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.scale
    }

    /// Real time that `simulated` seconds take.
    pub(crate) fn real(&self, simulated: f64) -> Duration {
        Duration::from_secs_f64((simulated / self.scale).max(0.0))
    }

    /// Milliseconds since the Unix epoch, real time.
    pub(crate) fn epoch_millis() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_converts_between_real_and_simulated_time() {
        let clock = Clock::new(60.0);
        assert_eq!(clock.real(60.0), Duration::from_secs(1));
        assert_eq!(Clock::new(f64::NAN).real(2.0), Duration::from_secs(2));
        assert!(Clock::new(0.0).now() < 1.0);
    }
}
