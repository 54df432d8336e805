use motionkit_validation::Rule;
use motionkit_validation::{finite, flag, format_rgba, one_of, parse_f64, range_f64, rgba};
use proptest::prelude::*;
use proptest::sample::select;

use crate::fr;

fn finite_f64() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO
}

fn non_finite() -> impl Strategy<Value = f64> {
    select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY])
}

const MODES: [&str; 4] = ["auto", "always", "never", "grounding"];

proptest! {
    #[test]
    fn finite_values_pass(v in finite_f64()) {
        prop_assert_eq!(finite("x", v).unwrap().to_bits(), v.to_bits());
    }

    #[test]
    fn non_finite_values_fail(v in non_finite(), min in -10.0f64..0.0, max in 0.0f64..10.0) {
        prop_assert_eq!(fr(&finite("x", v).unwrap_err()), ("x".to_owned(), Rule::NotFinite));
        prop_assert_eq!(fr(&range_f64("x", v, min, max).unwrap_err()), ("x".to_owned(), Rule::NotFinite));
    }

    #[test]
    fn values_in_range_pass(min in -1e6f64..1e6, width in 0.0f64..1e6, t in 0.0f64..=1.0) {
        let max = min + width;
        let v = (min + width * t).clamp(min, max);
        prop_assert!(range_f64("x", v, min, max).is_ok());
        prop_assert!(range_f64("x", min, min, max).is_ok());
        prop_assert!(range_f64("x", max, min, max).is_ok());
    }

    #[test]
    fn values_outside_range_fail(min in -1e6f64..1e6, width in 0.0f64..1e6, d in 1e-3f64..1e6, above in any::<bool>()) {
        let max = min + width;
        let v = if above { max + d } else { min - d };
        let err = range_f64("videoSpeedMultiplier", v, min, max).unwrap_err();
        prop_assert_eq!(fr(&err), ("videoSpeedMultiplier".to_owned(), Rule::Range));
        prop_assert_eq!(err.limit, format!("{min:?}..={max:?}"));
    }

    #[test]
    fn speed_multiplier_bounds(v in 1.0f64..=8.0) {
        prop_assert!(range_f64("videoSpeedMultiplier", v, 1.0, 8.0).is_ok());
        prop_assert_eq!(
            range_f64("videoSpeedMultiplier", 8.0 + v, 1.0, 8.0).unwrap_err().limit,
            "1.0..=8.0"
        );
    }

    #[test]
    fn numbers_parse_back_exactly(v in finite_f64()) {
        prop_assert_eq!(parse_f64("x", &v.to_string()).unwrap().to_bits(), v.to_bits());
    }

    #[test]
    fn non_numbers_fail_to_parse(s in "[a-zA-Z ,;]{0,6}".prop_filter("not inf/nan", |s| {
        let l = s.to_ascii_lowercase();
        !matches!(l.as_str(), "inf" | "infinity" | "nan")
    })) {
        prop_assert_eq!(fr(&parse_f64("x", &s).unwrap_err()), ("x".to_owned(), Rule::Syntax));
    }

    #[test]
    fn flags_0_and_1_pass(on in any::<bool>()) {
        let text = if on { "1" } else { "0" };
        prop_assert_eq!(flag("sim", text).unwrap(), on);
        prop_assert_eq!(flag("sim", u8::from(on)).unwrap(), on);
    }

    #[test]
    fn other_flags_fail(text in ".{0,4}".prop_filter("not a flag", |s| s != "0" && s != "1"), n in 2u8..) {
        prop_assert_eq!(fr(&flag("trackFace", text.as_str()).unwrap_err()), ("trackFace".to_owned(), Rule::Flag));
        prop_assert_eq!(fr(&flag("trackFace", n).unwrap_err()), ("trackFace".to_owned(), Rule::Flag));
    }

    #[test]
    fn rgba_channels_pass(c in any::<[u8; 4]>()) {
        let text = format_rgba(c);
        prop_assert_eq!(rgba("render.bgColor", &text).unwrap(), c);
    }

    #[test]
    fn rgba_channel_above_255_fails(c in any::<[u8; 4]>(), at in 0usize..4, big in 256u32..1000) {
        let mut parts: Vec<String> = c.iter().map(u8::to_string).collect();
        parts[at] = big.to_string();
        let err = rgba("render.bgColor", &parts.join(",")).unwrap_err();
        prop_assert_eq!(fr(&err), ("render.bgColor".to_owned(), Rule::Rgba));
    }

    #[test]
    fn rgba_wrong_channel_count_fails(c in prop::collection::vec(any::<u8>(), 0..8).prop_filter("not 4", |c| c.len() != 4)) {
        let text: Vec<String> = c.iter().map(u8::to_string).collect();
        let err = rgba("render.bgColor", &text.join(",")).unwrap_err();
        prop_assert_eq!(fr(&err), ("render.bgColor".to_owned(), Rule::Rgba));
    }

    #[test]
    fn rgba_garbage_channel_fails(c in any::<[u8; 4]>(), at in 0usize..4, junk in "[a-z#+.-]{1,3}|-[0-9]{1,3}") {
        let mut parts: Vec<String> = c.iter().map(u8::to_string).collect();
        parts[at] = junk;
        let err = rgba("render.bgColor", &parts.join(",")).unwrap_err();
        prop_assert_eq!(fr(&err), ("render.bgColor".to_owned(), Rule::Rgba));
    }

    #[test]
    fn allowed_values_pass(v in select(MODES.to_vec())) {
        prop_assert!(one_of("footLockingMode", v, &MODES).is_ok());
    }

    #[test]
    fn other_values_fail(v in "[a-zA-Z]{0,10}".prop_filter("not allowed", |v| !MODES.contains(&v.as_str()))) {
        let err = one_of("footLockingMode", &v, &MODES).unwrap_err();
        prop_assert_eq!(fr(&err), ("footLockingMode".to_owned(), Rule::OneOf));
        prop_assert_eq!(err.limit, "one of: auto, always, never, grounding");
    }
}
