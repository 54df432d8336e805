//! Rules for numbers, `0`/`1` flags, `R,G,B,A` colours and enumerations.

use crate::error::{Rule, Violation};

/// Checks that `value` is neither NaN nor an infinity and returns it.
///
/// # Errors
///
/// [`Rule::NotFinite`] naming `field`.
pub fn finite(field: &str, value: f64) -> Result<f64, Violation> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Violation::new(
            field,
            Rule::NotFinite,
            value.to_string(),
            "a finite number",
        ))
    }
}

/// Checks that `value` is finite and within `min..=max` (both inclusive) and
/// returns it.
///
/// # Errors
///
/// [`Rule::NotFinite`] for NaN or an infinity, otherwise [`Rule::Range`]
/// with a limit such as `1.0..=8.0`.
pub fn range_f64(field: &str, value: f64, min: f64, max: f64) -> Result<f64, Violation> {
    finite(field, value)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Violation::new(
            field,
            Rule::Range,
            value.to_string(),
            format!("{min:?}..={max:?}"),
        ))
    }
}

/// Parses a decimal number as Rust's `f64` parser does (`2.6`, `1e-3`, `+1`)
/// and checks that it is finite.
///
/// # Errors
///
/// [`Rule::Syntax`] when `value` is not a number, [`Rule::NotFinite`] for
/// `NaN`, `inf` and `infinity`.
pub fn parse_f64(field: &str, value: &str) -> Result<f64, Violation> {
    let number: f64 = value
        .parse()
        .map_err(|_| Violation::new(field, Rule::Syntax, value, "a decimal number"))?;
    if number.is_finite() {
        Ok(number)
    } else {
        Err(Violation::new(
            field,
            Rule::NotFinite,
            value,
            "a finite number",
        ))
    }
}

/// A value that can be checked as a `0`/`1` flag: text or an integer.
pub trait FlagValue {
    /// `Some(false)` for 0, `Some(true)` for 1, `None` for anything else.
    fn as_flag(&self) -> Option<bool>;
    /// The value as shown in a violation.
    fn describe(&self) -> String;
}

impl FlagValue for &str {
    fn as_flag(&self) -> Option<bool> {
        match *self {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        }
    }
    fn describe(&self) -> String {
        (*self).to_owned()
    }
}

impl FlagValue for &String {
    fn as_flag(&self) -> Option<bool> {
        self.as_str().as_flag()
    }
    fn describe(&self) -> String {
        (*self).clone()
    }
}

impl FlagValue for String {
    fn as_flag(&self) -> Option<bool> {
        self.as_str().as_flag()
    }
    fn describe(&self) -> String {
        self.clone()
    }
}

macro_rules! integer_flag {
    ($($t:ty),*) => {$(
        impl FlagValue for $t {
            fn as_flag(&self) -> Option<bool> {
                match *self {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                }
            }
            fn describe(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

integer_flag!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// Checks that `value` is the flag `0` or `1` (exactly; no spaces, signs or
/// leading zeros) and returns it as a `bool`.
///
/// # Errors
///
/// [`Rule::Flag`] naming `field`.
pub fn flag(field: &str, value: impl FlagValue) -> Result<bool, Violation> {
    value
        .as_flag()
        .ok_or_else(|| Violation::new(field, Rule::Flag, value.describe(), "0 or 1"))
}

/// Parses an `R,G,B,A` colour such as `0,177,64,0`: exactly four decimal
/// integers in 0–255, separated by commas; spaces around a channel are
/// allowed.
///
/// # Errors
///
/// [`Rule::Rgba`] naming `field`.
pub fn rgba(field: &str, value: &str) -> Result<[u8; 4], Violation> {
    let fail = || {
        Violation::new(
            field,
            Rule::Rgba,
            value,
            "R,G,B,A with each channel an integer in 0..=255, for example 0,177,64,0",
        )
    };
    let mut out = [0u8; 4];
    let mut parts = value.split(',');
    for slot in &mut out {
        let part = parts.next().ok_or_else(fail)?.trim_matches(' ');
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail());
        }
        *slot = part.parse().map_err(|_| fail())?;
    }
    if parts.next().is_some() {
        return Err(fail());
    }
    Ok(out)
}

/// Renders an `R,G,B,A` colour as `0,177,64,0`.
pub fn format_rgba(color: [u8; 4]) -> String {
    let [r, g, b, a] = color;
    format!("{r},{g},{b},{a}")
}

/// Checks that `value` is exactly (case-sensitively) one of `allowed`.
///
/// # Errors
///
/// [`Rule::OneOf`] naming `field`, with a limit listing the allowed values.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), Violation> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Violation::new(
            field,
            Rule::OneOf,
            value,
            one_of_limit(allowed),
        ))
    }
}

/// The limit text of a [`Rule::OneOf`] violation: `one of: a, b, c`.
pub fn one_of_limit(allowed: &[&str]) -> String {
    format!("one of: {}", allowed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_numbers() {
        assert_eq!(finite("x", 1.5), Ok(1.5));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(finite("x", bad).unwrap_err().rule, Rule::NotFinite);
        }
    }

    #[test]
    fn ranges_are_inclusive() {
        let f = "videoSpeedMultiplier";
        assert!(range_f64(f, 1.0, 1.0, 8.0).is_ok());
        assert!(range_f64(f, 8.0, 1.0, 8.0).is_ok());
        let err = range_f64(f, 8.5, 1.0, 8.0).unwrap_err();
        assert_eq!(err.rule, Rule::Range);
        assert_eq!(err.limit, "1.0..=8.0");
        assert_eq!(err.value, "8.5");
        assert_eq!(err.field, f);
        assert_eq!(range_f64(f, 0.999, 1.0, 8.0).unwrap_err().rule, Rule::Range);
        assert_eq!(
            range_f64(f, f64::NAN, 1.0, 8.0).unwrap_err().rule,
            Rule::NotFinite
        );
        assert_eq!(
            range_f64(f, f64::INFINITY, 1.0, 8.0).unwrap_err().rule,
            Rule::NotFinite
        );
    }

    #[test]
    fn parsing_numbers() {
        assert_eq!(parse_f64("x", "2.6"), Ok(2.6));
        assert_eq!(parse_f64("x", "abc").unwrap_err().rule, Rule::Syntax);
        assert_eq!(parse_f64("x", "").unwrap_err().rule, Rule::Syntax);
        assert_eq!(parse_f64("x", " 1").unwrap_err().rule, Rule::Syntax);
        assert_eq!(parse_f64("x", "NaN").unwrap_err().rule, Rule::NotFinite);
        assert_eq!(parse_f64("x", "-inf").unwrap_err().rule, Rule::NotFinite);
    }

    #[test]
    fn flags() {
        assert_eq!(flag("sim", "1"), Ok(true));
        assert_eq!(flag("sim", "0"), Ok(false));
        assert_eq!(flag("sim", 1u8), Ok(true));
        assert_eq!(flag("sim", 0), Ok(false));
        assert_eq!(flag("sim", String::from("1")), Ok(true));
        for bad in ["2", "", "01", "true", " 1", "-0", "+1"] {
            let err = flag("sim", bad).unwrap_err();
            assert_eq!(err.rule, Rule::Flag, "{bad}");
            assert_eq!(err.limit, "0 or 1");
        }
        assert_eq!(flag("sim", 2u8).unwrap_err().value, "2");
        assert_eq!(flag("sim", -1).unwrap_err().rule, Rule::Flag);
    }

    #[test]
    fn rgba_from_the_doc() {
        assert_eq!(rgba("render.bgColor", "0,177,64,0"), Ok([0, 177, 64, 0]));
        assert_eq!(rgba("render.bgColor", "255, 255, 255, 255"), Ok([255; 4]));
        assert_eq!(format_rgba([0, 177, 64, 0]), "0,177,64,0");
        for bad in [
            "",
            "0,177,64",
            "0,177,64,0,0",
            "256,0,0,0",
            "-1,0,0,0",
            "+1,0,0,0",
            "0,,64,0",
            "0x10,0,0,0",
            "0,177,64,0,",
            "1.5,0,0,0",
            "0000,0,0,0",
        ] {
            let err = rgba("render.bgColor", bad).unwrap_err();
            assert_eq!(err.rule, Rule::Rgba, "{bad}");
            assert_eq!(err.field, "render.bgColor");
        }
    }

    #[test]
    fn enumerations() {
        let allowed = ["auto", "always", "never", "grounding"];
        assert!(one_of("footLockingMode", "never", &allowed).is_ok());
        let err = one_of("footLockingMode", "Never", &allowed).unwrap_err();
        assert_eq!(err.rule, Rule::OneOf);
        assert_eq!(err.limit, "one of: auto, always, never, grounding");
    }
}
