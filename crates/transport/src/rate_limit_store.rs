//! Where the rate limiter keeps its state: in this process (the default),
//! in a lock-protected file shared by every process on the machine, or in
//! Redis, shared by a fleet.
//!
//! Shared backends hold the GCRA's theoretical arrival time (TAT) and the
//! pause after a 429, so that every member sends within one budget and a
//! 429 seen by one pauses all of them. The limiter still applies the
//! process's own limit on top (see `rate_limit.rs`), so a shared backend
//! can only make a client slower, never faster.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::config::RateLimit;
use crate::error::Error;
use crate::rate_limit_file::FileBackend;

/// Longest pause a shared backend stores; a longer `Retry-After`, or a
/// stored pause that a wall-clock jump pushed further, counts as this.
pub(crate) const MAX_SHARED_PAUSE: Duration = Duration::from_secs(3600);

/// Where the client-side rate limit and the 429 pause are kept.
///
/// MotionDynamic limits each IP address, so every process sending from one
/// address must share one budget:
///
/// - [`RateLimitStore::process`] (the library default): this process only;
/// - [`RateLimitStore::machine_wide`]: a small file under the user's cache
///   directory, locked with an OS advisory lock, so concurrent and
///   consecutive processes of this user on this machine share the budget. The OS
///   releases the lock when a holder dies, so a crash never blocks the
///   others;
/// - `RateLimitStore::redis` (cargo feature `redis`): one GCRA in Redis,
///   run as one atomic Lua script, shared by every host that uses the same
///   Redis, for example hosts behind one NAT.
///
/// The state is keyed by the API's origin (scheme, host and port). When a
/// shared store cannot be used, the client falls back to its own limiter
/// and logs one warning; it never sends faster than its own limit.
#[derive(Clone, Default)]
pub struct RateLimitStore {
    kind: Kind,
}

#[derive(Clone, Default)]
enum Kind {
    #[default]
    Process,
    Machine(PathBuf),
    #[cfg(feature = "redis")]
    Redis(SecretString),
}

impl fmt::Debug for RateLimitStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Process => f.write_str("RateLimitStore::Process"),
            Kind::Machine(dir) => write!(f, "RateLimitStore::MachineWide({})", dir.display()),
            #[cfg(feature = "redis")]
            Kind::Redis(url) => write!(f, "RateLimitStore::Redis({})", redact_redis_url(url)),
        }
    }
}

impl RateLimitStore {
    /// State in this process only.
    pub fn process() -> Self {
        RateLimitStore {
            kind: Kind::Process,
        }
    }

    /// State shared by every process of this user on this machine, in
    /// [`RateLimitStore::default_machine_dir`].
    pub fn machine_wide() -> Self {
        Self::machine_wide_in(Self::default_machine_dir())
    }

    /// State shared through files in `dir` (created when missing). Every
    /// process that can lock files there shares the budget.
    pub fn machine_wide_in(dir: impl Into<PathBuf>) -> Self {
        RateLimitStore {
            kind: Kind::Machine(dir.into()),
        }
    }

    /// `CACHE_DIR/motionkit/rate-limit` (Linux: `~/.cache/motionkit/rate-limit`),
    /// or a folder under the temporary directory when the platform has no
    /// cache directory.
    pub fn default_machine_dir() -> PathBuf {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("motionkit")
            .join("rate-limit")
    }

    /// State shared through the Redis server at `url`
    /// (`redis://[:password@]host[:port][/db]`). The URL is checked when the
    /// transport is built; the server is first contacted by the first
    /// request.
    #[cfg(feature = "redis")]
    pub fn redis(url: impl Into<String>) -> Self {
        RateLimitStore {
            kind: Kind::Redis(SecretString::from(url.into())),
        }
    }

    /// True for the default, in-process state.
    pub fn is_process(&self) -> bool {
        matches!(self.kind, Kind::Process)
    }

    /// The shared backend for the API at `base_url`, or `None` for the
    /// in-process store.
    pub(crate) fn open(
        &self,
        base_url: &Url,
        limit: &RateLimit,
    ) -> Result<Option<SharedBackend>, Error> {
        // Without a client-side rate, only the 429 pause is shared.
        let cell = Cell::of(limit).unwrap_or(Cell::PAUSE_ONLY);
        let origin = base_url.origin().ascii_serialization();
        match &self.kind {
            Kind::Process => Ok(None),
            Kind::Machine(dir) => Ok(Some(SharedBackend {
                cell,
                kind: Backend::File(FileBackend::new(dir, &origin)),
            })),
            #[cfg(feature = "redis")]
            Kind::Redis(url) => Ok(Some(SharedBackend {
                cell,
                kind: Backend::Redis(Box::new(crate::redis_store::RedisLimiter::new(
                    url.expose_secret(),
                    &origin,
                )?)),
            })),
        }
    }
}

/// `redis://user:password@host:6379/0` → `redis://host:6379/0`.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn redact_redis_url(url: &SecretString) -> String {
    match Url::parse(url.expose_secret()) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.to_string()
        }
        Err(_) => "[unparsable URL]".to_owned(),
    }
}

/// The GCRA's parameters in microseconds: one request per `interval`, and
/// up to `tolerance / interval + 1` back to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) interval_us: u64,
    pub(crate) tolerance_us: u64,
}

impl Cell {
    /// A cell that admits everything: only the shared pause applies.
    const PAUSE_ONLY: Cell = Cell {
        interval_us: 0,
        tolerance_us: 0,
    };

    fn of(limit: &RateLimit) -> Option<Cell> {
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

/// An opened shared backend for one API origin.
#[derive(Debug)]
pub(crate) struct SharedBackend {
    cell: Cell,
    kind: Backend,
}

#[derive(Debug)]
enum Backend {
    File(FileBackend),
    #[cfg(feature = "redis")]
    Redis(Box<crate::redis_store::RedisLimiter>),
}

impl SharedBackend {
    /// Asks for one request. `Err` carries why the backend cannot be used
    /// right now (the caller falls back to its own limiter).
    pub(crate) async fn acquire(&self) -> Result<Admission, String> {
        match &self.kind {
            Backend::File(file) => file.acquire(self.cell).await,
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.acquire(self.cell).await,
        }
    }

    /// Pauses every member for `pause`.
    pub(crate) async fn pause(&self, pause: Duration) -> Result<(), String> {
        match &self.kind {
            Backend::File(file) => file.pause(pause).await,
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.pause(pause).await,
        }
    }

    /// Where the state lives, for log lines (no secrets).
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Backend::File(file) => file.describe(),
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.describe(),
        }
    }
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

    #[test]
    fn debug_hides_redis_passwords() {
        let url = SecretString::from("redis://user:hunter2@cache.internal:6379/2?x=y".to_owned());
        let shown = redact_redis_url(&url);
        assert_eq!(shown, "redis://cache.internal:6379/2");
        #[cfg(feature = "redis")]
        {
            let store = RateLimitStore::redis("redis://:hunter2@h:1/0");
            assert!(!format!("{store:?}").contains("hunter2"));
        }
    }
}
