//! Property tests of download-name sanitisation.

use std::path::{Component, Path};

use motionkit_transport::{MAX_FILE_NAME_BYTES, sanitize_file_name};
use proptest::prelude::*;

fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("/".to_owned()),
        Just("\\".to_owned()),
        Just("\0".to_owned()),
        Just(" ".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\n".to_owned()),
        Just("C:".to_owned()),
        Just("CON".to_owned()),
        Just("nul".to_owned()),
        Just("LPT9".to_owned()),
        Just("é".repeat(90)),
        "[a-zA-Z0-9_-]{1,6}",
        any::<char>().prop_map(String::from),
    ]
}

fn hostile_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(hostile_piece(), 0..12).prop_map(|pieces| pieces.concat())
}

const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sanitized_names_never_escape_the_directory(name in hostile_name()) {
        let Ok(clean) = sanitize_file_name(&name) else {
            return Ok(());
        };
        prop_assert!(!clean.is_empty());
        prop_assert!(!clean.contains('/') && !clean.contains('\\'), "{:?}", clean);
        prop_assert!(!clean.contains(".."), "{:?}", clean);
        prop_assert!(clean != ".");
        prop_assert!(!clean.chars().any(char::is_control), "{:?}", clean);
        prop_assert!(!clean.contains(':'), "{:?}", clean);
        prop_assert!(clean.len() <= MAX_FILE_NAME_BYTES);
        prop_assert!(!clean.starts_with('.') && !clean.ends_with('.') && !clean.ends_with(' '));
        let stem = clean.split('.').next().unwrap().trim_end().to_ascii_uppercase();
        prop_assert!(!RESERVED.contains(&stem.as_str()), "{:?}", clean);

        let dir = Path::new("/srv/out");
        let joined = dir.join(&clean);
        prop_assert_eq!(joined.parent(), Some(dir));
        let last = joined.components().next_back();
        prop_assert_eq!(last, Some(Component::Normal(clean.as_ref())));
        // Sanitising is idempotent.
        prop_assert_eq!(sanitize_file_name(&clean).unwrap(), clean);
    }

    #[test]
    fn ordinary_names_survive(stem in "[a-zA-Z0-9_-]{1,40}", ext in "(fbx|bvh|mp4|glb)") {
        let name = format!("{stem}.{ext}");
        let clean = sanitize_file_name(&name).unwrap();
        let expected = if RESERVED.contains(&stem.to_ascii_uppercase().as_str()) {
            format!("_{name}")
        } else {
            name
        };
        prop_assert_eq!(clean, expected);
    }
}
