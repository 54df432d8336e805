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
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

#[cfg(feature = "redis")]
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::config::RateLimit;
use crate::error::Error;
use crate::gcra::{Admission, Cell};
use crate::rate_limit_file::FileBackend;

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
/// shared store cannot be used (Redis down, a file lock held by a stopped
/// process past [`RATE_LIMIT_FILE_LOCK_WAIT`](crate::RATE_LIMIT_FILE_LOCK_WAIT)), the
/// client logs one warning and applies its [`StoreFallback`]; it never
/// sends faster than its own limit.
#[derive(Clone, Default)]
pub struct RateLimitStore {
    kind: Kind,
    fallback: StoreFallback,
}

/// What a client does while its shared rate-limit store cannot be used.
///
/// The default is [`StoreFallback::Share`] with 4 workers: a store is
/// shared because several processes send from one address, and while it is
/// down none of them knows how many the others are. Each sending a quarter
/// of the rate keeps four of them within the limit (MotionDynamic blocks
/// the whole address for a minute when it is passed), at the cost of a
/// lone process running slower only while the store is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreFallback {
    /// Send at the rate divided by `workers` (and within the client's own
    /// limit) until the store is back.
    Share {
        /// How many processes are expected to share the address.
        workers: NonZeroU32,
    },
    /// Send nothing until the store is back: calls fail at once with
    /// [`Error::RateLimited`] (not sent, temporary).
    FailClosed,
}

impl Default for StoreFallback {
    fn default() -> Self {
        StoreFallback::Share {
            workers: NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN),
        }
    }
}

impl StoreFallback {
    /// [`StoreFallback::Share`] among `workers` processes (0 is taken as 1:
    /// the client's whole limit).
    pub fn share(workers: u32) -> Self {
        StoreFallback::Share {
            workers: NonZeroU32::new(workers).unwrap_or(NonZeroU32::MIN),
        }
    }
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
            Kind::Redis(url) => write!(
                f,
                "RateLimitStore::Redis({})",
                crate::redis_store::redact_redis_url(url)
            ),
        }
    }
}

impl RateLimitStore {
    /// State in this process only.
    pub fn process() -> Self {
        RateLimitStore {
            kind: Kind::Process,
            fallback: StoreFallback::default(),
        }
    }

    /// Sets what the client does while the store cannot be used (default
    /// [`StoreFallback::Share`] among 4).
    pub fn on_failure(mut self, fallback: StoreFallback) -> Self {
        self.fallback = fallback;
        self
    }

    pub(crate) fn fallback(&self) -> StoreFallback {
        self.fallback
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
            fallback: StoreFallback::default(),
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
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis(url: impl Into<String>) -> Self {
        RateLimitStore {
            kind: Kind::Redis(SecretString::from(url.into())),
            fallback: StoreFallback::default(),
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

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_redis_passwords() {
        let store = RateLimitStore::redis("redis://:hunter2@h:1/0");
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redis://h:1/0"), "{shown}");
    }
}
