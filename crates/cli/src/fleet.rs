//! One MotionDynamic rate budget for every `motionkit` that sends from the
//! same IP address.
//!
//! MotionDynamic allows 5 requests per second per IP and blocks the IP for
//! a minute after a 429. By default every `motionkit` of this user on this
//! machine shares one budget through a locked file under
//! `CACHE_DIR/motionkit/rate-limit` (so a shell loop or parallel workers
//! never trip the limit); with `--redis-url` / `MOTIONKIT_REDIS_URL` / the
//! `redis_url` config key, every `motionkit` using that Redis shares it
//! (hosts behind one NAT). See `docs/FLEET.md`.

use std::fmt;

use clap::Args;
use motionkit_transport::RateLimitStore;
use secrecy::SecretString;

use crate::exit::CliError;

/// The `--redis-url` option.
#[derive(Clone, Default, Args)]
pub struct FleetArgs {
    /// Redis shared by every motionkit of a fleet: one MotionDynamic rate budget and 429 pause
    /// for all of them [default: shared by every motionkit of this user on this machine].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONKIT_REDIS_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub redis_url: Option<String>,
}

impl fmt::Debug for FleetArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetArgs")
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Where the MotionDynamic client keeps its rate limit.
pub fn rate_limit_store(redis_url: Option<&SecretString>) -> Result<RateLimitStore, CliError> {
    match redis_url {
        None => Ok(RateLimitStore::machine_wide()),
        Some(url) => redis_store(url),
    }
}

#[cfg(feature = "redis")]
fn redis_store(url: &SecretString) -> Result<RateLimitStore, CliError> {
    use secrecy::ExposeSecret as _;
    Ok(RateLimitStore::redis(url.expose_secret()))
}

#[cfg(not(feature = "redis"))]
fn redis_store(_: &SecretString) -> Result<RateLimitStore, CliError> {
    Err(CliError::permanent(
        "--redis-url: this motionkit was built without the `redis` feature",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_passwords_and_no_url_keeps_the_machine_wide_file() {
        let args = FleetArgs {
            redis_url: Some("redis://:hunter2@a:6379".into()),
        };
        assert!(!format!("{args:?}").contains("hunter2"));
        assert!(!rate_limit_store(None).unwrap().is_process());
    }
}
