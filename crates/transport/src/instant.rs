//! Instants computed from durations, saturating instead of overflowing.
//! A helper below every module that computes a deadline (the attempt loop,
//! the rate limiter, downloads), so none of them reaches into another for it.

use std::time::Duration;

use tokio::time::Instant;

/// `now + wait`, or a moment a century away when that does not fit: every
/// duration the configuration or a server gives is added with this, so none
/// can overflow.
pub(crate) fn later(wait: Duration) -> Instant {
    instant_after(Instant::now(), wait)
}

/// `from + wait`, or a moment a century after `from` when that does not
/// fit. For deadlines computed from configuration, user input or server
/// numbers: `Duration::MAX` means "practically never", not a panic.
pub fn instant_after(from: Instant, wait: Duration) -> Instant {
    from.checked_add(wait)
        .or_else(|| from.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(from)
}
