//! What a file is, from its first bytes: checked before an upload so that
//! an empty file, a text file or a web page saved as `.mp4` is refused
//! before anything is uploaded or charged.
//!
//! The rule is lenient where the documents are silent: a binary format we
//! do not recognise is [`Identified::Unknown`] (a warning for the caller),
//! never a refusal, because the API may accept containers we do not know.
//! Only what is clearly not media (nothing, text, JSON, HTML/XML) is
//! refused.

use crate::error::{Rule, Violation};
use crate::picture::detect_format;

/// How many first bytes [`identify`] looks at.
pub const HEAD_BYTES: usize = 4096;

/// Video or picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// A video container.
    Video,
    /// A still picture.
    Picture,
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identified {
    /// A recognised media container.
    Media {
        /// Video or picture.
        kind: MediaKind,
        /// The container or format, for example `mp4`, `webm`, `png`.
        format: &'static str,
    },
    /// Clearly not media.
    NotMedia {
        /// What it looks like: `empty`, `text`, `JSON`, `HTML or XML`.
        looks_like: &'static str,
    },
    /// Binary data in a format not recognised here.
    Unknown,
}

/// ISO base media file format brands that hold still pictures.
const PICTURE_BRANDS: [&[u8; 4]; 5] = [b"heic", b"heix", b"mif1", b"msf1", b"avif"];

/// Identifies a file from its first bytes (at most [`HEAD_BYTES`] are
/// read).
pub fn identify(head: &[u8]) -> Identified {
    let head = &head[..head.len().min(HEAD_BYTES)];
    if head.is_empty() {
        return Identified::NotMedia {
            looks_like: "empty",
        };
    }
    if let Some(format) = detect_format(head) {
        return media(MediaKind::Picture, format.name());
    }
    if let Some(found) = video_container(head) {
        return found;
    }
    match text_kind(head) {
        Some(looks_like) => Identified::NotMedia { looks_like },
        None => Identified::Unknown,
    }
}

fn media(kind: MediaKind, format: &'static str) -> Identified {
    Identified::Media { kind, format }
}

fn video_container(head: &[u8]) -> Option<Identified> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        let picture = PICTURE_BRANDS.iter().any(|b| brand == b.as_slice());
        return Some(if picture {
            media(MediaKind::Picture, "heif")
        } else {
            media(MediaKind::Video, "mp4")
        });
    }
    if [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"]
        .iter()
        .any(|atom| at(4, atom.as_slice()))
    {
        return Some(media(MediaKind::Video, "mov"));
    }
    let found = if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "mkv/webm"
    } else if head.starts_with(b"RIFF") && at(8, b"AVI ") {
        "avi"
    } else if head.starts_with(&[0x30, 0x26, 0xB2, 0x75]) {
        "asf/wmv"
    } else if head.starts_with(b"FLV") {
        "flv"
    } else if head.starts_with(b"OggS") {
        "ogg"
    } else if head.starts_with(&[0x00, 0x00, 0x01, 0xBA])
        || head.starts_with(&[0x00, 0x00, 0x01, 0xB3])
    {
        "mpeg"
    } else if head[0] == 0x47 && head.get(188) == Some(&0x47) {
        "mpeg-ts"
    } else {
        return None;
    };
    Some(media(MediaKind::Video, found))
}

/// `Some` when the bytes are text: valid UTF-8 (the last character may be
/// cut) with no control characters other than whitespace.
fn text_kind(head: &[u8]) -> Option<&'static str> {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        return None;
    }
    let start = text.trim_start_matches(['\u{feff}', ' ', '\n', '\r', '\t']);
    Some(match start.chars().next() {
        Some('{' | '[') => "JSON",
        Some('<') => "HTML or XML",
        _ => "text",
    })
}

/// Checks a file to be uploaded from its size and first bytes. Clearly
/// not media is a violation naming `field`; anything else passes and is
/// returned, so the caller can warn about [`Identified::Unknown`].
pub fn check_upload(field: &str, size: u64, head: &[u8]) -> Result<Identified, Violation> {
    let identified = if size == 0 {
        Identified::NotMedia {
            looks_like: "empty",
        }
    } else {
        identify(head)
    };
    match identified {
        Identified::NotMedia { looks_like } => Err(Violation::new(
            field,
            Rule::Syntax,
            format!("{looks_like} ({size} bytes)"),
            "a video or picture file (its first bytes are not media)",
        )),
        other => Ok(other),
    }
}

/// The warning [`upload_kind`] gives for binary data in a format not
/// recognised here; callers say which file it is about.
pub const UNKNOWN_FORMAT_WARNING: &str = "its first bytes are not a video or picture format \
     motionkit knows; uploading it as a video, the API decides";

/// What an upload sends a file as, from its size and first bytes: the
/// rule every upload of a local file applies, whoever reads the file.
///
/// A recognised container gives its kind and no warning. Binary data in a
/// format not recognised here is sent as a video, with
/// [`UNKNOWN_FORMAT_WARNING`]: the documents list no formats, so the API
/// decides.
///
/// # Errors
///
/// Clearly not media (see [`check_upload`]), naming `field`.
pub fn upload_kind(
    field: &str,
    size: u64,
    head: &[u8],
) -> Result<(MediaKind, Option<&'static str>), Violation> {
    Ok(match check_upload(field, size, head)? {
        Identified::Media { kind, .. } => (kind, None),
        Identified::NotMedia { .. } | Identified::Unknown => {
            (MediaKind::Video, Some(UNKNOWN_FORMAT_WARNING))
        }
    })
}

/// Extensions of the videos and pictures DeepMotion's examples name
/// (`test.mp4`, `test.jpg`) and that common cameras and editors write. Not
/// a closed list: the documents give none.
pub const KNOWN_UPLOAD_EXTENSIONS: &[&str] = &[
    "mp4", "mov", "avi", "webm", "mkv", "m4v", "png", "jpg", "jpeg",
];

/// Checks the file name an upload is requested with (`GET /upload?name=`).
///
/// The documents ask for "a file name with extension", so a name without
/// one is an error ([`Rule::FileExtension`]). An extension outside
/// [`KNOWN_UPLOAD_EXTENSIONS`] is only a warning: what the file is comes
/// from its bytes ([`identify`]), and the name is sent as given.
///
/// # Errors
///
/// A name without an extension, naming `field`.
pub fn check_upload_name(field: &str, name: &str) -> Result<Option<Violation>, Violation> {
    let extension = crate::text::file_extension(field, name, &[])?;
    if KNOWN_UPLOAD_EXTENSIONS.contains(&extension.as_str()) {
        return Ok(None);
    }
    Ok(Some(
        Violation::new(
            field,
            Rule::FileExtension,
            name,
            format!(
                "an extension motionkit knows ({}); the file's bytes decide what it is, and the \
                 name is sent as given",
                KNOWN_UPLOAD_EXTENSIONS.join(", ")
            ),
        )
        .into_warning(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_need_an_extension_and_unknown_ones_are_warnings() {
        assert_eq!(check_upload_name("video", "dance.MP4"), Ok(None));
        let warning = check_upload_name("video", "dance.mts").unwrap().unwrap();
        assert!(warning.is_warning());
        assert_eq!(warning.rule, Rule::FileExtension);
        let error = check_upload_name("video", "dance").unwrap_err();
        assert_eq!(error.severity, crate::Severity::Error);
    }

    #[test]
    fn containers_and_pictures_are_recognised() {
        let mut mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0".to_vec();
        mp4.resize(64, 0);
        assert_eq!(identify(&mp4), media(MediaKind::Video, "mp4"));
        assert_eq!(
            identify(b"\0\0\0\x18ftypheic\0\0\0\0"),
            media(MediaKind::Picture, "heif")
        );
        assert_eq!(
            identify(b"\0\0\0\x08wide\0\0"),
            media(MediaKind::Video, "mov")
        );
        assert_eq!(
            identify(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]),
            media(MediaKind::Video, "mkv/webm")
        );
        assert_eq!(
            identify(b"RIFF\0\0\0\0AVI LIST"),
            media(MediaKind::Video, "avi")
        );
        assert_eq!(
            identify(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"),
            media(MediaKind::Picture, "png")
        );
        assert_eq!(
            identify(&[0xFF, 0xD8, 0xFF, 0xE0]),
            media(MediaKind::Picture, "jpeg")
        );
    }

    #[test]
    fn text_json_html_and_nothing_are_not_media() {
        let not = |looks_like| Identified::NotMedia { looks_like };
        assert_eq!(identify(b""), not("empty"));
        assert_eq!(identify(b"hello, this is a note\n"), not("text"));
        assert_eq!(identify(b"  {\"rid\": \"x\"}"), not("JSON"));
        assert_eq!(
            identify("\u{feff}<!DOCTYPE html><p>é".as_bytes()),
            not("HTML or XML")
        );
        // A multi-byte character cut at the end of the head is still text.
        assert_eq!(identify(&"ééé".as_bytes()[..5]), not("text"));
        assert_eq!(
            check_upload("video", 0, b"").unwrap_err().rule,
            Rule::Syntax
        );
        let refused = check_upload("video", 12, b"<html></html>").unwrap_err();
        assert!(refused.value.contains("HTML"), "{refused}");
    }

    #[test]
    fn unknown_binary_is_a_warning_not_a_refusal() {
        let binary = [0x00, 0x01, 0x02, 0xFE, 0xFF, 0x10, 0x80];
        assert_eq!(identify(&binary), Identified::Unknown);
        assert_eq!(check_upload("video", 7, &binary), Ok(Identified::Unknown));
        assert_eq!(
            upload_kind("video", 7, &binary),
            Ok((MediaKind::Video, Some(UNKNOWN_FORMAT_WARNING)))
        );
    }

    #[test]
    fn uploads_are_sent_as_what_their_bytes_say() {
        assert_eq!(
            upload_kind("VIDEO[0]", 20, b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"),
            Ok((MediaKind::Picture, None))
        );
        assert_eq!(
            upload_kind("VIDEO[0]", 16, b"\0\0\0\x20ftypisom\0\0\x02\0"),
            Ok((MediaKind::Video, None))
        );
        let refused = upload_kind("VIDEO[1]", 14, b"<html></html>").unwrap_err();
        assert_eq!(
            (refused.field.as_str(), refused.rule),
            ("VIDEO[1]", Rule::Syntax)
        );
        assert!(refused.value.contains("HTML"), "{refused}");
        // The size decides emptiness, whatever the head holds.
        assert_eq!(
            upload_kind("video", 0, b"\0\0\0\x20ftypisom")
                .unwrap_err()
                .rule,
            Rule::Syntax
        );
    }
}
