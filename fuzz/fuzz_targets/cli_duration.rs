//! The CLI's duration options (`generate --timeout`) through
//! `motionkit_cli::parse_duration`: never panics; an accepted duration is
//! at least 1 s and at most `MAX_DURATION`, adding it to `Instant::now()`
//! cannot overflow, and its seconds written back parse to the same value.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use motionkit_cli::{MAX_DURATION, parse_duration};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(duration) = parse_duration(&text) else {
        return;
    };
    assert!(duration >= Duration::from_secs(1), "{text:?}: {duration:?}");
    assert!(duration <= MAX_DURATION, "{text:?}: {duration:?}");
    assert!(Instant::now().checked_add(duration).is_some());
    let again = parse_duration(&duration.as_secs().to_string());
    assert_eq!(again, Ok(duration), "{text:?}");
});
