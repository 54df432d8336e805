//! What an uploaded file is, read from its bytes (never from its name).
//!
//! - MP4 and MOV (ISO base media, `ftyp`, or an old QuickTime file that
//!   starts with `moov`/`mdat`/`wide`/`free`): read with the `mp4` crate;
//!   when it cannot read a file (QuickTime oddities, codecs it does not know
//!   such as `hvc1`), a small box walker (`isobmff`) reads the same
//!   fields (`mvhd`, `tkhd`, `mdhd`, `hdlr`, `stsd`, `stts`).
//! - WebM/Matroska: an EBML walk (`webm`) reads `Info/Duration`, the
//!   video track's `PixelWidth`/`PixelHeight`/`CodecID`/`DefaultDuration`,
//!   and counts its blocks; the frame rate is `DefaultDuration` when
//!   present, otherwise blocks ÷ duration. Only the first 64 MiB are read.
//! - AVI (`avi`): the RIFF `avih`, `strh` and `strf` headers give size,
//!   rate, frame count and codec.
//! - PNG and JPEG: size from the sandbox's own reader ([`crate::still`]).
//! - Character models (`model`): glTF 2.0 with a mesh, or FBX (binary or
//!   ASCII) whose `Objects` hold a model or a geometry.
//!
//! A recognised container whose header cannot be read is a broken video
//! (a job made from it fails with 202, like any non-video); other picture
//! formats (GIF, WebP, BMP) are not accepted as input.

mod avi;
mod isobmff;
mod model;
mod webm;

pub(super) use model::read_model_file;
#[cfg(test)]
pub(super) use model::{ModelFormat, read_model};

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::still::{self, Still, StillFormat};

/// A video container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Container {
    /// ISO base media (`ftyp` brand other than `qt  `).
    Mp4,
    /// QuickTime.
    Mov,
    /// WebM or Matroska.
    WebM,
    /// AVI (RIFF).
    Avi,
}

impl Container {
    /// Lower-case name.
    pub(super) fn name(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::WebM => "webm",
            Container::Avi => "avi",
        }
    }
}

/// Metadata of a video.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct VideoMeta {
    /// Container.
    pub container: Container,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Duration in seconds.
    pub duration: f64,
    /// Codec name, such as `h264`.
    pub codec: String,
}

/// `round(seconds × fps)`, at least 1.
pub(super) fn frames(seconds: f64, fps: f64) -> u64 {
    let n = (seconds * fps).round();
    if n.is_finite() && n >= 1.0 {
        n as u64
    } else {
        1
    }
}

/// What a file is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Probe {
    /// A readable video.
    Video(VideoMeta),
    /// A PNG or JPEG picture.
    Image {
        /// PNG or JPEG.
        format: StillFormat,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A video container whose header cannot be read.
    BrokenVideo(Container, String),
    /// Neither a video nor a PNG/JPEG picture.
    Unsupported(String),
}

const HEAD_BYTES: usize = 256 * 1024;
const MAX_SCAN: u64 = 64 * 1024 * 1024;

/// Reads what the file at `path` is.
pub(super) fn probe(path: &Path) -> Probe {
    let head = match read_head(path, HEAD_BYTES as u64) {
        Ok(head) => head,
        Err(e) => return Probe::Unsupported(format!("cannot read the file: {e}")),
    };
    match sniff_container(&head) {
        Some(container @ (Container::Mp4 | Container::Mov)) => {
            match isobmff::read_with_mp4_crate(path).or_else(|| isobmff::read(path)) {
                Some(mut meta) => {
                    meta.container = container;
                    Probe::Video(meta)
                }
                None => Probe::BrokenVideo(container, "no readable video track".into()),
            }
        }
        Some(Container::WebM) => {
            match read_head(path, MAX_SCAN).ok().and_then(|d| webm::read(&d)) {
                Some(meta) => Probe::Video(meta),
                None => Probe::BrokenVideo(Container::WebM, "no readable video track".into()),
            }
        }
        Some(Container::Avi) => match avi::read(&head) {
            Some(meta) => Probe::Video(meta),
            None => Probe::BrokenVideo(Container::Avi, "no readable video stream".into()),
        },
        None => probe_picture(path, head),
    }
}

fn probe_picture(path: &Path, mut head: Vec<u8>) -> Probe {
    loop {
        match still::read(&head) {
            Still::Picture {
                format,
                width,
                height,
            } => {
                return Probe::Image {
                    format,
                    width,
                    height,
                };
            }
            Still::Other(format) => {
                return Probe::Unsupported(format!("{format} pictures are not accepted"));
            }
            Still::NeedMore(format) => {
                let want = (head.len() as u64).saturating_mul(4).max(HEAD_BYTES as u64);
                if head.len() as u64 >= MAX_SCAN {
                    return Probe::Unsupported(format!("unreadable {} picture", format.name()));
                }
                match read_head(path, want.min(MAX_SCAN)) {
                    Ok(more) if more.len() > head.len() => head = more,
                    _ => {
                        return Probe::Unsupported(format!("truncated {} picture", format.name()));
                    }
                }
            }
            Still::Corrupt(format) => {
                return Probe::Unsupported(format!("corrupt {} picture", format.name()));
            }
            Still::NotPicture => {
                return Probe::Unsupported("not a video or a PNG/JPEG picture".into());
            }
        }
    }
}

fn read_head(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    File::open(path)?.take(limit).read_to_end(&mut out)?;
    Ok(out)
}

/// The container named by the magic bytes.
fn sniff_container(head: &[u8]) -> Option<Container> {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(if &head[8..12] == b"qt  " {
            Container::Mov
        } else {
            Container::Mp4
        });
    }
    if head.len() >= 8 && matches!(&head[4..8], b"moov" | b"mdat" | b"wide" | b"pnot") {
        return Some(Container::Mov);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Container::WebM);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"AVI " {
        return Some(Container::Avi);
    }
    None
}

/// Rounds a frame rate: whole when within 0.01 of a whole number, else to
/// three decimals.
fn tidy_fps(fps: f64) -> f64 {
    if (fps - fps.round()).abs() < 0.01 {
        fps.round()
    } else {
        (fps * 1000.0).round() / 1000.0
    }
}

fn tidy_secs(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

fn codec_name(fourcc: &str) -> String {
    let lower = fourcc
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_ascii_lowercase();
    match lower.as_str() {
        "avc1" | "avc3" | "h264" | "x264" | "v_mpeg4/iso/avc" => "h264".into(),
        "hvc1" | "hev1" | "hevc" | "h265" | "v_mpegh/iso/hevc" => "hevc".into(),
        "vp08" | "v_vp8" => "vp8".into(),
        "vp09" | "v_vp9" => "vp9".into(),
        "av01" | "v_av1" => "av1".into(),
        "mp4v" | "fmp4" | "xvid" | "divx" | "dx50" => "mpeg4".into(),
        "mjpg" | "jpeg" | "mjpa" | "mjpb" => "mjpeg".into(),
        "apcn" | "apch" | "apcs" | "apco" | "ap4h" => "prores".into(),
        _ => lower,
    }
}

fn meta(width: u32, height: u32, frames: u64, duration: f64, codec: String) -> Option<VideoMeta> {
    if width == 0 || height == 0 || !(duration.is_finite() && duration > 0.0) || frames == 0 {
        return None;
    }
    Some(VideoMeta {
        container: Container::Mp4,
        width,
        height,
        fps: tidy_fps(frames as f64 / duration),
        duration: tidy_secs(duration),
        codec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(name)
    }

    fn video(name: &str) -> VideoMeta {
        match probe(&fixture(name)) {
            Probe::Video(meta) => meta,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn fixtures_are_read_from_their_containers() {
        let walk = video("walk.mp4");
        assert_eq!(
            (
                walk.container,
                walk.width,
                walk.height,
                walk.fps,
                walk.duration,
                walk.codec.as_str()
            ),
            (Container::Mp4, 320, 240, 30.0, 2.0, "h264")
        );
        assert_eq!(frames(walk.duration, walk.fps), 60);
        let turn = video("turn.mov");
        assert_eq!(
            (
                turn.container,
                turn.width,
                turn.height,
                turn.fps,
                turn.duration
            ),
            (Container::Mov, 320, 240, 24.0, 1.0)
        );
        let webm = video("clip.webm");
        assert_eq!(
            (
                webm.container,
                webm.width,
                webm.height,
                webm.fps,
                webm.duration,
                webm.codec.as_str()
            ),
            (Container::WebM, 160, 120, 25.0, 1.0, "vp8")
        );
        let avi = video("clip.avi");
        assert_eq!(
            (
                avi.container,
                avi.width,
                avi.height,
                avi.fps,
                avi.duration,
                avi.codec.as_str()
            ),
            (Container::Avi, 160, 120, 10.0, 1.0, "mpeg4")
        );
    }

    #[test]
    fn the_box_walker_agrees_with_the_mp4_crate() {
        for name in ["walk.mp4", "turn.mov"] {
            let mut ours = isobmff::read(&fixture(name)).unwrap();
            let theirs = isobmff::read_with_mp4_crate(&fixture(name)).unwrap();
            ours.container = theirs.container;
            assert_eq!(ours, theirs, "{name}");
        }
    }

    #[test]
    fn pictures_and_non_videos() {
        assert_eq!(
            probe(&fixture("pose.png")),
            Probe::Image {
                format: StillFormat::Png,
                width: 64,
                height: 96
            }
        );
        assert!(matches!(
            probe(&fixture("pose.jpg")),
            Probe::Image {
                format: StillFormat::Jpeg,
                width: 64,
                height: 96
            }
        ));
        assert!(matches!(
            probe(&fixture("not-a-video.mp4")),
            Probe::Unsupported(_)
        ));
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("b.mp4");
        std::fs::write(&broken, b"\0\0\0\x18ftypisom\0\0\0\0isomavc1").unwrap();
        assert!(matches!(
            probe(&broken),
            Probe::BrokenVideo(Container::Mp4, _)
        ));
    }
}
