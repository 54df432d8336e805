//! Which webhook deliveries were already acted on.
//!
//! Both services retry deliveries (MotionDynamic every 5 s for an hour
//! until it sees a 200), and behind a load balancer the retries can land
//! on different receiver processes. A [`DedupeStore`] answers "is this the
//! first time?" once per key across everything that shares it:
//!
//! - [`DedupeStore::in_memory`] (the default): this process, bounded by a
//!   TTL and a number of keys (the oldest are forgotten first);
//! - `DedupeStore::redis` (cargo feature `redis`): `SET key 1 NX EX ttl` in
//!   Redis, shared by every replica. The default TTL, two hours, outlasts
//!   MotionDynamic's one-hour retry window.
//!
//! Keys are hashed (SHA-256) before they are stored, so a hostile key of
//! any length costs the same few bytes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

#[cfg(feature = "redis")]
use crate::error::Error;

/// The store could not answer (Redis unreachable). A receiver answers 503
/// so that the sender delivers again later, rather than act twice or not
/// at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the deduplication store is unavailable: {0}")]
pub struct DedupeUnavailable(pub String);

/// Which webhook deliveries were already acted on: "is this the first
/// time?" answered once per key across everything that shares the store,
/// in this process ([`DedupeStore::in_memory`], bounded by a TTL and a
/// number of keys) or in Redis (`DedupeStore::redis`, cargo feature
/// `redis`, `SET key 1 NX EX ttl`). Keys are hashed (SHA-256) before they
/// are stored. Cheap to clone; clones share the same keys.
#[derive(Clone, Debug)]
pub struct DedupeStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Memory {
        ttl: Duration,
        capacity: usize,
        keys: Mutex<Memory>,
    },
    #[cfg(feature = "redis")]
    Redis {
        ttl: Duration,
        conn: Box<crate::redis_store::Connection>,
    },
}

#[derive(Debug, Default)]
struct Memory {
    expires: HashMap<[u8; 32], Instant>,
    /// Keys in insertion order, which is also expiry order (one TTL).
    order: VecDeque<([u8; 32], Instant)>,
}

impl Default for DedupeStore {
    fn default() -> Self {
        DedupeStore::in_memory()
    }
}

impl DedupeStore {
    /// How long a key is remembered by default: two hours, longer than
    /// MotionDynamic's one-hour retry window.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(2 * 3600);

    /// How many keys the in-memory store keeps by default.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// This process only, [`DEFAULT_TTL`](Self::DEFAULT_TTL) and
    /// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY).
    pub fn in_memory() -> Self {
        Self::in_memory_with(Self::DEFAULT_TTL, Self::DEFAULT_CAPACITY)
    }

    /// This process only, keys kept for `ttl` and at most `capacity` of
    /// them (at least one); when full, the oldest key is forgotten.
    pub fn in_memory_with(ttl: Duration, capacity: usize) -> Self {
        DedupeStore {
            inner: Arc::new(Inner::Memory {
                ttl,
                capacity: capacity.max(1),
                keys: Mutex::new(Memory::default()),
            }),
        }
    }

    /// Shared through the Redis server at `url`, keys kept for
    /// [`DEFAULT_TTL`](Self::DEFAULT_TTL). The URL is checked now; the
    /// server is contacted on first use.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis(url: &str) -> Result<Self, Error> {
        Self::redis_with_ttl(url, Self::DEFAULT_TTL)
    }

    /// Like [`DedupeStore::redis`] with a TTL of your own (whole seconds,
    /// at least one).
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis_with_ttl(url: &str, ttl: Duration) -> Result<Self, Error> {
        Ok(DedupeStore {
            inner: Arc::new(Inner::Redis {
                ttl,
                conn: Box::new(crate::redis_store::Connection::open(url)?),
            }),
        })
    }

    /// How long keys are remembered.
    pub fn ttl(&self) -> Duration {
        match &*self.inner {
            Inner::Memory { ttl, .. } => *ttl,
            #[cfg(feature = "redis")]
            Inner::Redis { ttl, .. } => *ttl,
        }
    }

    /// True when other processes see the same keys.
    pub fn is_shared(&self) -> bool {
        !matches!(&*self.inner, Inner::Memory { .. })
    }

    /// Records `key`. `Ok(true)` the first time within the TTL, across
    /// every holder of the store; `Ok(false)` afterwards.
    pub async fn first_seen(&self, key: &str) -> Result<bool, DedupeUnavailable> {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        match &*self.inner {
            Inner::Memory {
                ttl,
                capacity,
                keys,
            } => {
                let mut keys = keys.lock().unwrap_or_else(|p| p.into_inner());
                Ok(keys.insert(hash, Instant::now(), *ttl, *capacity))
            }
            #[cfg(feature = "redis")]
            Inner::Redis { ttl, conn } => {
                let key = format!("motionkit:dedupe:{}", hex(&hash));
                crate::redis_store::set_once(conn, &key, *ttl)
                    .await
                    .map_err(DedupeUnavailable)
            }
        }
    }

    /// Keys held in memory now (0 for Redis).
    pub fn len(&self) -> usize {
        match &*self.inner {
            Inner::Memory { keys, .. } => keys.lock().map_or(0, |k| k.expires.len()),
            #[cfg(feature = "redis")]
            Inner::Redis { .. } => 0,
        }
    }

    /// True when [`len`](Self::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Memory {
    fn insert(&mut self, key: [u8; 32], now: Instant, ttl: Duration, capacity: usize) -> bool {
        if self.expires.get(&key).is_some_and(|expires| *expires > now) {
            return false;
        }
        while let Some((old, expires)) = self.order.front().copied() {
            if expires > now && self.order.len() < capacity {
                break;
            }
            self.order.pop_front();
            if self.expires.get(&old) == Some(&expires) {
                self.expires.remove(&old);
            }
        }
        let expires = now.checked_add(ttl).unwrap_or(now);
        self.expires.insert(key, expires);
        self.order.push_back((key, expires));
        true
    }
}

#[cfg(feature = "redis")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_first_once_until_it_expires() {
        let store = DedupeStore::in_memory_with(Duration::from_millis(100), 10);
        assert!(store.first_seen("a").await.unwrap());
        assert!(!store.first_seen("a").await.unwrap());
        assert!(store.clone().first_seen("b").await.unwrap());
        assert!(!store.first_seen("b").await.unwrap(), "clones share keys");
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(store.first_seen("a").await.unwrap(), "expired keys are new");
    }

    #[tokio::test]
    async fn the_size_limit_forgets_the_oldest_keys() {
        let store = DedupeStore::in_memory_with(Duration::from_secs(3600), 3);
        for key in ["k1", "k2", "k3", "k4", "k5"] {
            assert!(store.first_seen(key).await.unwrap());
        }
        assert_eq!(store.len(), 3);
        assert!(!store.first_seen("k5").await.unwrap());
        assert!(store.first_seen("k1").await.unwrap(), "k1 was forgotten");
        // Hostile keys of any size cost one hash each.
        let huge = "x".repeat(1 << 20);
        assert!(store.first_seen(&huge).await.unwrap());
        assert!(!store.first_seen(&huge).await.unwrap());
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn the_default_outlasts_the_one_hour_retry_window() {
        assert!(DedupeStore::default().ttl() > Duration::from_secs(3600));
        assert!(!DedupeStore::default().is_shared());
    }
}
