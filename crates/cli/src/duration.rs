//! Duration options (`generate --timeout 90m`): parsed with checked
//! arithmetic and capped, so no value a user types can overflow an
//! `Instant` later or panic. Fuzzed by `fuzz/fuzz_targets/cli_duration.rs`.

use std::fmt;
use std::time::Duration;

/// The longest duration any option accepts: 30 days.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why a duration option was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DurationError {
    /// Nothing was given.
    Empty,
    /// Not `SECONDS` or a sum of `NUMBER UNIT` parts (`90`, `15m`, `1h30m`).
    Syntax {
        /// The text as given.
        text: String,
    },
    /// More than [`MAX_DURATION`] (or more than fits in the arithmetic).
    TooLong {
        /// The text as given.
        text: String,
    },
    /// Zero: an option that waits needs at least a second.
    Zero,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => {
                f.write_str("a duration is required, for example 90s, 15m or 2h")
            }
            DurationError::Syntax { text } => write!(
                f,
                "{:?} is not a duration: use seconds (3600) or NUMBER with a unit s, m, h or d \
                 (90s, 15m, 2h, 1h30m)",
                text.chars().take(64).collect::<String>()
            ),
            DurationError::TooLong { text } => write!(
                f,
                "{:?} is longer than the longest wait allowed, {} days",
                text.chars().take(64).collect::<String>(),
                MAX_DURATION.as_secs() / 86_400
            ),
            DurationError::Zero => f.write_str("the duration must be at least 1 second"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses `3600`, `90s`, `15m`, `2h`, `1d` or a sum such as `1h30m`.
/// Never panics; refuses anything above [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    let syntax = || DurationError::Syntax {
        text: text.to_owned(),
    };
    let too_long = || DurationError::TooLong {
        text: text.to_owned(),
    };
    let max = MAX_DURATION.as_secs();
    let mut total: u64 = 0;
    let mut rest = trimmed;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(syntax());
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let scale: u64 = match unit {
            "" if parts == 0 && after.is_empty() => 1,
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(syntax()),
        };
        // Leading zeros are fine; a number with more digits than u64 holds
        // is too long, not malformed.
        let value: u64 = number
            .trim_start_matches('0')
            .parse()
            .or_else(|_| {
                if number.bytes().all(|b| b == b'0') {
                    Ok(0)
                } else {
                    Err(())
                }
            })
            .map_err(|()| too_long())?;
        let seconds = value.checked_mul(scale).ok_or_else(too_long)?;
        total = total.checked_add(seconds).ok_or_else(too_long)?;
        if total > max {
            return Err(too_long());
        }
        rest = after;
        parts += 1;
    }
    if total == 0 {
        return Err(DurationError::Zero);
    }
    Ok(Duration::from_secs(total))
}

/// The clap value parser: the error text names the rule; clap names the flag.
pub fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// Like [`duration_arg`], where zero means "do not wait at all"
/// (`generate --timeout 0`).
pub fn duration_or_zero_arg(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Err(DurationError::Zero) => Ok(Duration::ZERO),
        other => other.map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_allowed_only_where_it_means_do_not_wait() {
        assert_eq!(duration_or_zero_arg("0"), Ok(Duration::ZERO));
        assert_eq!(duration_or_zero_arg("0s"), Ok(Duration::ZERO));
        assert_eq!(duration_or_zero_arg("90s"), Ok(Duration::from_secs(90)));
        assert!(duration_or_zero_arg("nope").is_err());
        assert!(duration_arg("0").is_err());
    }

    #[test]
    fn units_and_sums() {
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration(" 2d "), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("007"), Ok(Duration::from_secs(7)));
    }

    #[test]
    fn huge_values_are_refused_not_wrapped() {
        for text in [
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999",
            "18446744073709551615d",
            "5124095576030431h",
            "31d",
            "720h1s",
        ] {
            assert!(
                matches!(parse_duration(text), Err(DurationError::TooLong { .. })),
                "{text}: {:?}",
                parse_duration(text)
            );
        }
        assert_eq!(parse_duration("30d"), Ok(MAX_DURATION));
    }

    #[test]
    fn malformed_values_are_refused() {
        for text in ["", "-1", "1.5h", "h", "10 m", "1x", "1h2", "١٢"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
        assert_eq!(parse_duration("0"), Err(DurationError::Zero));
        assert_eq!(parse_duration("0h0m"), Err(DurationError::Zero));
    }
}
