//! Redis, shared by a fleet (cargo feature `redis`): the GCRA as one atomic
//! Lua script with a shared 429 pause stored under a TTL, and `SET NX EX`
//! keys for webhook deduplication.
//!
//! Keys (`ORIGIN` is the API's scheme, host and port):
//!
//! | key | value | TTL |
//! |---|---|---|
//! | `motionkit:ratelimit:{ORIGIN}:tat` | theoretical arrival time, µs (Redis `TIME`) | until the bucket is full again, + 1 s |
//! | `motionkit:ratelimit:{ORIGIN}:pause` | `1` while every member pauses | the pause (`Retry-After`, or 60 s), at most `RateLimit::max_pause` |
//! | `motionkit:dedupe:SHA256` | `c:TOKEN` while one receiver hands a delivery over (its claim) | the claim's lease (default 30 s) |
//! | `motionkit:dedupe:SHA256` | `1` once a delivery was handed over | the store's TTL (default 2 h) |
//!
//! The braces make both rate-limit keys one Redis Cluster hash slot, as
//! one script needs. The clock is the Redis server's, so hosts whose
//! clocks disagree still share one schedule.
//!
//! Connections time out after 500 ms. After a failure the backend is not
//! tried again for one second, during which callers get an error at once
//! (the limiter then uses its local state).

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::error::Error;
use crate::gcra::{Admission, Cell, MAX_SHARED_PAUSE, micros};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// KEYS: tat, pause. ARGV: interval µs, tolerance µs.
/// Returns `{1, 0}` to go, `{0, wait µs}` to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return {0, paused * 1000}
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then
  tat = math.max(tonumber(stored) or now, now)
  tat = math.min(tat, now + tolerance + interval)
end
if tat - now > tolerance then
  return {0, tat - now - tolerance}
end
local new = tat + interval
local ttl_ms = math.floor((new - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', ttl_ms)
return {1, 0}
";

/// KEYS: pause. ARGV: pause ms. Extends the pause, never shortens it.
const PAUSE: &str = r"
local current = redis.call('PTTL', KEYS[1])
local wanted = tonumber(ARGV[1])
if current < wanted then
  redis.call('SET', KEYS[1], '1', 'PX', wanted)
end
return 1
";

/// `redis://user:password@host:6379/0` → `redis://host:6379/0`.
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

/// One lazily opened, shared connection that backs off after a failure.
pub(crate) struct Connection {
    client: redis::Client,
    shown: String,
    slot: Mutex<Option<MultiplexedConnection>>,
    connecting: tokio::sync::Mutex<()>,
    down_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Checks `url`; connects on first use. The error never repeats the
    /// URL, which may hold a password.
    pub(crate) fn open(url: &str) -> Result<Connection, Error> {
        let shown = redact_redis_url(&url.to_owned().into());
        let client = redis::Client::open(url)
            .map_err(|e| Error::config(format!("Redis URL {shown}: {}", e.category())))?;
        Ok(Connection {
            client,
            shown,
            slot: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            down_until: Mutex::new(None),
        })
    }

    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    async fn get(&self) -> Result<MultiplexedConnection, String> {
        let down = *self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = down.filter(|until| *until > Instant::now()) {
            let left = until - Instant::now();
            return Err(format!(
                "Redis at {} was unreachable; next try in {} ms",
                self.shown,
                left.as_millis()
            ));
        }
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        match self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => {
                *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => Err(self.failed(&e)),
        }
    }

    fn current(&self) -> Option<MultiplexedConnection> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Drops the connection and backs off; returns the message to report.
    fn failed(&self, error: &redis::RedisError) -> String {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + RETRY_AFTER_FAILURE);
        // Error texts name the failing operation, never the URL.
        format!("Redis at {}: {}", self.shown, error)
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        invoke: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let mut conn = self.get().await?;
        invoke(&mut conn).await.map_err(|e| self.failed(&e))
    }
}

/// The fleet-wide limiter of one API origin.
#[derive(Debug)]
pub(crate) struct RedisLimiter {
    conn: Connection,
    tat_key: String,
    pause_key: String,
}

impl RedisLimiter {
    pub(crate) fn new(url: &str, origin: &str) -> Result<RedisLimiter, Error> {
        Ok(RedisLimiter {
            conn: Connection::open(url)?,
            tat_key: format!("motionkit:ratelimit:{{{origin}}}:tat"),
            pause_key: format!("motionkit:ratelimit:{{{origin}}}:pause"),
        })
    }

    pub(crate) fn describe(&self) -> String {
        format!("Redis rate limit at {}", self.conn.shown())
    }

    pub(crate) async fn acquire(&self, cell: Cell) -> Result<Admission, String> {
        let script = redis::Script::new(GCRA);
        let (go, wait_us): (i64, i64) = self
            .conn
            .run(async |conn: &mut MultiplexedConnection| {
                script
                    .key(&self.tat_key)
                    .key(&self.pause_key)
                    .arg(cell.interval_us)
                    .arg(cell.tolerance_us)
                    .invoke_async(conn)
                    .await
            })
            .await?;
        Ok(if go == 1 {
            Admission::Go
        } else {
            Admission::Wait(Duration::from_micros(
                u64::try_from(wait_us).unwrap_or(0).max(1),
            ))
        })
    }

    pub(crate) async fn pause(&self, pause: Duration) -> Result<(), String> {
        let script = redis::Script::new(PAUSE);
        let ms = (micros(pause.min(MAX_SHARED_PAUSE)) / 1000).max(1);
        let _: i64 = self
            .conn
            .run(async |conn: &mut MultiplexedConnection| {
                script.key(&self.pause_key).arg(ms).invoke_async(conn).await
            })
            .await?;
        Ok(())
    }
}

/// KEYS: key. ARGV: claim value, lease ms. Returns `fresh` (claimed now),
/// `done` (handed over before) or `held` (another claim's lease runs).
const CLAIM: &str = r"
local v = redis.call('GET', KEYS[1])
if v == '1' then return 'done' end
if v then return 'held' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'fresh'
";

/// KEYS: key. ARGV: claim value. Deletes the key only while it holds that
/// claim.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// What [`claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claimed {
    Fresh,
    Done,
    Held,
}

/// Claims `key` with `value` for `lease`, unless it is done or held.
pub(crate) async fn claim(
    conn: &Connection,
    key: &str,
    value: &str,
    lease: Duration,
) -> Result<Claimed, String> {
    let script = redis::Script::new(CLAIM);
    let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
    let answer: String = conn
        .run(async |c: &mut MultiplexedConnection| {
            script.key(key).arg(value).arg(ms).invoke_async(c).await
        })
        .await?;
    Ok(match answer.as_str() {
        "fresh" => Claimed::Fresh,
        "done" => Claimed::Done,
        _ => Claimed::Held,
    })
}

/// Marks `key` done for `ttl`, over any claim.
pub(crate) async fn confirm(conn: &Connection, key: &str, ttl: Duration) -> Result<(), String> {
    let seconds = ttl.as_secs().max(1);
    let _: Option<String> = conn
        .run(async |c: &mut MultiplexedConnection| {
            redis::cmd("SET")
                .arg(key)
                .arg(1)
                .arg("EX")
                .arg(seconds)
                .query_async(c)
                .await
        })
        .await?;
    Ok(())
}

/// Deletes `key` while it still holds the claim `value`.
pub(crate) async fn release(conn: &Connection, key: &str, value: &str) -> Result<(), String> {
    let script = redis::Script::new(RELEASE);
    let _: i64 = conn
        .run(async |c: &mut MultiplexedConnection| script.key(key).arg(value).invoke_async(c).await)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords() {
        let url = SecretString::from("redis://user:hunter2@cache.internal:6379/2?x=y".to_owned());
        assert_eq!(redact_redis_url(&url), "redis://cache.internal:6379/2");
        let error = Connection::open("redis://:hunter2@[::1")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
