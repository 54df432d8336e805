//! Server-chosen file names through `sanitize_file_name`: never panics; a
//! result is never empty, `.` or `..`, has no `/`, `\`, `..`, control or
//! bidi characters, none of `<>:"|?*`, no leading or trailing dot or
//! whitespace, fits `MAX_FILE_NAME_BYTES`, and is its own sanitized name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_transport::{MAX_FILE_NAME_BYTES, sanitize_file_name};

fuzz_target!(|data: &[u8]| {
    let name = String::from_utf8_lossy(data);
    let Ok(clean) = sanitize_file_name(&name) else {
        return;
    };
    assert!(!clean.is_empty());
    assert!(clean != "." && clean != "..");
    assert!(!clean.contains(['/', '\\']), "{clean:?}");
    assert!(!clean.contains(".."), "{clean:?}");
    assert!(
        !clean.contains(['<', '>', ':', '"', '|', '?', '*']),
        "{clean:?}"
    );
    assert!(!clean.chars().any(char::is_control), "{clean:?}");
    assert!(!clean.contains(['\u{200E}', '\u{200F}', '\u{202E}', '\u{2066}', '\u{FEFF}']));
    let edge = |c: char| c == '.' || c.is_whitespace();
    assert!(
        !clean.starts_with(edge) && !clean.ends_with(edge),
        "{clean:?}"
    );
    assert!(clean.len() <= MAX_FILE_NAME_BYTES, "{} bytes", clean.len());
    assert_eq!(
        sanitize_file_name(&clean).ok().as_deref(),
        Some(clean.as_str())
    );
});
