use super::*;
use crate::process_table::VIDEO_SPEED_MULTIPLIER_RANGE;

fn rules_and_fields(err: &Violations) -> Vec<(String, Rule)> {
    err.iter().map(|v| (v.field.clone(), v.rule)).collect()
}

#[test]
fn the_generated_table_drives_the_checks() {
    // Shipped table: videoSpeedMultiplier is 1.0..=8.0.
    let params = ProcessParams::new().video_speed_multiplier(6.0);
    assert!(
        params
            .validate(InputKind::Video, None)
            .errors_only()
            .is_ok()
    );
    assert_eq!(VIDEO_SPEED_MULTIPLIER_RANGE, (1.0, 8.0));
    // The same table with the range the spec would have after a change
    // (xtask/tests/codegen.rs shows codegen writes it): 6 is refused.
    let narrowed: Vec<ProcessParameterSpec> = PROCESS_PARAMETERS
        .iter()
        .map(|p| match p.key {
            keys::VIDEO_SPEED_MULTIPLIER => ProcessParameterSpec {
                maximum: Some(4.0),
                ..*p
            },
            _ => *p,
        })
        .collect();
    let found = params.check_in(&narrowed, InputKind::Video, None);
    assert_eq!(found.errors.len(), 1);
    assert_eq!(found.errors.0[0].rule, Rule::Range);
    assert_eq!(found.errors.0[0].limit, "1.0..=4.0");
}

#[test]
fn enumerations_match_the_generated_table() {
    let values = |key: &str| {
        let mut v: Vec<&str> = PROCESS_PARAMETERS
            .iter()
            .find(|p| p.key == key)
            .unwrap()
            .values
            .to_vec();
        v.sort_unstable();
        v
    };
    let sorted = |mut v: Vec<&'static str>| {
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(OutputFormat::names()), values(keys::FORMATS));
    assert_eq!(
        sorted(FootLockingMode::names()),
        values(keys::FOOT_LOCKING_MODE)
    );
    let modes: Vec<String> = CamMode::ALL.iter().map(|m| m.code().to_string()).collect();
    assert_eq!(values(keys::RENDER_CAM_MODE), modes);
    assert_eq!(sorted(Pipeline::names()), values(keys::PIPELINE));
    // Every typed key is in the table, and the table has no other key.
    for (key, _) in PARAMETER_KEYS {
        assert!(canonical_key(key).is_some());
    }
    assert_eq!(PARAMETER_KEYS.len(), PROCESS_PARAMETERS.len());
}

#[test]
fn twenty_keys() {
    // The document's 18, and `pipeline` and `models` from the official SDK.
    assert_eq!(PARAMETER_KEYS.len(), 20);
    assert_eq!(
        canonical_key("poseEstimation.videoSpeedMultiplier"),
        Some("videoSpeedMultiplier")
    );
    assert_eq!(canonical_key("render.CamMode"), Some("render.CamMode"));
    assert_eq!(canonical_key("render.cammode"), None);
}

#[test]
fn every_field_renders_in_order() {
    let params = ProcessParams::new()
        .config("configDefault")
        .formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Mp4])
        .model("abc123")
        .sim(false)
        .track_face(true)
        .track_hand(true)
        .foot_locking_mode(FootLockingMode::Grounding)
        .video_speed_multiplier(2.0)
        .pose_filtering_strength(0.5)
        .root_at_origin(true)
        .trim(1.0, 2.6)
        .crop(0.239, 0.121, 0.742, 0.981)
        .render_sbs(false)
        .render_bg_color([0, 177, 64, 0])
        .render_backdrop("studio")
        .render_shadow(true)
        .render_include_audio(false)
        .render_cam_mode(CamMode::Face);
    let wire = params.to_params();
    assert_eq!(
        wire,
        [
            "config=configDefault",
            "formats=bvh,fbx,mp4",
            "model=abc123",
            "sim=0",
            "trackFace=1",
            "trackHand=1",
            "footLockingMode=grounding",
            "videoSpeedMultiplier=2",
            "poseFilteringStrength=0.5",
            "rootAtOrigin=1",
            "trim=1,2.6",
            "crop=0.239,0.121,0.742,0.981",
            "render.sbs=0",
            "render.bgColor=0,177,64,0",
            "render.backdrop=studio",
            "render.shadow=1",
            "render.includeAudio=0",
            "render.CamMode=2",
        ]
    );
    assert_eq!(ProcessParams::parse(&wire).unwrap(), params);
    assert!(
        params
            .validate(InputKind::Video, Some(3.0))
            .errors_only()
            .is_ok()
    );
    assert!(params.warnings().is_empty());
}

#[test]
fn aliases_parse_to_canonical_keys() {
    let parsed = ProcessParams::parse(&[
        "poseEstimation.footLockingMode=Never",
        "poseEstimation.videoSpeedMultiplier=2",
        "poseEstimation.poseFilteringStrength=0.25",
        " formats = BVH, fbx ",
    ])
    .unwrap();
    assert_eq!(parsed.foot_locking_mode, Some(FootLockingMode::Never));
    assert_eq!(parsed.video_speed_multiplier, Some(2.0));
    assert_eq!(parsed.pose_filtering_strength, Some(0.25));
    assert_eq!(parsed.formats, [OutputFormat::Bvh, OutputFormat::Fbx]);
    assert_eq!(
        parsed.to_params(),
        [
            "formats=bvh,fbx",
            "footLockingMode=never",
            "videoSpeedMultiplier=2",
            "poseFilteringStrength=0.25",
        ]
    );
}

#[test]
fn parse_reports_everything() {
    let err = ProcessParams::parse(&[
        "sim",
        "=1",
        "",
        "trackface=1",
        "bogus=1",
        "footLockingMode=auto",
        "poseEstimation.footLockingMode=never",
        "formats=bvh,,fbx",
        "render.CamMode=3",
        "render.bgColor=0,177,64",
        "trim=1",
        "crop=a,b,c,d",
        "videoSpeedMultiplier=fast",
        "poseFilteringStrength=NaN",
        "rootAtOrigin=2",
        "model=",
    ])
    .unwrap_err();
    let expected: Vec<(String, Rule)> = [
        ("sim", Rule::Syntax),
        ("params[1]", Rule::Syntax),
        ("params[2]", Rule::Syntax),
        ("poseEstimation.footLockingMode", Rule::Duplicate),
        ("formats", Rule::Syntax),
        ("render.CamMode", Rule::OneOf),
        ("render.bgColor", Rule::Rgba),
        ("trim", Rule::Syntax),
        ("crop", Rule::Syntax),
        ("videoSpeedMultiplier", Rule::Syntax),
        ("poseFilteringStrength", Rule::NotFinite),
        ("rootAtOrigin", Rule::Flag),
        ("model", Rule::Syntax),
    ]
    .into_iter()
    .map(|(f, r)| (f.to_owned(), r))
    .collect();
    assert_eq!(rules_and_fields(&err), expected);
}

#[test]
fn unknown_parameters_pass_through_with_a_warning() {
    let parsed = ProcessParams::parse(&["formats=bvh", "camera=1", "trackface=1"]).unwrap();
    assert_eq!(
        parsed.extra,
        [
            ("camera".to_owned(), "1".to_owned()),
            ("trackface".to_owned(), "1".to_owned())
        ]
    );
    assert!(
        parsed
            .validate(InputKind::Video, None)
            .errors_only()
            .is_ok()
    );
    assert_eq!(
        parsed.to_params(),
        ["formats=bvh", "camera=1", "trackface=1"]
    );
    let warnings = parsed.warnings();
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0].rule, Rule::UnknownParameter);
    assert_eq!(warnings[0].field, "camera");
    assert!(
        warnings[1].limit.contains("did you mean trackFace?"),
        "{}",
        warnings[1]
    );
    let built = ProcessParams::new().extra("camera", "1");
    assert_eq!(built.to_params(), ["camera=1"]);
    assert_eq!(ProcessParams::parse(&built.to_params()).unwrap(), built);
    // A documented key goes through its typed setter; an extra is given once.
    let err = ProcessParams::new()
        .extra("sim", "1")
        .extra("camera", "1")
        .extra("camera", "2")
        .extra("bad key", "x")
        .validate(InputKind::Video, None)
        .errors_only()
        .unwrap_err();
    assert_eq!(
        rules_and_fields(&err),
        [
            ("sim".to_owned(), Rule::Duplicate),
            ("camera".to_owned(), Rule::Duplicate),
            ("bad key".to_owned(), Rule::Syntax),
        ]
    );
    let err = ProcessParams::parse(&["camera=1", "camera=2"]).unwrap_err();
    assert_eq!(err.0[0].rule, Rule::Duplicate);
}

#[test]
fn huge_keys_are_shortened() {
    let key = "k".repeat(10_000);
    let err = ProcessParams::parse(&[format!("{key}=1"), key.clone()]).unwrap_err();
    assert_eq!(err.len(), 2);
    for v in err.iter() {
        assert!(v.field.chars().count() <= crate::error::VALUE_EXCERPT_CHARS + 1);
        assert!(v.value.chars().count() <= crate::error::VALUE_EXCERPT_CHARS + 1);
    }
}

#[test]
fn unknown_enum_values() {
    let err = ProcessParams::parse(&["formats=bvh,gif", "footLockingMode=sometimes"]).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert_eq!(err.0[0].rule, Rule::OneOf);
    assert_eq!(err.0[0].field, "footLockingMode");
    // An output format this crate does not know is sent as given, with a
    // warning: the documents give no closed list of formats.
    let parsed = ProcessParams::parse(&["formats=bvh,USDZ"]).unwrap();
    assert_eq!(parsed.formats, [OutputFormat::Bvh]);
    assert_eq!(parsed.extra_formats, ["USDZ"]);
    assert_eq!(parsed.to_params(), ["formats=bvh,USDZ"]);
    let warnings = parsed.warnings();
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (warnings[0].rule, warnings[0].value.as_str()),
        (Rule::OneOf, "USDZ")
    );
    assert!(warnings[0].is_warning());
    assert!(
        parsed
            .validate(InputKind::Video, None)
            .errors_only()
            .is_ok()
    );
    // Still well-formed and bounded.
    for bad in [
        "formats=bvh,a b",
        "formats=usdz,USDZ",
        &format!("formats={}", "x".repeat(33)),
    ] {
        assert!(ProcessParams::parse(&[bad]).is_err(), "{bad}");
    }
    let err = ProcessParams::parse(&["poseEstimation.footLockingMode=x"]).unwrap_err();
    assert_eq!(err.0[0].field, "poseEstimation.footLockingMode");
}

#[test]
fn validate_cross_field_rules() {
    let params = ProcessParams::new()
        .formats([OutputFormat::Bvh, OutputFormat::Png, OutputFormat::Bvh])
        .trim(0.0, 1.0);
    let err = params
        .validate(InputKind::Video, None)
        .errors_only()
        .unwrap_err();
    assert_eq!(
        rules_and_fields(&err),
        [
            ("formats".to_owned(), Rule::ImageInputOnly),
            ("formats".to_owned(), Rule::Duplicate),
        ]
    );
    let err = params
        .validate(InputKind::Image, None)
        .errors_only()
        .unwrap_err();
    assert_eq!(
        rules_and_fields(&err),
        [
            ("formats".to_owned(), Rule::Duplicate),
            ("trim".to_owned(), Rule::VideoInputOnly),
        ]
    );
}

#[test]
fn validate_ranges_and_tokens() {
    let params = ProcessParams::new()
        .config("")
        .model("my model")
        .video_speed_multiplier(8.5)
        .pose_filtering_strength(f64::NAN)
        .trim(2.0, 11.0)
        .crop(0.5, 0.0, 0.5, 1.0)
        .render_backdrop("studio\n");
    let err = params
        .validate(InputKind::Video, Some(10.0))
        .errors_only()
        .unwrap_err();
    assert_eq!(
        rules_and_fields(&err),
        [
            ("config".to_owned(), Rule::Syntax),
            ("model".to_owned(), Rule::Syntax),
            ("videoSpeedMultiplier".to_owned(), Rule::Range),
            ("poseFilteringStrength".to_owned(), Rule::NotFinite),
            ("crop".to_owned(), Rule::CropOrder),
            ("render.backdrop".to_owned(), Rule::Syntax),
        ]
    );
    assert_eq!(err.0[2].limit, "1.0..=8.0");
    // Beyond the duration is a documented failure (error 503), not an error.
    let findings = params.validate(InputKind::Video, Some(10.0));
    assert_eq!(findings.failures.len(), 1);
    assert_eq!(findings.failures[0].rule, Rule::TrimBeyondDuration);
}

#[test]
fn image_input_allows_png() {
    let params =
        ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Png]);
    assert!(
        params
            .validate(InputKind::Image, None)
            .errors_only()
            .is_ok()
    );
    assert_eq!(params.to_params(), ["formats=bvh,fbx,png"]);
}

#[test]
fn advisories_for_ineffective_combinations() {
    let params = ProcessParams::new()
        .formats([OutputFormat::Bvh])
        .render_bg_color([0, 177, 64, 0])
        .render_backdrop("studio")
        .sim(true)
        .model("m1");
    let fields: Vec<String> = params.warnings().into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["render.bgColor", "render.backdrop", "formats"]);
    assert!(params.warnings().iter().all(Violation::is_warning));
    assert!(
        params
            .validate(InputKind::Video, None)
            .errors_only()
            .is_ok()
    );
    // sim=1 with a custom model is a documented failure (error 505):
    // refused unless forced, reported either way.
    let findings = params.validate(InputKind::Video, None);
    assert!(findings.errors.is_empty());
    assert_eq!(findings.failures.len(), 1);
    assert_eq!(findings.failures[0].field, "sim");
    assert_eq!(findings.failures[0].severity, Severity::DocumentedFailure);
    assert_eq!(findings.warnings.len(), 3);
    let refused = findings.clone().into_result(false).unwrap_err();
    assert_eq!(refused.0[0].field, "sim");
    assert_eq!(findings.into_result(true).unwrap().len(), 4);
    let fine = ProcessParams::new()
        .formats([OutputFormat::Mp4])
        .render_sbs(false)
        .render_bg_color([0, 177, 64, 0]);
    assert!(fine.warnings().is_empty());
}

#[test]
fn enum_strings() {
    assert_eq!("MP4".parse::<OutputFormat>(), Ok(OutputFormat::Mp4));
    assert_eq!("1".parse::<CamMode>(), Ok(CamMode::Fixed));
    assert_eq!("x".parse::<CamMode>().unwrap_err().rule, Rule::OneOf);
    assert_eq!(CamMode::from_code(3), None);
    assert_eq!(
        FootLockingMode::names(),
        ["auto", "always", "never", "grounding"]
    );
}

#[test]
fn multi_person_parameters_round_trip() {
    let params = ProcessParams::new()
        .formats([OutputFormat::Fbx])
        .models([PersonModel::new("001", "m1"), PersonModel::new("002", "m2")]);
    let wire = params.to_params();
    assert_eq!(
        wire,
        [
            "formats=fbx",
            r#"models=[{"trackingId":"001","modelId":"m1"},{"trackingId":"002","modelId":"m2"}]"#,
        ]
    );
    assert_eq!(ProcessParams::parse(&wire).unwrap(), params);
    // The SDK's own spelling (Python's json.dumps, with spaces) parses too.
    let sdk = ProcessParams::parse(&[
        "pipeline=mp_detection",
        r#"models=[{"trackingId": "003", "modelId": "x"}]"#,
    ])
    .unwrap();
    assert_eq!(sdk.pipeline, Some(Pipeline::MpDetection));
    assert_eq!(sdk.models, [PersonModel::new("003", "x")]);
    assert_eq!(sdk.to_params()[0], "pipeline=mp_detection");

    let broken = ProcessParams::parse(&["models=001:m1", "pipeline=single"]).unwrap_err();
    assert_eq!(
        rules_and_fields(&broken),
        [
            ("models".to_owned(), Rule::Syntax),
            ("pipeline".to_owned(), Rule::OneOf)
        ]
    );
    let twice = ProcessParams::new()
        .models([PersonModel::new("001", "a"), PersonModel::new("001", "b")])
        .validate(InputKind::Video, None)
        .errors_only()
        .unwrap_err();
    assert_eq!(
        rules_and_fields(&twice),
        [("models".to_owned(), Rule::Duplicate)]
    );
}
