//! `GET /status/{rids}` bodies: `StatusResponse` decodes without panicking,
//! round-trips through JSON unchanged (and `deepmotion::reencode` agrees),
//! status names round-trip, and `StatusDetails::failure()` /
//! `documented_code` only report a documented code that appears in the
//! exception text as a whole number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{check_code, reencoded, text};
use motionkit_models::deepmotion::{JobStatus, StatusResponse, reencode};

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    check_code(json);
    let Some(parsed) = reencoded::<StatusResponse>(reencode, "StatusResponse", json) else {
        return;
    };
    for entry in &parsed.status {
        assert_eq!(JobStatus::from_wire(entry.status.as_str()), entry.status);
        let _ = entry.status.is_terminal();
        let Some(details) = &entry.details else {
            continue;
        };
        let _ = details.progress();
        let reason = details.failure();
        let _ = reason.to_string();
        assert_eq!(reason.exc_message, details.exc_message);
        assert_eq!(reason.exc_type, details.exc_type);
        for text in [&details.exc_message, &details.exc_type]
            .into_iter()
            .flatten()
        {
            check_code(text);
        }
        if reason.code.is_some() {
            let found = [&details.exc_message, &details.exc_type]
                .into_iter()
                .flatten()
                .find_map(|t| motionkit_models::documented_code(t));
            assert_eq!(reason.code, found);
        }
    }
});
