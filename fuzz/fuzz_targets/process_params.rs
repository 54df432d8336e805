//! `key=value` `/process` parameters (one per line): `ProcessParams::parse`
//! never panics and a failure names at least one violation; when parsing
//! succeeds, `to_params()` parses back to the same value and renders the
//! same strings again, and `validate` / `check` / `warnings` never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_validation::{InputKind, ProcessParams};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let items: Vec<&str> = text.split('\n').collect();
    let params = match ProcessParams::parse(&items) {
        Ok(params) => params,
        Err(violations) => {
            assert!(!violations.is_empty());
            let _ = violations.to_string();
            return;
        }
    };
    let wire = params.to_params();
    let again = ProcessParams::parse(&wire)
        .unwrap_or_else(|e| panic!("to_params() does not parse back: {wire:?}: {e}"));
    assert_eq!(again, params, "round-trip changed the value; wire {wire:?}");
    assert_eq!(again.to_params(), wire);

    let duration = params.trim.map(|t| t.to);
    for input in [InputKind::Video, InputKind::Image] {
        for duration in [None, Some(10.0), duration, Some(f64::NAN)] {
            if let Err(violations) = params.validate(input, duration).errors_only() {
                assert!(!violations.is_empty());
                let _ = violations.to_string();
            }
            let findings = params.validate(input, duration);
            assert!(findings.warnings.iter().all(|w| w.is_warning()));
        }
    }
    for advice in params.warnings() {
        let _ = advice.to_string();
    }
});
