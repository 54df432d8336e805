//! `GET /list` bodies: `ListResponse` decodes without panicking and
//! round-trips through JSON unchanged (and `deepmotion::reencode` agrees);
//! status names round-trip and only SUCCESS and FAILURE are terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{reencoded, text};
use motionkit_models::deepmotion::{JobStatus, ListResponse, reencode};

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    let Some(parsed) = reencoded::<ListResponse>(reencode, "ListResponse", json) else {
        return;
    };
    for entry in &parsed.list {
        assert_eq!(JobStatus::from_wire(entry.status.as_str()), entry.status);
        assert_eq!(
            entry.status.is_terminal(),
            matches!(entry.status, JobStatus::Success | JobStatus::Failure)
        );
    }
});
