//! PostgREST `GET /rest/themes` bodies: `Vec<Theme>` (and a single `Theme`)
//! decodes without panicking and round-trips through JSON unchanged, with
//! `pattern: null` kept apart from an absent pattern. `Theme::rules()`
//! gives one rule per known parameter type (named by id) and one unknown
//! name per other parameter; validating no values reports exactly one
//! `Required` per rule; validating derived values (fuzzed regex patterns
//! included) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{roundtrip, text};
use motionkit_models::motiondynamic::Theme;
use motionkit_validation::Rule;
use motionkit_validation::{ParameterKind, check_values, validate_values};

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    let themes = match roundtrip::<Theme>(json) {
        Some(theme) => vec![theme],
        None => roundtrip::<Vec<Theme>>(json).unwrap_or_default(),
    };
    for theme in &themes {
        check(theme);
    }
});

fn check(theme: &Theme) {
    let parameters = theme.parameters.as_deref().unwrap_or_default();
    for parameter in parameters {
        let text = parameter.parameter.pattern.is_some();
        let encoded = serde_json::to_value(parameter).unwrap();
        assert_eq!(encoded["parameter"].get("pattern").is_some(), text);
    }
    let (rules, unknown) = theme.rules();
    // Parameters of unknown types get a rule that checks nothing.
    assert_eq!(rules.len(), parameters.len());
    assert_eq!(
        unknown.len(),
        parameters.iter().filter(|p| p.kind.is_unknown()).count()
    );
    for (rule, parameter) in rules.iter().zip(parameters) {
        assert_eq!(rule.id, parameter.id());
        assert_eq!(rule.layer, parameter.display_name());
        if !parameter.kind.is_unknown() {
            assert_eq!(rule.kind.type_name(), parameter.kind.as_str());
        }
    }

    // Missing values are warnings, never errors.
    let empty: [(&str, &str); 0] = [];
    assert!(validate_values(&rules, &empty).is_ok());
    let found = check_values(&rules, &empty);
    assert_eq!(found.warnings.len(), rules.len());
    assert!(found.warnings.iter().all(|v| v.rule == Rule::Required));

    let values: Vec<(String, String)> = rules
        .iter()
        .map(|rule| {
            let value = match &rule.kind {
                ParameterKind::Text { .. } => rule.layer.clone(),
                ParameterKind::Color => "0000FF".to_owned(),
                ParameterKind::Picture { accept, .. } => {
                    format!(
                        "https://example.com/p.{}",
                        accept.first().map_or("png", |a| a)
                    )
                }
                ParameterKind::Output { layers } => layers.first().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            (rule.id.clone(), value)
        })
        .collect();
    if let Err(violations) = validate_values(&rules, &values) {
        let _ = violations.to_string();
    }
}
