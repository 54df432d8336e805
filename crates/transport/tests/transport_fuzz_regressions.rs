//! Inputs found by the fuzz targets in `fuzz/`, kept as plain tests.

use motionkit_transport::{MAX_FILE_NAME_BYTES, sanitize_file_name};

/// `file_names`: shortening a long name could leave a bare Windows device
/// name (`LPT2` + spaces + more, cut at the byte limit and trimmed), which
/// was returned without its `_` prefix, so the result was not its own
/// sanitized name either.
#[test]
fn shortening_never_leaves_a_device_name() {
    let found =
        b"d\x00\x00\x08\r\r\r\r\r\r\r\r\x00sM\x00\xe7v\xff\xd3\\\\\\\x9c\xa3\xdf\xdf \\\\\\LPT2";
    let mut input = String::from_utf8_lossy(found).into_owned();
    input.push_str(&" ".repeat(189));
    input.push_str("\0\0\0\x0e        z.          \r");
    for name in [
        input,
        format!("LPT2{}z", " ".repeat(300)),
        format!("com1{}.txt", " ".repeat(300)),
    ] {
        let clean = sanitize_file_name(&name).unwrap();
        assert!(clean.starts_with('_'), "{clean:?}");
        assert!(clean.len() <= MAX_FILE_NAME_BYTES);
        assert_eq!(sanitize_file_name(&clean).unwrap(), clean);
    }
    // A long name that only starts like a device name keeps its text.
    let long = format!("LPT2{}", "x".repeat(300));
    let clean = sanitize_file_name(&long).unwrap();
    assert_eq!(clean, long[..MAX_FILE_NAME_BYTES]);
}
