//! Rules for the DeepMotion `trim` and `crop` video parameters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Rule, Severity, Violation, Violations};
use crate::number::parse_f64;

/// The wire key of [`Trim`].
pub const TRIM_KEY: &str = "trim";
/// The wire key of [`Crop`].
pub const CROP_KEY: &str = "crop";

/// `trim=from,to`: the part of the input video to animate, in seconds.
///
/// Valid when both are finite, `0 <= from < to`, and `to` is at most the
/// video's duration when that is known. Displays as its wire value, `1,2.6`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trim {
    /// Start, in seconds from the beginning of the video.
    pub from: f64,
    /// End, in seconds from the beginning of the video.
    pub to: f64,
}

impl Trim {
    /// A trim from `from` to `to` seconds (not validated).
    pub fn new(from: f64, to: f64) -> Self {
        Trim { from, to }
    }

    /// Checks this trim against the rules, reporting under the field `trim`.
    ///
    /// `duration` is the video's length in seconds when known (for example
    /// from DeepMotion's `/videoInfo`); `to == duration` is allowed. A
    /// duration that is NaN, infinite or negative is itself reported under
    /// the field `duration`.
    ///
    /// # Errors
    ///
    /// [`Rule::NotFinite`], [`Rule::TrimOrder`] (negative start or
    /// `from >= to`) and [`Rule::TrimBeyondDuration`], the last as a
    /// [`Severity::DocumentedFailure`].
    pub fn validate(&self, duration: Option<f64>) -> Result<(), Violations> {
        let mut found = Violations::new();
        let value = self.to_string();
        if !self.from.is_finite() || !self.to.is_finite() {
            found.push(Violation::new(
                TRIM_KEY,
                Rule::NotFinite,
                &value,
                "finite numbers of seconds",
            ));
            return Err(found);
        }
        if self.from < 0.0 {
            found.push(Violation::new(
                TRIM_KEY,
                Rule::TrimOrder,
                &value,
                "a start of at least 0 seconds",
            ));
        }
        if self.from >= self.to {
            found.push(Violation::new(
                TRIM_KEY,
                Rule::TrimOrder,
                &value,
                "from < to",
            ));
        }
        match duration {
            Some(d) if !d.is_finite() => found.push(Violation::new(
                "duration",
                Rule::NotFinite,
                d.to_string(),
                "a finite video duration in seconds",
            )),
            Some(d) if d < 0.0 => found.push(Violation::new(
                "duration",
                Rule::Range,
                d.to_string(),
                "a video duration of at least 0 seconds",
            )),
            Some(d) if self.to > d => found.push(
                Violation::new(
                    TRIM_KEY,
                    Rule::TrimBeyondDuration,
                    &value,
                    format!(
                        "to <= {d} (the video's duration in seconds; DeepMotion fails \
                         the job with error 503)"
                    ),
                )
                .with_severity(Severity::DocumentedFailure),
            ),
            _ => {}
        }
        found.into_result(())
    }

    /// Parses the wire value `from,to`, for example `1,2.6`, reporting under
    /// `field`. Only the syntax is checked; see [`Trim::validate`].
    ///
    /// # Errors
    ///
    /// [`Rule::Syntax`], or [`Rule::NotFinite`] for `NaN`/`inf`.
    pub fn parse(field: &str, value: &str) -> Result<Trim, Violation> {
        let [from, to] = parse_numbers::<2>(field, value, "from,to in seconds, for example 1,2.6")?;
        Ok(Trim { from, to })
    }
}

impl fmt::Display for Trim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.from, self.to)
    }
}

/// `crop=left,top,right,bottom`: the region of the input to use, in
/// normalised coordinates with the origin `[0,0]` at the top left.
///
/// Valid when every edge is in `0.0..=1.0`, `left < right` and
/// `top < bottom` (equal edges leave nothing and are invalid). Displays as
/// its wire value, `0.239,0.121,0.742,0.981`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Crop {
    /// Left edge, 0.0 to 1.0.
    pub left: f64,
    /// Top edge, 0.0 to 1.0.
    pub top: f64,
    /// Right edge, 0.0 to 1.0.
    pub right: f64,
    /// Bottom edge, 0.0 to 1.0.
    pub bottom: f64,
}

impl Crop {
    /// A crop rectangle (not validated).
    pub fn new(left: f64, top: f64, right: f64, bottom: f64) -> Self {
        Crop {
            left,
            top,
            right,
            bottom,
        }
    }

    /// Checks this crop against the rules, reporting under the field `crop`.
    ///
    /// # Errors
    ///
    /// [`Rule::NotFinite`], [`Rule::Range`] (an edge outside `0.0..=1.0`,
    /// the limit names the edge) and [`Rule::CropOrder`].
    pub fn validate(&self) -> Result<(), Violations> {
        let mut found = Violations::new();
        let value = self.to_string();
        let edges = [
            ("left", self.left),
            ("top", self.top),
            ("right", self.right),
            ("bottom", self.bottom),
        ];
        if edges.iter().any(|(_, v)| !v.is_finite()) {
            found.push(Violation::new(
                CROP_KEY,
                Rule::NotFinite,
                &value,
                "finite normalised coordinates",
            ));
            return Err(found);
        }
        for (name, edge) in edges {
            if !(0.0..=1.0).contains(&edge) {
                found.push(Violation::new(
                    CROP_KEY,
                    Rule::Range,
                    &value,
                    format!("{name} in 0.0..=1.0"),
                ));
            }
        }
        if self.left >= self.right {
            found.push(Violation::new(
                CROP_KEY,
                Rule::CropOrder,
                &value,
                "left < right",
            ));
        }
        if self.top >= self.bottom {
            found.push(Violation::new(
                CROP_KEY,
                Rule::CropOrder,
                &value,
                "top < bottom",
            ));
        }
        found.into_result(())
    }

    /// Parses the wire value `left,top,right,bottom`, reporting under
    /// `field`. Only the syntax is checked; see [`Crop::validate`].
    ///
    /// # Errors
    ///
    /// [`Rule::Syntax`], or [`Rule::NotFinite`] for `NaN`/`inf`.
    pub fn parse(field: &str, value: &str) -> Result<Crop, Violation> {
        let [left, top, right, bottom] = parse_numbers::<4>(
            field,
            value,
            "left,top,right,bottom in 0.0..=1.0, for example 0.239,0.121,0.742,0.981",
        )?;
        Ok(Crop {
            left,
            top,
            right,
            bottom,
        })
    }
}

impl fmt::Display for Crop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.left, self.top, self.right, self.bottom
        )
    }
}

/// Parses exactly `N` comma-separated numbers; spaces around each are allowed.
fn parse_numbers<const N: usize>(
    field: &str,
    value: &str,
    expected: &str,
) -> Result<[f64; N], Violation> {
    let syntax = || Violation::new(field, Rule::Syntax, value, expected);
    let mut out = [0.0; N];
    let mut parts = value.split(',');
    for slot in &mut out {
        let part = parts.next().ok_or_else(syntax)?.trim_matches(' ');
        *slot = parse_f64(field, part).map_err(|v| match v.rule {
            Rule::Syntax => syntax(),
            rule => Violation::new(field, rule, value, v.limit),
        })?;
    }
    if parts.next().is_some() {
        return Err(syntax());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(result: Result<(), Violations>) -> Vec<Rule> {
        result
            .err()
            .map_or_else(Vec::new, |v| v.iter().map(|v| v.rule).collect())
    }

    #[test]
    fn trim_from_the_doc() {
        let trim = Trim::parse("trim", "1,2.6").unwrap();
        assert_eq!(trim, Trim::new(1.0, 2.6));
        assert_eq!(trim.to_string(), "1,2.6");
        assert!(trim.validate(None).is_ok());
        assert!(trim.validate(Some(2.6)).is_ok());
        assert_eq!(rules(trim.validate(Some(2.5))), [Rule::TrimBeyondDuration]);
    }

    #[test]
    fn trim_rules() {
        assert_eq!(rules(Trim::new(1.0, 1.0).validate(None)), [Rule::TrimOrder]);
        assert_eq!(rules(Trim::new(2.0, 1.0).validate(None)), [Rule::TrimOrder]);
        assert_eq!(
            rules(Trim::new(-0.5, 1.0).validate(None)),
            [Rule::TrimOrder]
        );
        assert!(Trim::new(0.0, 0.1).validate(None).is_ok());
        assert_eq!(
            rules(Trim::new(f64::NAN, 1.0).validate(None)),
            [Rule::NotFinite]
        );
        assert_eq!(
            rules(Trim::new(0.0, f64::INFINITY).validate(Some(3.0))),
            [Rule::NotFinite]
        );
        let err = Trim::new(0.0, 1.0).validate(Some(f64::NAN)).unwrap_err();
        assert_eq!(err.0[0].field, "duration");
        let err = Trim::new(0.0, 4.0).validate(Some(3.0)).unwrap_err();
        assert_eq!(err.0[0].field, "trim");
        assert_eq!(err.0[0].value, "0,4");
        assert_eq!(
            err.0[0].limit,
            "to <= 3 (the video's duration in seconds; DeepMotion fails the job with error 503)"
        );
        assert_eq!(err.0[0].severity, crate::Severity::DocumentedFailure);
    }

    #[test]
    fn trim_syntax() {
        for bad in ["", "1", "1,2,3", "a,2", "1;2", "1,"] {
            assert_eq!(
                Trim::parse("trim", bad).unwrap_err().rule,
                Rule::Syntax,
                "{bad}"
            );
        }
        assert_eq!(
            Trim::parse("trim", "1,NaN").unwrap_err().rule,
            Rule::NotFinite
        );
        assert_eq!(Trim::parse("trim", "1, 2").unwrap(), Trim::new(1.0, 2.0));
    }

    #[test]
    fn crop_from_the_doc() {
        let crop = Crop::parse("crop", "0.239,0.121,0.742,0.981").unwrap();
        assert_eq!(crop, Crop::new(0.239, 0.121, 0.742, 0.981));
        assert_eq!(crop.to_string(), "0.239,0.121,0.742,0.981");
        assert!(crop.validate().is_ok());
    }

    #[test]
    fn crop_rules() {
        assert!(Crop::new(0.0, 0.0, 1.0, 1.0).validate().is_ok());
        assert_eq!(
            rules(Crop::new(0.5, 0.1, 0.5, 0.9).validate()),
            [Rule::CropOrder]
        );
        assert_eq!(
            rules(Crop::new(0.1, 0.5, 0.9, 0.5).validate()),
            [Rule::CropOrder]
        );
        assert_eq!(
            rules(Crop::new(0.1, 0.1, 1.1, 0.9).validate()),
            [Rule::Range]
        );
        assert_eq!(
            rules(Crop::new(-0.1, 0.1, 0.9, 0.9).validate()),
            [Rule::Range]
        );
        assert_eq!(
            rules(Crop::new(0.1, 0.1, f64::NAN, 0.9).validate()),
            [Rule::NotFinite]
        );
        let err = Crop::new(0.9, 0.1, 0.1, 0.9).validate().unwrap_err();
        assert_eq!(err.0[0].field, "crop");
        assert_eq!(err.0[0].limit, "left < right");
    }

    #[test]
    fn crop_syntax() {
        for bad in ["", "0.1,0.2,0.3", "0.1,0.2,0.3,0.4,0.5", "a,b,c,d"] {
            assert_eq!(
                Crop::parse("crop", bad).unwrap_err().rule,
                Rule::Syntax,
                "{bad}"
            );
        }
    }
}
