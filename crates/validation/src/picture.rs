//! Picture checks: format from the file name and from magic bytes, and pixel
//! size read from the first bytes of the file only.
//!
//! Nothing here downloads anything: callers fetch the first bytes of a
//! picture (a few KiB is usually enough; see [`sniff_detailed`] for how to
//! learn that more are needed) and pass them in. Parsing never panics, on
//! truncated or garbage input it reports that the header cannot be read.
//! Sizes are the stored pixel size; EXIF orientation is not applied.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Rule, Violation, Violations};
use crate::text::extension_of;

/// A picture format recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PictureFormat {
    /// PNG, `89 50 4E 47 0D 0A 1A 0A`.
    Png,
    /// JPEG/JFIF/EXIF, `FF D8 FF`.
    Jpeg,
    /// GIF87a or GIF89a.
    Gif,
    /// WebP (`RIFF....WEBP`), lossy, lossless or extended.
    Webp,
    /// Windows bitmap, `BM`.
    Bmp,
}

impl PictureFormat {
    /// Every recognised format.
    pub const ALL: [PictureFormat; 5] = [
        PictureFormat::Png,
        PictureFormat::Jpeg,
        PictureFormat::Gif,
        PictureFormat::Webp,
        PictureFormat::Bmp,
    ];

    /// The canonical lower-case name: `png`, `jpeg`, `gif`, `webp`, `bmp`.
    pub fn name(self) -> &'static str {
        match self {
            PictureFormat::Png => "png",
            PictureFormat::Jpeg => "jpeg",
            PictureFormat::Gif => "gif",
            PictureFormat::Webp => "webp",
            PictureFormat::Bmp => "bmp",
        }
    }

    /// The format an accept-list entry or extension names, ignoring case, a
    /// leading `.` and an `image/` MIME prefix; `jpg`, `jpeg` and `jpe` are
    /// all JPEG.
    pub fn from_name(name: &str) -> Option<PictureFormat> {
        let name = normalize_name(name);
        match name.as_str() {
            "png" => Some(PictureFormat::Png),
            "jpg" | "jpeg" | "jpe" => Some(PictureFormat::Jpeg),
            "gif" => Some(PictureFormat::Gif),
            "webp" => Some(PictureFormat::Webp),
            "bmp" => Some(PictureFormat::Bmp),
            _ => None,
        }
    }
}

impl fmt::Display for PictureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn normalize_name(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("image/").unwrap_or(&name);
    name.trim_start_matches('.').to_owned()
}

/// What the first bytes of a picture say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureInfo {
    /// The format from the magic bytes.
    pub format: PictureFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The outcome of reading a picture header, see [`sniff_detailed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Format and size were read.
    Info(PictureInfo),
    /// The format is known but the bytes end before the size; at least
    /// `at_least` bytes from the start of the file are needed (for JPEG this
    /// may grow again once those bytes are read).
    NeedMoreBytes {
        /// The format from the magic bytes.
        format: PictureFormat,
        /// How many bytes from the start of the file to read next time.
        at_least: usize,
    },
    /// The format is known but its header is corrupt (or declares a zero
    /// size).
    Corrupt(PictureFormat),
    /// No recognised magic bytes.
    Unrecognized,
}

/// The format from the magic bytes alone, without reading the size.
pub fn detect_format(header: &[u8]) -> Option<PictureFormat> {
    if header.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(PictureFormat::Png)
    } else if header.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(PictureFormat::Jpeg)
    } else if header.starts_with(b"GIF87a") || header.starts_with(b"GIF89a") {
        Some(PictureFormat::Gif)
    } else if header.len() >= 12 && header.starts_with(b"RIFF") && &header[8..12] == b"WEBP" {
        Some(PictureFormat::Webp)
    } else if header.starts_with(b"BM") {
        Some(PictureFormat::Bmp)
    } else {
        None
    }
}

/// Reads format, width and height from the first bytes of a picture, or
/// `None` when they cannot be read from `header`.
///
/// PNG sizes come from the IHDR chunk, JPEG sizes from the first SOFn
/// segment (earlier segments are skipped by their length, so EXIF
/// thumbnails are not mistaken for the picture), GIF from the logical
/// screen, WebP from the `VP8 `, `VP8L` or `VP8X` chunk and BMP from the DIB
/// header.
pub fn sniff(header: &[u8]) -> Option<PictureInfo> {
    match sniff_detailed(header) {
        Sniffed::Info(info) => Some(info),
        _ => None,
    }
}

/// Like [`sniff`], but says whether more bytes would help.
pub fn sniff_detailed(header: &[u8]) -> Sniffed {
    let Some(format) = detect_format(header) else {
        return Sniffed::Unrecognized;
    };
    let scanned = match format {
        PictureFormat::Png => png_size(header),
        PictureFormat::Jpeg => jpeg_size(header),
        PictureFormat::Gif => gif_size(header),
        PictureFormat::Webp => webp_size(header),
        PictureFormat::Bmp => bmp_size(header),
    };
    match scanned {
        Ok((width, height)) if width > 0 && height > 0 => Sniffed::Info(PictureInfo {
            format,
            width,
            height,
        }),
        Ok(_) | Err(Stop::Invalid) => Sniffed::Corrupt(format),
        Err(Stop::Need(at_least)) => Sniffed::NeedMoreBytes { format, at_least },
    }
}

enum Stop {
    /// The header is cut short; this many bytes are needed.
    Need(usize),
    /// The header is corrupt.
    Invalid,
}

fn bytes<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], Stop> {
    let end = at.checked_add(N).ok_or(Stop::Invalid)?;
    match b.get(at..end) {
        Some(slice) => slice.try_into().map_err(|_| Stop::Invalid),
        None => Err(Stop::Need(end)),
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16, Stop> {
    bytes::<2>(b, at).map(u16::from_be_bytes)
}

fn le16(b: &[u8], at: usize) -> Result<u16, Stop> {
    bytes::<2>(b, at).map(u16::from_le_bytes)
}

fn be32(b: &[u8], at: usize) -> Result<u32, Stop> {
    bytes::<4>(b, at).map(u32::from_be_bytes)
}

fn le32(b: &[u8], at: usize) -> Result<u32, Stop> {
    bytes::<4>(b, at).map(u32::from_le_bytes)
}

fn le24(b: &[u8], at: usize) -> Result<u32, Stop> {
    bytes::<3>(b, at).map(|[x, y, z]| u32::from_le_bytes([x, y, z, 0]))
}

fn png_size(b: &[u8]) -> Result<(u32, u32), Stop> {
    if &bytes::<4>(b, 12)? != b"IHDR" {
        return Err(Stop::Invalid);
    }
    Ok((be32(b, 16)?, be32(b, 20)?))
}

fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn jpeg_size(b: &[u8]) -> Result<(u32, u32), Stop> {
    let mut i: usize = 2;
    loop {
        if i >= b.len() {
            // Ask for the next marker and, should it be SOFn, the size.
            return Err(Stop::Need(i.saturating_add(9)));
        }
        if bytes::<1>(b, i)? != [0xFF] {
            return Err(Stop::Invalid);
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while bytes::<1>(b, i)? == [0xFF] {
            i += 1;
        }
        let [marker] = bytes::<1>(b, i)?;
        i += 1;
        match marker {
            // Markers without a length.
            0x01 | 0xD0..=0xD8 => continue,
            // End of image, start of scan (no SOF before it) or a stuffed 0.
            0xD9 | 0xDA | 0x00 => return Err(Stop::Invalid),
            _ => {}
        }
        let len = usize::from(be16(b, i)?);
        if len < 2 {
            return Err(Stop::Invalid);
        }
        if is_sof(marker) {
            // length(2) precision(1) height(2) width(2)
            let height = be16(b, i + 3)?;
            let width = be16(b, i + 5)?;
            return Ok((u32::from(width), u32::from(height)));
        }
        i += len;
    }
}

fn gif_size(b: &[u8]) -> Result<(u32, u32), Stop> {
    Ok((u32::from(le16(b, 6)?), u32::from(le16(b, 8)?)))
}

fn webp_size(b: &[u8]) -> Result<(u32, u32), Stop> {
    match &bytes::<4>(b, 12)? {
        b"VP8 " => {
            if bytes::<3>(b, 23)? != [0x9D, 0x01, 0x2A] {
                return Err(Stop::Invalid);
            }
            let width = le16(b, 26)? & 0x3FFF;
            let height = le16(b, 28)? & 0x3FFF;
            Ok((u32::from(width), u32::from(height)))
        }
        b"VP8L" => {
            if bytes::<1>(b, 20)? != [0x2F] {
                return Err(Stop::Invalid);
            }
            let bits = le32(b, 21)?;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Ok((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => Err(Stop::Invalid),
    }
}

fn bmp_size(b: &[u8]) -> Result<(u32, u32), Stop> {
    match le32(b, 14)? {
        // BITMAPCOREHEADER: unsigned 16-bit sizes.
        12 => Ok((u32::from(le16(b, 18)?), u32::from(le16(b, 20)?))),
        // BITMAPINFOHEADER and later: signed 32-bit, negative height means
        // top-down rows.
        16..=255 => {
            let width = i32::from_le_bytes(bytes::<4>(b, 18)?);
            let height = i32::from_le_bytes(bytes::<4>(b, 22)?);
            if width <= 0 {
                return Err(Stop::Invalid);
            }
            Ok((width.unsigned_abs(), height.unsigned_abs()))
        }
        _ => Err(Stop::Invalid),
    }
}

/// True when `format` is in `accept`; an empty list accepts every format.
/// Entries are compared with [`PictureFormat::from_name`], so `jpg` accepts
/// JPEG.
pub fn accepts<S: AsRef<str>>(accept: &[S], format: PictureFormat) -> bool {
    accept.is_empty()
        || accept
            .iter()
            .any(|a| PictureFormat::from_name(a.as_ref()) == Some(format))
}

fn accept_limit<S: AsRef<str>>(accept: &[S]) -> String {
    let names: Vec<&str> = accept.iter().map(AsRef::as_ref).collect();
    format!("one of: {}", names.join(", "))
}

/// Checks the extension of a picture's file name or URL against `accept`,
/// when it has one (`https://imgur.com/download/uNcCrzv` has none and
/// passes). An extension outside `accept` fails, including one that names
/// no picture format (`.php`). An empty `accept` accepts everything.
///
/// # Errors
///
/// [`Rule::PictureFormat`] naming `field`.
pub fn check_picture_name<S: AsRef<str>>(
    field: &str,
    url_or_name: &str,
    accept: &[S],
) -> Result<(), Violation> {
    let Some(ext) = extension_of(url_or_name) else {
        return Ok(());
    };
    if accept.is_empty() {
        return Ok(());
    }
    let matches = match PictureFormat::from_name(&ext) {
        Some(format) => accepts(accept, format),
        None => accept.iter().any(|a| normalize_name(a.as_ref()) == ext),
    };
    if matches {
        Ok(())
    } else {
        Err(Violation::new(
            field,
            Rule::PictureFormat,
            url_or_name,
            format!("a file name ending in {}", accept_limit(accept)),
        ))
    }
}

fn describe_bytes(header: &[u8]) -> String {
    let shown: Vec<String> = header.iter().take(8).map(|b| format!("{b:02x}")).collect();
    if shown.is_empty() {
        "no bytes".to_owned()
    } else {
        format!("bytes {}", shown.join(" "))
    }
}

/// Checks a picture by its first bytes and returns what they say. The
/// name's extension is not checked here: the bytes decide (see
/// [`check_picture_name`] for the offline hint).
///
/// Reports, all at once: content that is not a recognised
/// picture or whose size cannot be read from `header`
/// ([`Rule::PictureUnreadable`]); content in a format outside `accept`
/// ([`Rule::PictureFormat`]); a width or height below the minimum
/// ([`Rule::PictureSize`], value like `800x600`). Accept entries are names
/// such as `png`, `jpg`, `jpeg` (`jpg` and `jpeg` are the same); an empty
/// list accepts every format.
///
/// # Errors
///
/// Every violation found, each naming `field`.
pub fn check_picture<S: AsRef<str>>(
    field: &str,
    header: &[u8],
    accept: &[S],
    min_width: Option<u32>,
    min_height: Option<u32>,
) -> Result<PictureInfo, Violations> {
    let mut found = Violations::new();
    let mut info = None;
    let sniffed = sniff_detailed(header);
    let format = match sniffed {
        Sniffed::Info(i) => Some(i.format),
        Sniffed::NeedMoreBytes { format, .. } | Sniffed::Corrupt(format) => Some(format),
        Sniffed::Unrecognized => None,
    };
    if let Some(format) = format
        && !accepts(accept, format)
    {
        found.push(Violation::new(
            field,
            Rule::PictureFormat,
            format!("{format} content"),
            accept_limit(accept),
        ));
    }
    match sniffed {
        Sniffed::Info(i) => {
            let too_narrow = min_width.is_some_and(|w| i.width < w);
            let too_short = min_height.is_some_and(|h| i.height < h);
            if too_narrow || too_short {
                found.push(Violation::new(
                    field,
                    Rule::PictureSize,
                    format!("{}x{}", i.width, i.height),
                    format!(
                        "at least {}x{} pixels",
                        min_width.unwrap_or(0),
                        min_height.unwrap_or(0)
                    ),
                ));
            }
            info = Some(i);
        }
        Sniffed::NeedMoreBytes { format, at_least } => found.push(Violation::new(
            field,
            Rule::PictureUnreadable,
            format!("{format} header cut after {} bytes", header.len()),
            format!("at least {at_least} bytes from the start of the file"),
        )),
        Sniffed::Corrupt(format) => found.push(Violation::new(
            field,
            Rule::PictureUnreadable,
            format!("corrupt {format} header"),
            "a readable picture header",
        )),
        Sniffed::Unrecognized => found.push(Violation::new(
            field,
            Rule::PictureUnreadable,
            describe_bytes(header),
            "a PNG, JPEG, GIF, WebP or BMP file",
        )),
    }
    match info {
        Some(info) if found.is_empty() => Ok(info),
        _ => Err(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b
    }

    fn jpeg(width: u16, height: u16, app_len: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE1];
        b.extend_from_slice(&app_len.to_be_bytes());
        // An EXIF thumbnail inside APP1 with its own SOF must be skipped.
        let mut payload = vec![0u8; usize::from(app_len) - 2];
        if payload.len() >= 9 {
            payload[..9].copy_from_slice(&[0xFF, 0xC0, 0, 17, 8, 0, 1, 0, 1]);
        }
        b.extend_from_slice(&payload);
        b.extend_from_slice(&[0xFF, 0xFF, 0xC2, 0, 17, 8]);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0]);
        b
    }

    #[test]
    fn png_size_from_ihdr() {
        let info = sniff(&png(1200, 680)).unwrap();
        assert_eq!(
            info,
            PictureInfo {
                format: PictureFormat::Png,
                width: 1200,
                height: 680
            }
        );
    }

    #[test]
    fn jpeg_size_skips_segments() {
        let info = sniff(&jpeg(1920, 1080, 300)).unwrap();
        assert_eq!(
            (info.format, info.width, info.height),
            (PictureFormat::Jpeg, 1920, 1080)
        );
    }

    #[test]
    fn truncated_jpeg_asks_for_more() {
        let full = jpeg(1920, 1080, 5000);
        assert_eq!(
            sniff_detailed(&full[..1000]),
            Sniffed::NeedMoreBytes {
                format: PictureFormat::Jpeg,
                at_least: 4 + 5000 + 9
            }
        );
        for cut in 0..full.len() - 4 {
            assert_eq!(sniff(&full[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn other_formats() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[0x40, 0x01, 0xF0, 0x00]);
        assert_eq!(sniff(&gif).map(|i| (i.width, i.height)), Some((320, 240)));

        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&40u32.to_le_bytes());
        bmp.extend_from_slice(&640i32.to_le_bytes());
        bmp.extend_from_slice(&(-480i32).to_le_bytes());
        assert_eq!(sniff(&bmp).map(|i| (i.width, i.height)), Some((640, 480)));

        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x7F, 0x07, 0x00, 0x37, 0x04, 0x00]);
        assert_eq!(
            sniff(&vp8x).map(|i| (i.width, i.height)),
            Some((1920, 1080))
        );

        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = (99) | (49 << 14);
        vp8l.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(sniff(&vp8l).map(|i| (i.width, i.height)), Some((100, 50)));

        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend_from_slice(&800u16.to_le_bytes());
        vp8.extend_from_slice(&600u16.to_le_bytes());
        assert_eq!(sniff(&vp8).map(|i| (i.width, i.height)), Some((800, 600)));
    }

    #[test]
    fn garbage_is_unrecognized() {
        assert_eq!(sniff_detailed(b""), Sniffed::Unrecognized);
        assert_eq!(sniff_detailed(b"<!DOCTYPE html>"), Sniffed::Unrecognized);
        assert_eq!(
            sniff_detailed(b"\xFF\xD8\xFF\xDA"),
            Sniffed::Corrupt(PictureFormat::Jpeg)
        );
        assert_eq!(sniff(&png(0, 10)), None);
    }

    #[test]
    fn accept_lists() {
        assert!(accepts(&["jpg"], PictureFormat::Jpeg));
        assert!(accepts(&["JPEG"], PictureFormat::Jpeg));
        assert!(accepts(&["image/png"], PictureFormat::Png));
        assert!(!accepts(&["png"], PictureFormat::Jpeg));
        assert!(accepts::<&str>(&[], PictureFormat::Gif));
    }

    #[test]
    fn check_against_the_doc_parameter() {
        let accept = ["png"];
        let ok = check_picture(
            "image_produit",
            &png(1200, 680),
            &accept,
            Some(1200),
            Some(680),
        );
        assert_eq!(ok.unwrap().width, 1200);

        let err = check_picture(
            "image_produit",
            &jpeg(1000, 700, 20),
            &accept,
            Some(1200),
            Some(680),
        )
        .unwrap_err();
        let rules: Vec<Rule> = err.iter().map(|v| v.rule).collect();
        assert_eq!(
            rules,
            [Rule::PictureFormat, Rule::PictureSize],
            "the bytes decide the format, not the name"
        );
        assert!(err.iter().all(|v| v.field == "image_produit"));
        assert_eq!(err.0[1].value, "1000x700");

        let err = check_picture("image_produit", b"<html>", &accept, None, None).unwrap_err();
        assert_eq!(err.0[0].rule, Rule::PictureUnreadable);
    }

    #[test]
    fn names() {
        assert!(check_picture_name("f", "a.PNG", &["png"]).is_ok());
        assert!(check_picture_name("f", "a.jpeg", &["jpg"]).is_ok());
        assert!(check_picture_name("f", "https://x.test/download/abc", &["png"]).is_ok());
        assert_eq!(
            check_picture_name("f", "https://x.test/a.php", &["png"])
                .unwrap_err()
                .rule,
            Rule::PictureFormat
        );
        assert!(check_picture_name("f", "a.svg", &["svg"]).is_ok());
    }

    #[test]
    fn bytes_for_a_theme_parameter() {
        use crate::theme::{ThemeParameter, check_picture_bytes};
        let param = ThemeParameter::picture("id", "image_produit", ["png"], Some(1200), Some(680));
        assert!(check_picture_bytes(&param, "https://x.test/a.png", &png(1200, 680)).is_ok());
        let err = check_picture_bytes(&param, "https://x.test/a.png", &png(1199, 680)).unwrap_err();
        assert_eq!(err.0[0].rule, Rule::PictureSize);
        assert_eq!(err.0[0].field, "image_produit");
        let text = ThemeParameter::text("id2", "l1", Some(1), Some(2), None::<String>);
        assert_eq!(
            check_picture_bytes(&text, "u", &png(1, 1)).unwrap_err().0[0].rule,
            Rule::Conflict
        );
    }
}
