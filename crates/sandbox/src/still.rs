//! PNG and JPEG pictures, read from their bytes: the still inputs the
//! document accepts ("video/image file name with extension (like test.mp4
//! or test.jpg)", png/jpg for a static pose).
//!
//! The sandbox reads pictures itself rather than with the client's
//! validation crate, so that a wrong reading in either shows up as a
//! disagreement in the tests. Both emulators use it: DeepMotion for still
//! inputs, MotionDynamic for picture parameters.

/// A still picture format the sandbox accepts as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StillFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl StillFormat {
    /// Lower-case name, as `/videoInfo` reports the codec.
    pub(crate) fn name(self) -> &'static str {
        match self {
            StillFormat::Png => "png",
            StillFormat::Jpeg => "jpeg",
        }
    }
}

/// What the first bytes of a file say about a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Still {
    /// A picture and its size in pixels.
    Picture {
        /// PNG or JPEG.
        format: StillFormat,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A PNG or JPEG whose size lies beyond the bytes given.
    NeedMore(StillFormat),
    /// A PNG or JPEG whose header is broken.
    Corrupt(StillFormat),
    /// A picture format the sandbox does not accept (GIF, WebP, BMP...).
    Other(&'static str),
    /// Not a picture.
    NotPicture,
}

/// Reads a picture's format and size from its first bytes.
pub(crate) fn read(head: &[u8]) -> Still {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return png(head);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return jpeg(head);
    }
    if head.starts_with(b"GIF8") {
        return Still::Other("GIF");
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        return Still::Other("WebP");
    }
    if head.starts_with(b"BM") && head.len() > 26 {
        return Still::Other("BMP");
    }
    Still::NotPicture
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 2)?;
    Some(u32::from(u16::from_be_bytes([b[0], b[1]])))
}

/// PNG: the first chunk is `IHDR`, width and height at bytes 16 and 20.
fn png(head: &[u8]) -> Still {
    if head.len() < 24 {
        return Still::NeedMore(StillFormat::Png);
    }
    match (head.get(12..16), be32(head, 16), be32(head, 20)) {
        (Some(b"IHDR"), Some(width), Some(height)) if width > 0 && height > 0 => Still::Picture {
            format: StillFormat::Png,
            width,
            height,
        },
        _ => Still::Corrupt(StillFormat::Png),
    }
}

/// JPEG: walks the marker segments up to the first start-of-frame (SOF0 to
/// SOF15 except DHT, JPG and DAC), which holds height then width.
fn jpeg(head: &[u8]) -> Still {
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while head.get(at) == Some(&0xFF) && head.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (head.get(at), head.get(at + 1)) else {
            return if at + 1 >= head.len() {
                Still::NeedMore(StillFormat::Jpeg)
            } else {
                Still::Corrupt(StillFormat::Jpeg)
            };
        };
        if matches!(marker, 0xD8 | 0x01 | 0xD0..=0xD7) {
            at += 2;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            // End of image, or scan data before any frame header.
            return Still::Corrupt(StillFormat::Jpeg);
        }
        let Some(length) = be16(head, at + 2) else {
            return Still::NeedMore(StillFormat::Jpeg);
        };
        if length < 2 {
            return Still::Corrupt(StillFormat::Jpeg);
        }
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            return match (be16(head, at + 5), be16(head, at + 7)) {
                (Some(height), Some(width)) if width > 0 && height > 0 => Still::Picture {
                    format: StillFormat::Jpeg,
                    width,
                    height,
                },
                (Some(_), Some(_)) => Still::Corrupt(StillFormat::Jpeg),
                _ => Still::NeedMore(StillFormat::Jpeg),
            };
        }
        at += 2 + length as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_and_jpeg_sizes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(
            read(&png),
            Still::Picture {
                format: StillFormat::Png,
                width: 640,
                height: 480
            }
        );
        assert_eq!(read(&png[..20]), Still::NeedMore(StillFormat::Png));
        // SOI, an APP0 segment of 16 bytes, then SOF0 with 100x50.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x32, 0x00, 0x64, 0x03]);
        assert_eq!(
            read(&jpeg),
            Still::Picture {
                format: StillFormat::Jpeg,
                width: 100,
                height: 50
            }
        );
        assert_eq!(read(&jpeg[..10]), Still::NeedMore(StillFormat::Jpeg));
        assert_eq!(read(b"GIF89a...."), Still::Other("GIF"));
        assert_eq!(read(b"hello"), Still::NotPicture);
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        for bytes in [
            &[0xFF, 0xD8, 0xFF][..],
            &[0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x00],
            &[0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xFF],
            b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDX\0\0\0\0\0\0\0\0",
        ] {
            let _ = read(bytes);
        }
    }
}
