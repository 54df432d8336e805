//! How long and how much: the flags that set the transport's timeouts and
//! size limits for both services. Their defaults are the library's (see
//! ARCHITECTURE.md, "Limits").

use std::time::Duration;

use clap::Args;
use motionkit_transport::{Limits, MinRate, Timeouts};

use crate::duration::duration_arg;

/// The limit flags.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Give up on one attempt of an API call (sending, waiting for and reading the
    /// answer) after this long; a submission whose answer comes later is looked up, never
    /// sent again
    #[arg(
        long,
        global = true,
        help_heading = "Limits",
        env = "MOTIONKIT_REQUEST_TIMEOUT",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = duration_arg
    )]
    pub request_timeout: Duration,
    /// Give up on a transfer, or an answer's body, after this long without a byte
    #[arg(
        long,
        global = true,
        help_heading = "Limits",
        env = "MOTIONKIT_IDLE_TIMEOUT",
        value_name = "DURATION",
        default_value = "60s",
        value_parser = duration_arg
    )]
    pub idle_timeout: Duration,
    /// Abandon an upload or download attempt slower than this many bytes per second over
    /// --min-rate-window (0 turns the rule off); the transfer then resumes
    #[arg(
        long,
        global = true,
        help_heading = "Limits",
        env = "MOTIONKIT_MIN_RATE",
        value_name = "BYTES",
        default_value_t = 1024
    )]
    pub min_rate: u64,
    /// The window over which --min-rate is judged
    #[arg(
        long,
        global = true,
        help_heading = "Limits",
        value_name = "DURATION",
        default_value = "60s",
        value_parser = duration_arg
    )]
    pub min_rate_window: Duration,
    /// Give up on one download after this long in all, resumes included [default: no limit]
    #[arg(
        long,
        global = true,
        help_heading = "Limits",
        env = "MOTIONKIT_DOWNLOAD_DEADLINE",
        value_name = "DURATION",
        value_parser = duration_arg
    )]
    pub download_deadline: Option<Duration>,
    /// Largest API answer read into memory, in bytes
    #[arg(
        long,
        global = true,
        help_heading = "Limits",
        value_name = "BYTES",
        default_value_t = Limits::default().response_bytes
    )]
    pub max_response_bytes: u64,
}

impl Default for LimitArgs {
    fn default() -> Self {
        let timeouts = Timeouts::default();
        let rate = MinRate::default();
        LimitArgs {
            request_timeout: timeouts.attempt,
            idle_timeout: timeouts.transfer_stall,
            min_rate: rate.bytes_per_second,
            min_rate_window: rate.window,
            download_deadline: None,
            max_response_bytes: Limits::default().response_bytes,
        }
    }
}

impl LimitArgs {
    /// The transport's timeouts with these flags applied.
    pub fn timeouts(&self) -> Timeouts {
        let defaults = Timeouts::default();
        // A call's whole budget covers at least one attempt.
        let total = defaults.total.max(self.request_timeout);
        defaults
            .attempt(self.request_timeout)
            .total(total)
            .transfer_stall(self.idle_timeout)
            .transfer_min_rate(
                (self.min_rate > 0).then_some(
                    MinRate::default()
                        .bytes_per_second(self.min_rate)
                        .window(self.min_rate_window),
                ),
            )
            .transfer_deadline(self.download_deadline)
    }

    /// The transport's size limits with these flags applied.
    pub fn limits(&self) -> Limits {
        Limits::default().response_bytes(self.max_response_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_librarys() {
        let args = LimitArgs::default();
        assert_eq!(args.timeouts(), Timeouts::default());
        assert_eq!(args.limits(), Limits::default());
        let off = LimitArgs {
            min_rate: 0,
            download_deadline: Some(Duration::from_secs(600)),
            ..LimitArgs::default()
        };
        assert_eq!(off.timeouts().transfer_min_rate, None);
        assert_eq!(
            off.timeouts().transfer_deadline,
            Some(Duration::from_secs(600))
        );
    }
}
