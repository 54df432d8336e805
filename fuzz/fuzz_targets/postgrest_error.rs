//! PostgREST error bodies: `PostgrestError` decodes without panicking,
//! round-trips through JSON unchanged (`motiondynamic::reencode` agrees),
//! and keeps `"details": null` / `"hint": null` apart from absent fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{reencoded, text};
use motionkit_models::motiondynamic::{PostgrestError, reencode};

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    let Some(error) = reencoded::<PostgrestError>(reencode, "PostgrestError", json) else {
        return;
    };
    let raw: serde_json::Value = serde_json::from_str(json).expect("decoded JSON is JSON");
    // serde also reads a struct from an array; the null/absent rule is about objects.
    if !raw.is_object() {
        return;
    }
    assert_eq!(error.details.is_some(), raw.get("details").is_some());
    assert_eq!(error.hint.is_some(), raw.get("hint").is_some());
    if raw.get("hint").is_some_and(|h| h.is_null()) {
        assert_eq!(error.hint, Some(None));
    }
});
