use motionkit_validation::Rule;
use motionkit_validation::{
    PictureFormat, PictureInfo, Sniffed, check_picture, check_picture_name, detect_format, sniff,
    sniff_detailed,
};
use proptest::prelude::*;
use proptest::sample::select;

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
    b
}

/// A JPEG with the given APPn/COM segments before a SOFn segment.
fn jpeg(width: u16, height: u16, segments: &[(u8, Vec<u8>)], sof: u8, fill: usize) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    for (marker, payload) in segments {
        b.extend_from_slice(&[0xFF, *marker]);
        let len = u16::try_from(payload.len() + 2).unwrap();
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(payload);
    }
    b.extend(std::iter::repeat_n(0xFF, fill));
    b.extend_from_slice(&[0xFF, sof, 0, 17, 8]);
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b
}

fn gif(width: u16, height: u16) -> Vec<u8> {
    let mut b = b"GIF89a".to_vec();
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&[0xF7, 0, 0]);
    b
}

fn bmp(width: i32, height: i32) -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&[0; 12]);
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&[1, 0, 24, 0]);
    b
}

fn webp_vp8x(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0".to_vec();
    b.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    b.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    b
}

fn webp_vp8l(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
    let bits = (width - 1) | ((height - 1) << 14);
    b.extend_from_slice(&bits.to_le_bytes());
    b
}

fn webp_vp8(width: u16, height: u16) -> Vec<u8> {
    let mut b = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b
}

fn info(format: PictureFormat, width: u32, height: u32) -> Option<PictureInfo> {
    Some(PictureInfo {
        format,
        width,
        height,
    })
}

fn segments() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    let marker = prop_oneof![0xE0u8..=0xEF, Just(0xFE), Just(0xDB), Just(0xC4)];
    // Payloads may contain bytes that look like markers, including SOF0.
    let payload = prop::collection::vec(prop_oneof![any::<u8>(), Just(0xFF), Just(0xC0)], 0..3000);
    prop::collection::vec((marker, payload), 0..4)
}

fn sof_marker() -> impl Strategy<Value = u8> {
    select(vec![
        0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
    ])
}

/// A valid header of every format, with its expected info.
fn any_picture() -> impl Strategy<Value = (Vec<u8>, PictureInfo)> {
    prop_oneof![
        (1u32..=u32::MAX, 1u32..=u32::MAX)
            .prop_map(|(w, h)| (png(w, h), info(PictureFormat::Png, w, h).unwrap())),
        (
            1u16..=u16::MAX,
            1u16..=u16::MAX,
            segments(),
            sof_marker(),
            0usize..4
        )
            .prop_map(|(w, h, s, m, f)| {
                (
                    jpeg(w, h, &s, m, f),
                    info(PictureFormat::Jpeg, w.into(), h.into()).unwrap(),
                )
            }),
        (1u16..=u16::MAX, 1u16..=u16::MAX).prop_map(|(w, h)| (
            gif(w, h),
            info(PictureFormat::Gif, w.into(), h.into()).unwrap()
        )),
        (1i32..=i32::MAX, 1i32..=i32::MAX, any::<bool>()).prop_map(|(w, h, down)| {
            let stored = if down { -h } else { h };
            (
                bmp(w, stored),
                info(PictureFormat::Bmp, w.unsigned_abs(), h.unsigned_abs()).unwrap(),
            )
        }),
        (1u32..=1 << 24, 1u32..=1 << 24)
            .prop_map(|(w, h)| (webp_vp8x(w, h), info(PictureFormat::Webp, w, h).unwrap())),
        (1u32..=1 << 14, 1u32..=1 << 14)
            .prop_map(|(w, h)| (webp_vp8l(w, h), info(PictureFormat::Webp, w, h).unwrap())),
        (1u16..(1 << 14), 1u16..(1 << 14)).prop_map(|(w, h)| (
            webp_vp8(w, h),
            info(PictureFormat::Webp, w.into(), h.into()).unwrap()
        )),
    ]
}

fn magic() -> impl Strategy<Value = Vec<u8>> {
    select(vec![
        b"\x89PNG\r\n\x1a\n".to_vec(),
        vec![0xFF, 0xD8, 0xFF],
        b"GIF89a".to_vec(),
        b"GIF87a".to_vec(),
        b"RIFF\0\0\0\0WEBPVP8 ".to_vec(),
        b"RIFF\0\0\0\0WEBPVP8L".to_vec(),
        b"RIFF\0\0\0\0WEBPVP8X".to_vec(),
        b"BM".to_vec(),
        Vec::new(),
    ])
}

proptest! {
    #[test]
    fn sizes_are_read_from_headers((bytes, expected) in any_picture(), trailing in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = bytes;
        bytes.extend(trailing);
        prop_assert_eq!(sniff(&bytes), Some(expected));
        prop_assert_eq!(detect_format(&bytes), Some(expected.format));
    }

    /// Every prefix that stops before the size is unreadable, never a panic
    /// nor a wrong size, and asks for more bytes than it was given.
    #[test]
    fn truncated_headers_are_unreadable((bytes, expected) in any_picture(), cut in any::<prop::sample::Index>()) {
        let full = sniff(&bytes);
        prop_assert_eq!(full, Some(expected));
        let cut = cut.index(bytes.len());
        let prefix = &bytes[..cut];
        match sniff_detailed(prefix) {
            Sniffed::Info(got) => prop_assert_eq!(got, expected),
            Sniffed::NeedMoreBytes { at_least, .. } => prop_assert!(at_least > cut),
            Sniffed::Corrupt(_) => prop_assert!(false, "a prefix of a valid header is not corrupt"),
            Sniffed::Unrecognized => prop_assert!(detect_format(prefix).is_none()),
        }
    }

    #[test]
    fn sniffing_never_panics(head in magic(), tail in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut bytes = head;
        bytes.extend(tail);
        let _ = sniff_detailed(&bytes);
        if let Some(found) = sniff(&bytes) {
            prop_assert!(found.width > 0 && found.height > 0);
        }
        let _ = check_picture("image_produit", &bytes, &["png"], Some(1), Some(1));
    }

    #[test]
    fn big_enough_accepted_pictures_pass((bytes, got) in any_picture(), mw in 0u32..=1, mh in 0u32..=1) {
        let min_w = got.width.saturating_sub(mw);
        let min_h = got.height.saturating_sub(mh);
        let accept = [got.format.name()];
        let result = check_picture("image_produit", &bytes, &accept, Some(min_w), Some(min_h));
        prop_assert_eq!(result, Ok(got));
        let jpg_alias = ["jpg", "png", "gif", "webp", "bmp"];
        prop_assert!(check_picture("image_produit", &bytes, &jpg_alias, None, None).is_ok());
    }

    #[test]
    fn small_pictures_fail((bytes, got) in any_picture(), extra in 1u32..1000, wide in any::<bool>()) {
        let (min_w, min_h) = if wide {
            (got.width.saturating_add(extra), 1)
        } else {
            (1, got.height.saturating_add(extra))
        };
        prop_assume!(min_w > got.width || min_h > got.height);
        let err = check_picture("image_produit", &bytes, &[got.format.name()], Some(min_w), Some(min_h)).unwrap_err();
        let rules: Vec<(&str, Rule)> = err.iter().map(|v| (v.field.as_str(), v.rule)).collect();
        prop_assert_eq!(rules, vec![("image_produit", Rule::PictureSize)]);
        prop_assert_eq!(&err.0[0].value, &format!("{}x{}", got.width, got.height));
    }

    #[test]
    fn content_in_other_formats_fails((bytes, got) in any_picture(), accepted in select(PictureFormat::ALL.to_vec())) {
        prop_assume!(accepted != got.format);
        let err = check_picture("image_produit", &bytes, &[accepted.name()], None, None).unwrap_err();
        let rules: Vec<(&str, Rule)> = err.iter().map(|v| (v.field.as_str(), v.rule)).collect();
        prop_assert_eq!(rules, vec![("image_produit", Rule::PictureFormat)]);
    }

    #[test]
    fn names_with_other_extensions_fail(
        stem in "[a-z0-9]{1,8}",
        ext in "[a-z]{2,4}".prop_filter("not png", |e| e != "png"),
        query in "(\\?[a-z]=[a-z.]{0,5})?",
    ) {
        let url = format!("https://x.test/{stem}.{ext}{query}");
        let err = check_picture_name("image_produit", &url, &["png"]).unwrap_err();
        prop_assert_eq!((err.field.as_str(), err.rule), ("image_produit", Rule::PictureFormat));
        let ok = format!("https://x.test/{stem}.PNG{query}");
        prop_assert!(check_picture_name("image_produit", &ok, &["png"]).is_ok());
    }

    #[test]
    fn jpg_and_jpeg_are_the_same(ext in select(vec!["jpg", "jpeg", "JPG", "Jpeg"]), accept in select(vec!["jpg", "jpeg", "JPEG"])) {
        let name = format!("a.{ext}");
        prop_assert!(check_picture_name("f", &name, &[accept]).is_ok());
    }

    #[test]
    fn unrecognised_content_is_unreadable(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        prop_assume!(detect_format(&bytes).is_none());
        let err = check_picture("image_produit", &bytes, &["png"], None, None).unwrap_err();
        let rules: Vec<(&str, Rule)> = err.iter().map(|v| (v.field.as_str(), v.rule)).collect();
        prop_assert_eq!(rules, vec![("image_produit", Rule::PictureUnreadable)]);
    }
}
