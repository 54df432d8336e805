//! Which webhook deliveries were already acted on.
//!
//! Both services retry deliveries (MotionDynamic every 5 s for an hour
//! until it sees a 200), and behind a load balancer the retries can land
//! on different receiver processes. A [`DedupeStore`] lets one of them
//! claim a delivery, hand it over, then confirm it ([`DedupeStore::claim`],
//! [`DedupeStore::confirm`]); a claim that is neither confirmed nor
//! released (the process died between the two) lapses after its lease,
//! so a later delivery is acted on rather than lost. The store is shared
//! by everything that holds it:
//!
//! - [`DedupeStore::in_memory`] (the default): this process, bounded by a
//!   TTL and a number of keys (the oldest are forgotten first);
//! - `DedupeStore::redis` (cargo feature `redis`): a claim is
//!   `SET key c:TOKEN PX lease` in one script that also reads what is there,
//!   a confirmation `SET key 1 EX ttl`; shared by every replica. The
//!   default TTL, two hours, outlasts MotionDynamic's one-hour retry
//!   window.
//!
//! Keys are hashed (SHA-256) before they are stored, so a hostile key of
//! any length costs the same few bytes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

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
    lease: Duration,
}

/// What [`DedupeStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The caller holds the delivery now: hand it over, then
    /// [`DedupeStore::confirm`] it, or [`DedupeStore::release`] it when it
    /// cannot be handed over. Left alone, the claim lapses after the
    /// store's lease.
    Fresh(ClaimToken),
    /// Handed over before, within the TTL.
    Done,
    /// Another holder of the store is handing it over now: answer 503 so
    /// that the sender tries again (then it is done, or the claim lapsed).
    Held,
}

/// A claim on one delivery, to confirm or release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken {
    hash: [u8; 32],
    value: String,
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
    /// Claims being handed over: their value and the end of their lease.
    claims: HashMap<[u8; 32], (String, Instant)>,
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

    /// How long a receiver waits for another receiver's hand-over of the
    /// same delivery before answering 503: 250 ms.
    pub const HAND_OVER_PATIENCE: Duration = Duration::from_millis(250);

    /// How long a claim holds by default before it lapses: 30 s, far
    /// longer than handing a delivery over takes, shorter than
    /// MotionDynamic's retries (every 5 s for an hour) last.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

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
            lease: Self::DEFAULT_LEASE,
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
            lease: Self::DEFAULT_LEASE,
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

    /// The same store with claims that lapse after `lease` (at least
    /// 1 ms; default [`DEFAULT_LEASE`](Self::DEFAULT_LEASE)).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// How long an unconfirmed claim holds.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Claims the delivery `key` for this caller, unless it was handed
    /// over before ([`Claim::Done`]) or another caller holds it now
    /// ([`Claim::Held`]).
    ///
    /// # Errors
    ///
    /// [`DedupeUnavailable`] when the shared store cannot be reached.
    pub async fn claim(&self, key: &str) -> Result<Claim, DedupeUnavailable> {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let value = format!("c:{}", claim_nonce());
        match &*self.inner {
            Inner::Memory { keys, .. } => {
                let mut keys = keys.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                if keys
                    .expires
                    .get(&hash)
                    .is_some_and(|expires| *expires > now)
                {
                    return Ok(Claim::Done);
                }
                if keys
                    .claims
                    .get(&hash)
                    .is_some_and(|(_, until)| *until > now)
                {
                    return Ok(Claim::Held);
                }
                keys.claims.retain(|_, (_, until)| *until > now);
                let until = now.checked_add(self.lease).unwrap_or(now);
                keys.claims.insert(hash, (value.clone(), until));
                Ok(Claim::Fresh(ClaimToken { hash, value }))
            }
            #[cfg(feature = "redis")]
            Inner::Redis { conn, .. } => {
                use crate::redis_store::Claimed;
                let found = crate::redis_store::claim(conn, &redis_key(&hash), &value, self.lease)
                    .await
                    .map_err(DedupeUnavailable)?;
                Ok(match found {
                    Claimed::Fresh => Claim::Fresh(ClaimToken { hash, value }),
                    Claimed::Done => Claim::Done,
                    Claimed::Held => Claim::Held,
                })
            }
        }
    }

    /// [`DedupeStore::claim`], waiting up to `patience` while another
    /// holder's claim runs (handing a delivery over takes milliseconds), so
    /// that a concurrent repeat usually finds [`Claim::Done`] rather than
    /// [`Claim::Held`].
    ///
    /// # Errors
    ///
    /// [`DedupeUnavailable`] when the shared store cannot be reached.
    pub async fn claim_within(
        &self,
        key: &str,
        patience: Duration,
    ) -> Result<Claim, DedupeUnavailable> {
        let until = tokio::time::Instant::now() + patience;
        loop {
            match self.claim(key).await? {
                Claim::Held if tokio::time::Instant::now() < until => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                found => return Ok(found),
            }
        }
    }

    /// Marks a claimed delivery as handed over: every later claim of its
    /// key within the TTL finds [`Claim::Done`].
    ///
    /// # Errors
    ///
    /// [`DedupeUnavailable`] when the shared store cannot be reached (the
    /// claim then lapses after its lease, and a later delivery is acted
    /// on again: at least once, never lost).
    pub async fn confirm(&self, claim: ClaimToken) -> Result<(), DedupeUnavailable> {
        match &*self.inner {
            Inner::Memory {
                ttl,
                capacity,
                keys,
            } => {
                let mut keys = keys.lock().unwrap_or_else(|p| p.into_inner());
                keys.claims.remove(&claim.hash);
                keys.insert(claim.hash, Instant::now(), *ttl, *capacity);
                Ok(())
            }
            #[cfg(feature = "redis")]
            Inner::Redis { ttl, conn } => {
                crate::redis_store::confirm(conn, &redis_key(&claim.hash), *ttl)
                    .await
                    .map_err(DedupeUnavailable)
            }
        }
    }

    /// Gives a claim up at once (the delivery could not be handed over),
    /// so that the sender's next delivery is acted on without waiting for
    /// the lease. Best effort: a claim that cannot be released lapses.
    pub async fn release(&self, claim: ClaimToken) {
        match &*self.inner {
            Inner::Memory { keys, .. } => {
                let mut keys = keys.lock().unwrap_or_else(|p| p.into_inner());
                if keys
                    .claims
                    .get(&claim.hash)
                    .is_some_and(|(value, _)| *value == claim.value)
                {
                    keys.claims.remove(&claim.hash);
                }
            }
            #[cfg(feature = "redis")]
            Inner::Redis { conn, .. } => {
                let key = redis_key(&claim.hash);
                if let Err(e) = crate::redis_store::release(conn, &key, &claim.value).await {
                    tracing::debug!(error = %e, "dedupe claim not released; it lapses");
                }
            }
        }
    }

    /// Claims and confirms `key` in one step. `Ok(true)` the first time
    /// within the TTL, across every holder of the store; `Ok(false)`
    /// afterwards, or while another holder's claim runs.
    ///
    /// # Errors
    ///
    /// [`DedupeUnavailable`] when the shared store cannot be reached.
    pub async fn first_seen(&self, key: &str) -> Result<bool, DedupeUnavailable> {
        match self.claim(key).await? {
            Claim::Fresh(token) => {
                self.confirm(token).await?;
                Ok(true)
            }
            _ => Ok(false),
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
fn redis_key(hash: &[u8; 32]) -> String {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("motionkit:dedupe:{hex}")
}

/// A random claim value, so that one caller never releases another's.
fn claim_nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
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

    #[tokio::test(start_paused = true)]
    async fn a_claim_is_held_until_confirmed_released_or_lapsed() {
        let store = DedupeStore::in_memory().with_lease(Duration::from_secs(30));
        let Claim::Fresh(first) = store.claim("k").await.unwrap() else {
            panic!("the first claim is fresh");
        };
        // Another replica's retry while it is handed over: try later.
        assert_eq!(store.clone().claim("k").await.unwrap(), Claim::Held);
        store.release(first).await;
        let Claim::Fresh(second) = store.claim("k").await.unwrap() else {
            panic!("a released claim can be taken again at once");
        };
        // A crash between claim and confirm: nothing confirms; the lease
        // lapses and the next delivery is acted on, not lost.
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(store.claim("k").await.unwrap(), Claim::Held, "still leased");
        tokio::time::advance(Duration::from_secs(2)).await;
        let Claim::Fresh(third) = store.claim("k").await.unwrap() else {
            panic!("a lapsed claim can be taken again");
        };
        // The stale holder cannot release the new holder's claim.
        store.release(second).await;
        assert_eq!(store.claim("k").await.unwrap(), Claim::Held);
        let waiting = store.clone();
        let repeat = tokio::spawn(async move {
            waiting
                .claim_within("k", Duration::from_secs(5))
                .await
                .unwrap()
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        store.confirm(third).await.unwrap();
        // A concurrent repeat waited for the hand-over and found it done.
        assert_eq!(repeat.await.unwrap(), Claim::Done);
        assert_eq!(store.claim("k").await.unwrap(), Claim::Done);
        assert!(!store.first_seen("k").await.unwrap());
    }

    #[test]
    fn the_default_outlasts_the_one_hour_retry_window() {
        assert!(DedupeStore::default().ttl() > Duration::from_secs(3600));
        assert!(!DedupeStore::default().is_shared());
    }
}
