use motionkit_validation::Rule;
use motionkit_validation::{Crop, Trim};
use proptest::prelude::*;
use proptest::sample::select;

use crate::frs;

fn non_finite() -> impl Strategy<Value = f64> {
    select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY])
}

/// `(from, to)` with `0 <= from < to`.
fn ordered_trim() -> impl Strategy<Value = (f64, f64)> {
    (0.0f64..1000.0, 1e-3f64..1000.0).prop_map(|(from, len)| (from, from + len))
}

/// Two distinct values in `0.0..=1.0`, ascending.
fn edges() -> impl Strategy<Value = (f64, f64)> {
    (0.0f64..=1.0, 0.0f64..=1.0)
        .prop_filter("distinct", |(a, b)| a != b)
        .prop_map(|(a, b)| (a.min(b), a.max(b)))
}

fn one(field: &str, rule: Rule) -> Vec<(String, Rule)> {
    vec![(field.to_owned(), rule)]
}

proptest! {
    #[test]
    fn ordered_trims_pass((from, to) in ordered_trim(), extra in 0.0f64..100.0) {
        let trim = Trim::new(from, to);
        prop_assert!(trim.validate(None).is_ok());
        prop_assert!(trim.validate(Some(to + extra)).is_ok());
        // Ending exactly at the end of the video is fine.
        prop_assert!(trim.validate(Some(to)).is_ok());
    }

    #[test]
    fn trims_round_trip_through_text((from, to) in ordered_trim()) {
        let trim = Trim::new(from, to);
        prop_assert_eq!(Trim::parse("trim", &trim.to_string()).unwrap(), trim);
    }

    #[test]
    fn empty_trims_fail(from in 0.0f64..1000.0) {
        prop_assert_eq!(frs(&Trim::new(from, from).validate(None).unwrap_err()), one("trim", Rule::TrimOrder));
    }

    #[test]
    fn reversed_trims_fail((to, from) in ordered_trim()) {
        prop_assert_eq!(frs(&Trim::new(from, to).validate(None).unwrap_err()), one("trim", Rule::TrimOrder));
    }

    #[test]
    fn negative_starts_fail(from in -1000.0f64..-1e-9, to in 0.0f64..1000.0) {
        prop_assert_eq!(frs(&Trim::new(from, to).validate(None).unwrap_err()), one("trim", Rule::TrimOrder));
    }

    #[test]
    fn trims_past_the_end_fail((from, to) in ordered_trim(), short in 1e-6f64..1.0) {
        let duration = (to - short).max(0.0);
        prop_assume!(duration < to);
        let err = Trim::new(from, to).validate(Some(duration)).unwrap_err();
        prop_assert_eq!(frs(&err), one("trim", Rule::TrimBeyondDuration));
    }

    #[test]
    fn non_finite_trims_fail(bad in non_finite(), ok in 0.0f64..10.0, first in any::<bool>()) {
        let trim = if first { Trim::new(bad, ok) } else { Trim::new(ok, bad) };
        prop_assert_eq!(frs(&trim.validate(Some(20.0)).unwrap_err()), one("trim", Rule::NotFinite));
    }

    #[test]
    fn non_finite_duration_is_reported((from, to) in ordered_trim(), bad in non_finite()) {
        let err = Trim::new(from, to).validate(Some(bad)).unwrap_err();
        prop_assert_eq!(frs(&err), one("duration", Rule::NotFinite));
    }

    #[test]
    fn ordered_crops_pass((left, right) in edges(), (top, bottom) in edges()) {
        let crop = Crop::new(left, top, right, bottom);
        prop_assert!(crop.validate().is_ok());
        prop_assert_eq!(Crop::parse("crop", &crop.to_string()).unwrap(), crop);
    }

    #[test]
    fn equal_edges_fail(x in 0.0f64..=1.0, (top, bottom) in edges(), vertical in any::<bool>()) {
        let crop = if vertical {
            Crop::new(x, top, x, bottom)
        } else {
            Crop::new(top, x, bottom, x)
        };
        prop_assert_eq!(frs(&crop.validate().unwrap_err()), one("crop", Rule::CropOrder));
    }

    #[test]
    fn reversed_crops_fail((left, right) in edges(), (top, bottom) in edges()) {
        prop_assert_eq!(
            frs(&Crop::new(right, top, left, bottom).validate().unwrap_err()),
            one("crop", Rule::CropOrder)
        );
        prop_assert_eq!(
            frs(&Crop::new(left, bottom, right, top).validate().unwrap_err()),
            one("crop", Rule::CropOrder)
        );
    }

    #[test]
    fn edges_outside_unit_range_fail(
        (left, right) in edges(),
        (top, bottom) in edges(),
        d in 1e-9f64..10.0,
        which in 0usize..4,
    ) {
        // Push one edge outside 0..=1 on the side that keeps the order valid.
        let crop = match which {
            0 => Crop::new(-d, top, right, bottom),
            1 => Crop::new(left, -d, right, bottom),
            2 => Crop::new(left, top, 1.0 + d, bottom),
            _ => Crop::new(left, top, right, 1.0 + d),
        };
        prop_assert_eq!(frs(&crop.validate().unwrap_err()), one("crop", Rule::Range));
    }

    #[test]
    fn non_finite_crops_fail((left, right) in edges(), (top, bottom) in edges(), bad in non_finite(), which in 0usize..4) {
        let mut e = [left, top, right, bottom];
        e[which] = bad;
        let crop = Crop::new(e[0], e[1], e[2], e[3]);
        prop_assert_eq!(frs(&crop.validate().unwrap_err()), one("crop", Rule::NotFinite));
    }
}
