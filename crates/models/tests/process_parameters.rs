//! The typed `/process` parameters in `motionkit-validation` cover exactly
//! the keys and aliases of `specs/deepmotion.json`.

use motionkit_models::deepmotion::PROCESS_PARAMETERS;
use motionkit_validation::PARAMETER_KEYS;

#[test]
fn validation_keys_match_the_spec_table() {
    let from_spec: Vec<(&str, Vec<&str>)> = PROCESS_PARAMETERS
        .iter()
        .map(|p| (p.key, p.aliases.to_vec()))
        .collect();
    let mut from_validation: Vec<(&str, Vec<&str>)> = PARAMETER_KEYS
        .iter()
        .map(|(key, aliases)| (*key, aliases.to_vec()))
        .collect();
    let mut sorted_spec = from_spec.clone();
    sorted_spec.sort();
    from_validation.sort();
    assert_eq!(from_validation, sorted_spec);
    // The document's 18, and `pipeline` and `models` from the official SDK.
    assert_eq!(from_spec.len(), 20);
}

#[test]
fn spec_defaults_parse_as_valid_values() {
    for param in PROCESS_PARAMETERS {
        if let Some(default) = param.default {
            let line = format!("{}={default}", param.key);
            motionkit_validation::ProcessParams::parse(&[line.as_str()])
                .unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }
}
