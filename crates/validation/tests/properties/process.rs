use motionkit_validation::Rule;
use motionkit_validation::{
    CamMode, FootLockingMode, InputKind, OutputFormat, PARAMETER_KEYS, ProcessParams, keys,
};
use motionkit_validation::{Crop, Trim};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::frs;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.:-]{0,15}"
}

fn trim() -> impl Strategy<Value = Trim> {
    (0.0f64..600.0, 1e-3f64..600.0).prop_map(|(from, len)| Trim::new(from, from + len))
}

fn edges() -> impl Strategy<Value = (f64, f64)> {
    (0.0f64..=1.0, 0.0f64..=1.0)
        .prop_filter("distinct", |(a, b)| a != b)
        .prop_map(|(a, b)| (a.min(b), a.max(b)))
}

fn crop() -> impl Strategy<Value = Crop> {
    (edges(), edges()).prop_map(|((l, r), (t, b))| Crop::new(l, t, r, b))
}

/// An input kind and parameters valid for it (with no duration known).
fn valid_params() -> impl Strategy<Value = (InputKind, ProcessParams)> {
    let input = select(vec![InputKind::Video, InputKind::Image]);
    input.prop_flat_map(|input| {
        let allowed: Vec<OutputFormat> = OutputFormat::ALL
            .iter()
            .copied()
            .filter(|f| input == InputKind::Image || !f.is_image_only())
            .collect();
        let n = allowed.len();
        let formats = subsequence(allowed, 0..=n).prop_shuffle();
        let trim = if input == InputKind::Video {
            option::of(trim()).boxed()
        } else {
            Just(None).boxed()
        };
        let head = (
            option::of(token()),
            formats,
            option::of(token()),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            option::of(select(FootLockingMode::ALL.to_vec())),
            option::of(1.0f64..=8.0),
            option::of(0.0f64..=1.0),
        );
        let tail = (
            option::of(any::<bool>()),
            trim,
            option::of(crop()),
            option::of(any::<bool>()),
            option::of(any::<[u8; 4]>()),
            option::of(token()),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            option::of(select(CamMode::ALL.to_vec())),
        );
        (Just(input), head, tail).prop_map(|(input, h, t)| {
            let params = ProcessParams {
                config: h.0,
                formats: h.1,
                extra_formats: Vec::new(),
                model: h.2,
                sim: h.3,
                track_face: h.4,
                track_hand: h.5,
                foot_locking_mode: h.6,
                video_speed_multiplier: h.7,
                pose_filtering_strength: h.8,
                root_at_origin: t.0,
                trim: t.1,
                crop: t.2,
                render_sbs: t.3,
                render_bg_color: t.4,
                render_backdrop: t.5,
                render_shadow: t.6,
                render_include_audio: t.7,
                render_cam_mode: t.8,
                pipeline: None,
                models: Vec::new(),
                extra: Vec::new(),
            };
            (input, params)
        })
    })
}

/// Randomly spells a key canonically or by one of its aliases.
fn spelled(canonical: &'static str) -> BoxedStrategy<String> {
    let (_, aliases) = PARAMETER_KEYS
        .iter()
        .find(|(k, _)| *k == canonical)
        .unwrap();
    let mut names = vec![canonical.to_owned()];
    names.extend(aliases.iter().map(|a| (*a).to_owned()));
    select(names).boxed()
}

fn random_case(s: &str) -> BoxedStrategy<String> {
    let s = s.to_owned();
    prop::collection::vec(any::<bool>(), s.len())
        .prop_map(move |up| {
            s.chars()
                .zip(up)
                .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
                .collect()
        })
        .boxed()
}

/// Wire strings using aliases, mixed case and spaces, from valid params.
fn alias_inputs() -> impl Strategy<Value = Vec<String>> {
    (valid_params(), any::<bool>()).prop_flat_map(|((_, params), spaced)| {
        let pad = if spaced { " " } else { "" };
        let mut items: Vec<BoxedStrategy<String>> = Vec::new();
        for item in params.to_params() {
            let (key, value) = item.split_once('=').unwrap();
            let canonical = PARAMETER_KEYS.iter().find(|(k, _)| *k == key).unwrap().0;
            let value_strategy =
                if canonical == keys::FORMATS || canonical == keys::FOOT_LOCKING_MODE {
                    random_case(value)
                } else {
                    Just(value.to_owned()).boxed()
                };
            let pad = pad.to_owned();
            items.push(
                (spelled(canonical), value_strategy)
                    .prop_map(move |(k, v)| format!("{pad}{k}{pad}={pad}{v}{pad}"))
                    .boxed(),
            );
        }
        items.prop_shuffle()
    })
}

fn all_key_spellings() -> Vec<&'static str> {
    PARAMETER_KEYS
        .iter()
        .flat_map(|(k, aliases)| std::iter::once(*k).chain(aliases.iter().copied()))
        .collect()
}

fn one(field: &str, rule: Rule) -> Vec<(String, Rule)> {
    vec![(field.to_owned(), rule)]
}

proptest! {
    #[test]
    fn valid_params_round_trip((input, params) in valid_params()) {
        prop_assert_eq!(params.validate(input, None).errors_only(), Ok(()));
        let wire = params.to_params();
        let parsed = ProcessParams::parse(&wire).unwrap();
        prop_assert_eq!(&parsed, &params);
        prop_assert_eq!(parsed.to_params(), wire);
    }

    #[test]
    fn alias_inputs_are_stable(input in alias_inputs()) {
        let first = ProcessParams::parse(&input).unwrap();
        let wire = first.to_params();
        let second = ProcessParams::parse(&wire).unwrap();
        prop_assert_eq!(&second, &first);
        prop_assert_eq!(second.to_params(), wire);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_strings(items in prop::collection::vec(".*", 0..8)) {
        let _ = ProcessParams::parse(&items);
    }

    #[test]
    fn parse_never_panics_on_known_keys(
        items in prop::collection::vec((select(all_key_spellings()), ".{0,40}", "[=, ]{0,2}"), 0..10)
    ) {
        let items: Vec<String> = items.into_iter().map(|(k, v, sep)| format!("{k}={v}{sep}")).collect();
        if let Ok(parsed) = ProcessParams::parse(&items) {
            let _ = parsed.validate(InputKind::Video, Some(1.0)).errors_only();
            let _ = ProcessParams::parse(&parsed.to_params());
        }
    }

    #[test]
    fn unknown_keys_pass_through_with_a_warning(key in "[a-zA-Z.]{1,20}", value in "[0-9a-z]{1,5}") {
        prop_assume!(!all_key_spellings().contains(&key.as_str()));
        let raw = format!("{key}={value}");
        let parsed = ProcessParams::parse(std::slice::from_ref(&raw)).unwrap();
        prop_assert_eq!(parsed.to_params(), vec![raw]);
        prop_assert_eq!(frs(&motionkit_validation::Violations(parsed.warnings())), one(&key, Rule::UnknownParameter));
    }

    #[test]
    fn items_without_equals_are_syntax_errors(item in "[a-zA-Z.]{1,20}") {
        let err = ProcessParams::parse(&[item.as_str()]).unwrap_err();
        prop_assert_eq!(frs(&err), one(&item, Rule::Syntax));
    }

    #[test]
    fn duplicates_are_reported_including_aliases(
        (canonical, aliases) in select(PARAMETER_KEYS.to_vec()),
        use_alias in any::<bool>(),
    ) {
        let value = match canonical {
            keys::FORMATS => "bvh",
            keys::FOOT_LOCKING_MODE => "auto",
            keys::VIDEO_SPEED_MULTIPLIER => "2",
            keys::TRIM => "0,1",
            keys::CROP => "0,0,1,1",
            keys::RENDER_BG_COLOR => "0,177,64,0",
            keys::CONFIG | keys::MODEL | keys::RENDER_BACKDROP => "x",
            keys::PIPELINE => "mp_detection",
            keys::MODELS => r#"[{"trackingId":"001","modelId":"m"}]"#,
            _ => "1",
        };
        let second = if use_alias && !aliases.is_empty() { aliases[0] } else { canonical };
        let err = ProcessParams::parse(&[format!("{canonical}={value}"), format!("{second}={value}")]).unwrap_err();
        prop_assert_eq!(frs(&err), one(second, Rule::Duplicate));
    }

    #[test]
    fn bad_flags_are_reported(
        key in select(vec![keys::SIM, keys::TRACK_FACE, keys::TRACK_HAND, keys::ROOT_AT_ORIGIN,
            keys::RENDER_SBS, keys::RENDER_SHADOW, keys::RENDER_INCLUDE_AUDIO]),
        value in "[0-9a-z]{1,3}".prop_filter("not a flag", |v| v != "0" && v != "1"),
    ) {
        let err = ProcessParams::parse(&[format!("{key}={value}")]).unwrap_err();
        prop_assert_eq!(frs(&err), one(key, Rule::Flag));
    }

    #[test]
    fn bad_enumerations_are_reported(
        key in select(vec![keys::FOOT_LOCKING_MODE, keys::RENDER_CAM_MODE]),
        value in "[a-z3-9]{1,8}",
    ) {
        prop_assume!(FootLockingMode::from_wire(&value).is_none());
        let err = ProcessParams::parse(&[format!("{key}={value}")]).unwrap_err();
        prop_assert_eq!(frs(&err), one(key, Rule::OneOf));
    }

    #[test]
    fn unknown_formats_pass_through_with_a_warning(value in "[a-z3-9]{1,8}") {
        prop_assume!(OutputFormat::from_wire(&value).is_none());
        let parsed = ProcessParams::parse(&[format!("formats=bvh,{value}")]).unwrap();
        prop_assert_eq!(parsed.extra_formats.clone(), vec![value.clone()]);
        prop_assert_eq!(parsed.to_params(), vec![format!("formats=bvh,{value}")]);
        prop_assert!(parsed.validate(InputKind::Video, None).errors_only().is_ok());
        prop_assert_eq!(frs(&motionkit_validation::Violations(parsed.warnings())), one(keys::FORMATS, Rule::OneOf));
    }

    #[test]
    fn speed_out_of_range_fails(
        (input, params) in valid_params(),
        v in prop_oneof![-100.0f64..1.0, 8.000_001f64..100.0],
    ) {
        let err = params.video_speed_multiplier(v).validate(input, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(keys::VIDEO_SPEED_MULTIPLIER, Rule::Range));
    }

    #[test]
    fn strength_out_of_range_fails(
        (input, params) in valid_params(),
        v in prop_oneof![-100.0f64..-1e-9, 1.000_001f64..100.0],
    ) {
        let err = params.pose_filtering_strength(v).validate(input, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(keys::POSE_FILTERING_STRENGTH, Rule::Range));
    }

    #[test]
    fn non_finite_numbers_fail(
        (input, params) in valid_params(),
        v in select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
        speed in any::<bool>(),
    ) {
        let (params, field) = if speed {
            (params.video_speed_multiplier(v), keys::VIDEO_SPEED_MULTIPLIER)
        } else {
            (params.pose_filtering_strength(v), keys::POSE_FILTERING_STRENGTH)
        };
        let err = params.validate(input, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(field, Rule::NotFinite));
    }

    #[test]
    fn image_formats_need_an_image(
        (_, params) in valid_params().prop_filter("video", |(i, _)| *i == InputKind::Video),
        format in select(vec![OutputFormat::Png, OutputFormat::Jpg]),
    ) {
        let err = params.format(format).validate(InputKind::Video, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(keys::FORMATS, Rule::ImageInputOnly));
    }

    #[test]
    fn trim_needs_a_video(
        (_, params) in valid_params().prop_filter("image", |(i, _)| *i == InputKind::Image),
        t in trim(),
    ) {
        let err = params.trim(t.from, t.to).validate(InputKind::Image, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(keys::TRIM, Rule::VideoInputOnly));
    }

    #[test]
    fn trim_is_checked_against_the_duration(t in trim(), extra in 0.0f64..10.0) {
        let params = ProcessParams::new().trim(t.from, t.to);
        prop_assert!(params.validate(InputKind::Video, Some(t.to)).errors_only().is_ok());
        prop_assert!(params.validate(InputKind::Video, Some(t.to + extra)).errors_only().is_ok());
        // Beyond the duration: a documented failure (error 503), refused
        // unless forced, not an error.
        prop_assert!(params.validate(InputKind::Video, Some(t.to * 0.5)).errors_only().is_ok());
        let findings = params.validate(InputKind::Video, Some(t.to * 0.5));
        let refused = findings.clone().into_result(false).unwrap_err();
        prop_assert_eq!(frs(&refused), one(keys::TRIM, Rule::TrimBeyondDuration));
        prop_assert_eq!(findings.into_result(true).unwrap().len(), 1);
    }

    #[test]
    fn duplicate_formats_fail((input, params) in valid_params().prop_filter("has formats", |(_, p)| !p.formats.is_empty())) {
        let again = params.formats[0];
        let err = params.format(again).validate(input, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(keys::FORMATS, Rule::Duplicate));
    }

    #[test]
    fn tokens_with_whitespace_fail(
        (input, params) in valid_params(),
        which in 0usize..3,
        bad in "([a-z]{0,3}[ \t\n][a-z]{0,3})?",
    ) {
        let (params, field) = match which {
            0 => (params.config(bad), keys::CONFIG),
            1 => (params.model(bad), keys::MODEL),
            _ => (params.render_backdrop(bad), keys::RENDER_BACKDROP),
        };
        let err = params.validate(input, None).errors_only().unwrap_err();
        prop_assert_eq!(frs(&err), one(field, Rule::Syntax));
    }
}
