//! Picture headers through `picture::sniff_detailed`: never panics; a
//! size is never zero; `NeedMoreBytes` always asks for more bytes than it
//! got; the format agrees with `detect_format`; and reading a prefix is
//! consistent with reading the whole input (a size read from a prefix
//! stays the same, a corrupt prefix stays corrupt). `check_picture`
//! agrees with the sniffed size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_validation::{Sniffed, check_picture, detect_format, sniff_detailed};

fn format_of(sniffed: Sniffed) -> Option<motionkit_validation::PictureFormat> {
    match sniffed {
        Sniffed::Info(info) => Some(info.format),
        Sniffed::NeedMoreBytes { format, .. } | Sniffed::Corrupt(format) => Some(format),
        Sniffed::Unrecognized => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = sniff_detailed(data);
    assert_eq!(format_of(whole), detect_format(data));
    match whole {
        Sniffed::Info(info) => assert!(info.width > 0 && info.height > 0),
        Sniffed::NeedMoreBytes { at_least, .. } => assert!(at_least > data.len()),
        _ => {}
    }
    // Every prefix of at most 64 bytes, then a few longer ones.
    let cuts = (0..data.len().min(64)).chain([data.len() / 2, data.len().saturating_sub(1)]);
    for cut in cuts {
        let prefix = sniff_detailed(&data[..cut]);
        match prefix {
            Sniffed::Info(_) => assert_eq!(prefix, whole, "prefix of {cut} bytes"),
            Sniffed::Corrupt(_) => assert_eq!(prefix, whole, "prefix of {cut} bytes"),
            Sniffed::NeedMoreBytes { at_least, .. } => assert!(at_least > cut),
            Sniffed::Unrecognized => {}
        }
    }
    let checked = check_picture("picture", data, &["png", "jpg"], Some(1), Some(1));
    if let Ok(info) = checked {
        assert_eq!(Sniffed::Info(info), whole);
    }
});
