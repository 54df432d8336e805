use motionkit_validation::Rule;
use motionkit_validation::{
    char_length, extension_of, file_extension, hex_color, http_url, pattern, uuid, uuid_eq,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::fr;

/// Characters including multibyte, astral and combining ones.
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        select(vec![
            'a', 'e', '\u{301}', '\u{e9}', '😀', '中', '\u{200d}', ' '
        ]),
    ]
}

fn text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(), len).prop_map(|c| c.into_iter().collect())
}

const PRIX: &str = r"^[0-9\.]+$";
const ALLOWED: [&str; 4] = ["mp4", "mov", "avi", "jpg"];

proptest! {
    #[test]
    fn length_within_bounds_passes(s in text(0..24), below in 0usize..4, above in 0usize..4) {
        let n = s.chars().count();
        prop_assert!(char_length("f", &s, Some(n.saturating_sub(below)), Some(n + above)).is_ok());
        prop_assert!(char_length("f", &s, Some(n), Some(n)).is_ok());
        prop_assert!(char_length("f", &s, None, None).is_ok());
    }

    #[test]
    fn too_short_fails(s in text(0..24), extra in 1usize..4) {
        let n = s.chars().count();
        let err = char_length("l6_ville_01", &s, Some(n + extra), None).unwrap_err();
        prop_assert_eq!(fr(&err), ("l6_ville_01".to_owned(), Rule::MinLength));
    }

    #[test]
    fn too_long_fails(s in text(1..24), less in 1usize..24) {
        let n = s.chars().count();
        let max = n - (less % n).max(1).min(n);
        let err = char_length("l6_ville_01", &s, Some(0), Some(max)).unwrap_err();
        prop_assert_eq!(fr(&err), ("l6_ville_01".to_owned(), Rule::MaxLength));
    }

    /// `e` + U+0301 counts two characters, exactly at both bounds.
    #[test]
    fn combining_sequences_count_each_scalar(k in 1usize..10) {
        let s = "e\u{301}".repeat(k);
        prop_assert!(char_length("f", &s, Some(2 * k), Some(2 * k)).is_ok());
        prop_assert_eq!(char_length("f", &s, None, Some(2 * k - 1)).unwrap_err().rule, Rule::MaxLength);
        prop_assert_eq!(char_length("f", &s, Some(2 * k + 1), None).unwrap_err().rule, Rule::MinLength);
        let precomposed = "\u{e9}".repeat(k);
        prop_assert!(char_length("f", &precomposed, Some(k), Some(k)).is_ok());
    }

    #[test]
    fn prix_digits_and_dots_match(value in "[0-9.]{1,12}") {
        prop_assert!(pattern("l3_prix_01", &value, PRIX).is_ok());
    }

    #[test]
    fn prix_with_another_character_fails(
        head in "[0-9.]{0,5}",
        bad in any_char().prop_filter("not a digit or dot", |c| !c.is_ascii_digit() && *c != '.'),
        tail in "[0-9.]{0,5}",
    ) {
        let value = format!("{head}{bad}{tail}");
        let err = pattern("l3_prix_01", &value, PRIX).unwrap_err();
        prop_assert_eq!(fr(&err), ("l3_prix_01".to_owned(), Rule::Pattern));
    }

    #[test]
    fn invalid_patterns_are_named(
        p in select(vec!["(", "[a-", "a{2,1}", "(?<=a)b", r"(a)\1", "*", "a)"]),
        value in text(0..8),
    ) {
        let err = pattern("l1", &value, p).unwrap_err();
        prop_assert_eq!(fr(&err), ("l1".to_owned(), Rule::InvalidPattern));
        prop_assert_eq!(err.value, p);
    }

    #[test]
    fn six_hex_digits_pass(value in "[0-9a-fA-F]{6}") {
        prop_assert!(hex_color("background_color", &value).is_ok());
    }

    #[test]
    fn other_lengths_or_hash_fail(
        value in prop_oneof![
            "[0-9a-fA-F]{0,5}",
            "[0-9a-fA-F]{7,10}",
            "#[0-9a-fA-F]{6}",
            "#[0-9a-fA-F]{5}",
            "[0-9a-fA-F]{0,5}[g-zG-Z #,][0-9a-fA-F]{0,5}",
        ]
    ) {
        let err = hex_color("background_color", &value).unwrap_err();
        prop_assert_eq!(fr(&err), ("background_color".to_owned(), Rule::HexColor));
    }

    #[test]
    fn uuids_in_any_case_pass(
        value in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    ) {
        let normalized = uuid("theme_id", &value).unwrap();
        prop_assert_eq!(&normalized, &value.to_ascii_lowercase());
        prop_assert!(uuid_eq(&value, &value.to_ascii_uppercase()));
        prop_assert!(uuid_eq(&normalized, &value));
    }

    #[test]
    fn broken_uuids_fail(
        value in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        at in 0usize..36,
        how in 0u8..3,
    ) {
        let mut chars: Vec<char> = value.chars().collect();
        match how {
            0 => { chars.remove(at); }
            1 => chars[at] = if chars[at] == '-' { 'a' } else { 'g' },
            _ => chars.insert(at, 'a'),
        }
        let broken: String = chars.into_iter().collect();
        let err = uuid("theme_id", &broken).unwrap_err();
        prop_assert_eq!(fr(&err), ("theme_id".to_owned(), Rule::Uuid));
        prop_assert!(!uuid_eq(&broken, &value));
    }

    #[test]
    fn allowed_extensions_pass_in_any_case(
        stem in "[a-zA-Z0-9_. -]{0,10}[a-zA-Z0-9_]",
        ext in select(ALLOWED.to_vec()),
        upper in any::<bool>(),
    ) {
        let shown = if upper { ext.to_uppercase() } else { ext.to_owned() };
        let name = format!("{stem}.{shown}");
        prop_assert_eq!(file_extension("name", &name, &ALLOWED).unwrap(), ext);
        prop_assert_eq!(extension_of(&name).unwrap(), ext);
    }

    #[test]
    fn other_extensions_fail(
        stem in "[a-zA-Z0-9_]{1,10}",
        ext in "[a-z0-9]{1,5}".prop_filter("not allowed", |e| !ALLOWED.contains(&e.as_str())),
    ) {
        let err = file_extension("name", &format!("{stem}.{ext}"), &ALLOWED).unwrap_err();
        prop_assert_eq!(fr(&err), ("name".to_owned(), Rule::FileExtension));
    }

    #[test]
    fn names_without_extension_fail(name in prop_oneof!["[a-zA-Z0-9_]{0,10}", "\\.[a-z0-9]{1,4}", "[a-z]{1,5}\\."]) {
        let err = file_extension("name", &name, &ALLOWED).unwrap_err();
        prop_assert_eq!(fr(&err), ("name".to_owned(), Rule::FileExtension));
        prop_assert!(file_extension("name", &name, &[]).is_err());
    }

    #[test]
    fn http_urls_pass(url in "[hH][tT][tT][pP][sS]?://[a-z0-9-]{1,10}(\\.[a-z]{2,4}){0,2}(:[0-9]{1,5})?(/[a-zA-Z0-9_.~-]{0,10}){0,3}(\\?[a-z=&]{0,10})?") {
        prop_assert!(http_url("image_produit", &url).is_ok());
    }

    #[test]
    fn non_http_urls_fail(
        url in prop_oneof![
            "(ftp|file|data|mailto)://[a-z]{1,10}/[a-z]{0,5}",
            "[a-z]{1,10}\\.[a-z]{2,3}/[a-z]{0,5}",
            "https?://",
            "https?://[a-z]{1,5} [a-z]{1,5}",
            "https?:///[a-z]{1,5}",
        ]
    ) {
        let err = http_url("image_produit", &url).unwrap_err();
        prop_assert_eq!(fr(&err), ("image_produit".to_owned(), Rule::Syntax));
    }
}
