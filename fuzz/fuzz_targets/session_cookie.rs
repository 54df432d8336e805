//! `Set-Cookie` values from a login answer through `cookie_lifetime`:
//! never panics (no overflow of an instant computed from `Max-Age` or
//! `Expires`), and a lifetime is never longer than `MAX_SESSION_LIFETIME`.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use motionkit_transport::{MAX_SESSION_LIFETIME, cookie_lifetime};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let headers: Vec<&str> = text.split('\n').collect();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    if let Some(Some(lifetime)) = cookie_lifetime(headers.iter().copied(), "dmsess", now) {
        assert!(lifetime <= MAX_SESSION_LIFETIME, "{lifetime:?}");
    }
});
