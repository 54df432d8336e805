//! What a downloaded file is, from its first bytes, and whether that fits
//! the name it is about to be saved under.
//!
//! Every download is judged before it gets its final name:
//!
//! - a ZIP archive is saved with `.zip` appended (`all_characters.fbx` →
//!   `all_characters.fbx.zip`), or extracted into a folder when
//!   [`DownloadOptions::unzip`](crate::DownloadOptions::unzip) asks (cargo
//!   feature `unzip`);
//! - an HTML page or a JSON document under the extension of a format that
//!   is neither (`.fbx`, `.bvh`, `.glb`, `.mp4`, `.png`, `.jpg`, ...) is an
//!   error that names what arrived, and nothing is saved;
//! - anything else keeps its name.

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// A ZIP archive (`PK\x03\x04`, or `PK\x05\x06` when empty).
    Zip,
    /// An HTML page (`<!DOCTYPE html`, `<html`, `<head`, `<body`, after
    /// white space).
    Html,
    /// A JSON object or array (`{` or `[` after white space).
    Json,
    /// Anything else: not judged.
    Other,
}

impl Content {
    /// What the first bytes of a file say it is.
    pub fn sniff(head: &[u8]) -> Content {
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Content::Zip;
        }
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(text.len());
        let text = &text[start..];
        let lower: Vec<u8> = text.iter().take(16).map(u8::to_ascii_lowercase).collect();
        if [&b"<!doctype html"[..], b"<html", b"<head", b"<body"]
            .iter()
            .any(|tag| lower.starts_with(tag))
        {
            return Content::Html;
        }
        if matches!(text.first(), Some(b'{' | b'[')) {
            return Content::Json;
        }
        Content::Other
    }

    /// How an error names it.
    pub fn describe(self) -> &'static str {
        match self {
            Content::Zip => "a ZIP archive",
            Content::Html => "an HTML page",
            Content::Json => "a JSON document",
            Content::Other => "unrecognised bytes",
        }
    }
}

/// File extensions of formats that are never HTML or JSON: such bytes
/// under one of them are an error.
const NEITHER_HTML_NOR_JSON: &[&str] = &[
    "bvh", "fbx", "glb", "mp4", "mov", "avi", "webm", "png", "jpg", "jpeg", "gif", "zip",
];

/// Bytes read from the start of a download to judge it.
pub(crate) const HEAD_BYTES: usize = 512;

/// What to do with a download, judged from its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Save it under its name.
    Keep,
    /// A ZIP archive whose name does not end in `.zip`: save it with
    /// `.zip` appended, or extract it.
    Zip,
}

/// Judges a download about to be saved as `name` from its first bytes; the
/// error message names what arrived and what was expected.
pub(crate) fn judge(name: &str, head: &[u8]) -> Result<(Content, Verdict), String> {
    let content = Content::sniff(head);
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match content {
        Content::Zip => Ok((content, Verdict::Zip)),
        Content::Html | Content::Json if NEITHER_HTML_NOR_JSON.contains(&extension.as_str()) => {
            Err(format!(
                "`{name}`: the bytes that arrived are {} ({}), not a .{extension} file; \
                 nothing was saved (the storage may have answered with an error page: \
                 ask for the job's download links again)",
                content.describe(),
                excerpt(head),
            ))
        }
        _ => Ok((content, Verdict::Keep)),
    }
}

/// The first bytes as a short, printable excerpt.
fn excerpt(head: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(&head[..head.len().min(40)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("starting {:?}", text.trim())
}

/// `all_characters.fbx` → `all_characters.fbx.zip`.
pub(crate) fn zip_name(name: &str) -> String {
    if name.to_ascii_lowercase().ends_with(".zip") {
        name.to_owned()
    } else {
        format!("{name}.zip")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(Content::sniff(b"PK\x03\x04rest"), Content::Zip);
        assert_eq!(Content::sniff(b"PK\x05\x06"), Content::Zip);
        assert_eq!(Content::sniff(b"\n  <!DOCTYPE HTML><html>"), Content::Html);
        assert_eq!(Content::sniff(b"<html><body>"), Content::Html);
        assert_eq!(Content::sniff(b"\xEF\xBB\xBF {\"error\":1}"), Content::Json);
        assert_eq!(Content::sniff(b"HIERARCHY\nROOT"), Content::Other);
        assert_eq!(Content::sniff(b"Kaydara FBX Binary  \0"), Content::Other);
        assert_eq!(Content::sniff(b""), Content::Other);
    }

    #[test]
    fn judges() {
        assert_eq!(judge("walk.bvh", b"HIERARCHY").unwrap().1, Verdict::Keep);
        assert_eq!(judge("a.fbx", b"PK\x03\x04").unwrap().1, Verdict::Zip);
        assert_eq!(judge("a.zip", b"PK\x03\x04").unwrap().1, Verdict::Zip);
        let html = judge("walk.fbx", b"<html><body>denied").unwrap_err();
        assert!(html.contains("an HTML page"), "{html}");
        assert!(html.contains("walk.fbx"), "{html}");
        let json = judge("walk.MP4", b"{\"error\":\"x\"}").unwrap_err();
        assert!(json.contains("a JSON document"), "{json}");
        // Formats that may be JSON or text are not judged.
        assert_eq!(judge("landmarks.dmpe", b"{}").unwrap().1, Verdict::Keep);
        assert_eq!(judge("scene.gltf", b"{}").unwrap().1, Verdict::Keep);
        assert_eq!(judge("download", b"<html>").unwrap().1, Verdict::Keep);
        assert_eq!(zip_name("all_characters.fbx"), "all_characters.fbx.zip");
        assert_eq!(zip_name("a.ZIP"), "a.ZIP");
    }
}
