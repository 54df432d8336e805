//! The GCRA arithmetic shared backends apply to their stored state, in
//! microseconds on one clock (the wall clock for the machine-wide file;
//! Redis runs the same rules in Lua on its own clock).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::RateLimit;

/// Longest pause a shared backend stores; a longer `Retry-After`, or a
/// stored pause that a wall-clock jump pushed further, counts as this.
pub(crate) const MAX_SHARED_PAUSE: Duration = Duration::from_secs(3600);

/// The GCRA's parameters in microseconds: one request per `interval`, and
/// up to `tolerance / interval + 1` back to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) interval_us: u64,
    pub(crate) tolerance_us: u64,
}

impl Cell {
    /// A cell that admits everything: only the shared pause applies.
    pub(crate) const PAUSE_ONLY: Cell = Cell {
        interval_us: 0,
        tolerance_us: 0,
    };

    pub(crate) fn of(limit: &RateLimit) -> Option<Cell> {
        let rate = u64::from(limit.requests_per_second?.get());
        let interval_us = 1_000_000u64.div_ceil(rate).max(1);
        let burst = u64::from(limit.burst.get());
        Some(Cell {
            interval_us,
            tolerance_us: interval_us.saturating_mul(burst.saturating_sub(1)),
        })
    }
}

/// A shared backend's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Send now; the request was counted.
    Go,
    /// Ask again after this long (paused, or no room yet); nothing was
    /// counted.
    Wait(Duration),
}

/// The state a shared backend keeps, in microseconds since the Unix epoch
/// (the file backend; Redis keeps the same two values as keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct State {
    pub(crate) tat_us: u64,
    pub(crate) paused_until_us: u64,
}

impl State {
    /// Decides one request at `now`, updating the state when it may go.
    /// Values beyond what any sequence of requests could produce (a wall
    /// clock that jumped back) are clamped, so no member waits longer than
    /// one burst, or than [`MAX_SHARED_PAUSE`].
    pub(crate) fn admit(&mut self, now_us: u64, cell: Cell) -> Admission {
        let max_pause = now_us.saturating_add(micros(MAX_SHARED_PAUSE));
        self.paused_until_us = self.paused_until_us.min(max_pause);
        if self.paused_until_us > now_us {
            return Admission::Wait(Duration::from_micros(self.paused_until_us - now_us));
        }
        let ceiling = now_us
            .saturating_add(cell.tolerance_us)
            .saturating_add(cell.interval_us);
        let tat = self.tat_us.clamp(now_us, ceiling);
        let ahead = tat - now_us;
        if ahead > cell.tolerance_us {
            self.tat_us = tat;
            return Admission::Wait(Duration::from_micros(ahead - cell.tolerance_us));
        }
        self.tat_us = tat.saturating_add(cell.interval_us);
        Admission::Go
    }

    /// Extends the pause to `now + pause`; never shortens a longer one.
    pub(crate) fn pause(&mut self, now_us: u64, pause: Duration) {
        let until = now_us.saturating_add(micros(pause.min(MAX_SHARED_PAUSE)));
        self.paused_until_us = self.paused_until_us.max(until);
    }
}

pub(crate) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Microseconds since the Unix epoch by the wall clock, the one clock
/// processes on a machine share.
pub(crate) fn wall_clock_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CELL: Cell = Cell {
        interval_us: 200_000,
        tolerance_us: 600_000,
    };

    #[test]
    fn burst_then_one_per_interval() {
        let mut state = State::default();
        let now = 1_000_000_000;
        for _ in 0..4 {
            assert_eq!(state.admit(now, CELL), Admission::Go);
        }
        assert_eq!(
            state.admit(now, CELL),
            Admission::Wait(Duration::from_millis(200))
        );
        assert_eq!(state.admit(now + 200_000, CELL), Admission::Go);
        assert_eq!(
            state.admit(now + 250_000, CELL),
            Admission::Wait(Duration::from_millis(150))
        );
    }

    #[test]
    fn pause_blocks_and_never_shrinks_and_clock_jumps_are_clamped() {
        let mut state = State::default();
        let now = 5_000_000_000;
        state.pause(now, Duration::from_secs(60));
        state.pause(now, Duration::from_secs(1));
        assert_eq!(
            state.admit(now + 10_000_000, CELL),
            Admission::Wait(Duration::from_secs(50))
        );
        assert_eq!(state.admit(now + 60_000_000, CELL), Admission::Go);
        // A state written under a clock far ahead does not block for long.
        let mut future = State {
            tat_us: now + 86_400_000_000,
            paused_until_us: now + 86_400_000_000,
        };
        assert_eq!(future.admit(now, CELL), Admission::Wait(MAX_SHARED_PAUSE));
        future.paused_until_us = 0;
        assert_eq!(
            future.admit(now, CELL),
            Admission::Wait(Duration::from_millis(200))
        );
    }

    #[test]
    fn cells_follow_the_limit() {
        let cell = Cell::of(&RateLimit::motiondynamic().burst(4)).unwrap();
        assert_eq!(cell, CELL);
        assert!(Cell::of(&RateLimit::unlimited()).is_none());
        let mut state = State::default();
        for _ in 0..1000 {
            assert_eq!(state.admit(7, Cell::PAUSE_ONLY), Admission::Go);
        }
    }
}
