//! What an uploaded file is, read from its bytes (never from its name).
//!
//! - MP4 and MOV (ISO base media, `ftyp`, or an old QuickTime file that
//!   starts with `moov`/`mdat`/`wide`/`free`): read with the `mp4` crate;
//!   when it cannot read a file (QuickTime oddities, codecs it does not know
//!   such as `hvc1`), a small box walker in this module reads the same
//!   fields (`mvhd`, `tkhd`, `mdhd`, `hdlr`, `stsd`, `stts`).
//! - WebM/Matroska: an EBML walk reads `Info/Duration`, the video track's
//!   `PixelWidth`/`PixelHeight`/`CodecID`/`DefaultDuration`, and counts its
//!   blocks; the frame rate is `DefaultDuration` when present, otherwise
//!   blocks ÷ duration. Only the first 64 MiB are read.
//! - AVI: the RIFF `avih`, `strh` and `strf` headers give size, rate, frame
//!   count and codec.
//! - PNG and JPEG: size from the sandbox's own reader ([`super::still`]).
//!
//! A recognised container whose header cannot be read is a broken video
//! (a job made from it fails with 202, like any non-video); other picture
//! formats (GIF, WebP, BMP) are not accepted as input.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::still::{self, Still, StillFormat};

/// A video container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
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
    pub fn name(self) -> &'static str {
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
pub struct VideoMeta {
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
pub fn frames(seconds: f64, fps: f64) -> u64 {
    let n = (seconds * fps).round();
    if n.is_finite() && n >= 1.0 {
        n as u64
    } else {
        1
    }
}

/// What a file is.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
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
pub fn probe(path: &Path) -> Probe {
    let head = match read_head(path, HEAD_BYTES as u64) {
        Ok(head) => head,
        Err(e) => return Probe::Unsupported(format!("cannot read the file: {e}")),
    };
    match sniff_container(&head) {
        Some(container @ (Container::Mp4 | Container::Mov)) => {
            match read_mp4_crate(path).or_else(|| read_isobmff(path)) {
                Some(mut meta) => {
                    meta.container = container;
                    Probe::Video(meta)
                }
                None => Probe::BrokenVideo(container, "no readable video track".into()),
            }
        }
        Some(Container::WebM) => match read_head(path, MAX_SCAN).ok().and_then(|d| webm(&d)) {
            Some(meta) => Probe::Video(meta),
            None => Probe::BrokenVideo(Container::WebM, "no readable video track".into()),
        },
        Some(Container::Avi) => match avi(&head) {
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
pub fn sniff_container(head: &[u8]) -> Option<Container> {
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

fn read_mp4_crate(path: &Path) -> Option<VideoMeta> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    // The crate panics on some malformed files; a panic is a failed read.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let reader = mp4::Mp4Reader::read_header(BufReader::new(file), size).ok()?;
        let track = reader
            .tracks()
            .values()
            .filter(|t| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
            .min_by_key(|t| t.track_id())?;
        let mdhd = &track.trak.mdia.mdhd;
        if mdhd.timescale == 0 {
            return None;
        }
        let duration = mdhd.duration as f64 / f64::from(mdhd.timescale);
        let codec = track.box_type().ok()?.to_string();
        meta(
            u32::from(track.width()),
            u32::from(track.height()),
            u64::from(track.sample_count()),
            duration,
            codec_name(&codec),
        )
    }))
    .ok()
    .flatten()
}

// ISO base media box walker (fallback) ------------------------------------

fn be_u16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// The children of a box payload: `(type, payload)`.
fn children(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos + 8 <= data.len() {
        let Some(size32) = be_u32(data, pos) else {
            break;
        };
        let mut kind = [0u8; 4];
        kind.copy_from_slice(&data[pos + 4..pos + 8]);
        let (header, size) = match size32 {
            0 => (8, data.len() - pos),
            1 => match be_u64(data, pos + 8).and_then(|s| usize::try_from(s).ok()) {
                Some(size) => (16, size),
                None => break,
            },
            n => (8, n as usize),
        };
        if size < header || pos + size > data.len() {
            break;
        }
        out.push((kind, &data[pos + header..pos + size]));
        pos += size;
    }
    out
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(data)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, payload)| payload)
}

fn read_moov(path: &Path) -> Option<Vec<u8>> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut pos = 0u64;
    while pos + 8 <= len {
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8]).ok()?;
        let size32 = be_u32(&header, 0)?;
        let (header_len, size) = match size32 {
            0 => (8, len - pos),
            1 => {
                file.read_exact(&mut header[8..16]).ok()?;
                (16, be_u64(&header, 8)?)
            }
            n => (8, u64::from(n)),
        };
        if size < header_len {
            return None;
        }
        if &header[4..8] == b"moov" {
            let payload = size - header_len;
            if payload > MAX_SCAN {
                return None;
            }
            let mut data = vec![0u8; usize::try_from(payload).ok()?];
            file.read_exact(&mut data).ok()?;
            return Some(data);
        }
        pos = pos.checked_add(size)?;
    }
    None
}

fn read_isobmff(path: &Path) -> Option<VideoMeta> {
    let moov = read_moov(path)?;
    for (kind, trak) in children(&moov) {
        if &kind != b"trak" {
            continue;
        }
        let mdia = child(trak, b"mdia")?;
        let hdlr = child(mdia, b"hdlr")?;
        if hdlr.get(8..12) != Some(b"vide") {
            continue;
        }
        let mdhd = child(mdia, b"mdhd")?;
        let (timescale, duration) = if mdhd.first() == Some(&1) {
            (be_u32(mdhd, 20)?, be_u64(mdhd, 24)?)
        } else {
            (be_u32(mdhd, 12)?, u64::from(be_u32(mdhd, 16)?))
        };
        if timescale == 0 {
            return None;
        }
        let stbl = child(child(mdia, b"minf")?, b"stbl")?;
        let stsd = child(stbl, b"stsd")?;
        // version/flags, entry count, then the first sample entry.
        let entry = stsd.get(8..)?;
        let fourcc = String::from_utf8_lossy(entry.get(4..8)?).into_owned();
        let (mut width, mut height) = (
            u32::from(be_u16(entry, 8 + 24).unwrap_or(0)),
            u32::from(be_u16(entry, 8 + 26).unwrap_or(0)),
        );
        if width == 0 || height == 0 {
            let tkhd = child(trak, b"tkhd")?;
            let at = if tkhd.first() == Some(&1) { 88 } else { 76 };
            width = be_u32(tkhd, at)? >> 16;
            height = be_u32(tkhd, at + 4)? >> 16;
        }
        let frames = match child(stbl, b"stts") {
            Some(stts) => {
                let count = be_u32(stts, 4)? as usize;
                (0..count.min(stts.len() / 8))
                    .filter_map(|i| be_u32(stts, 8 + i * 8))
                    .map(u64::from)
                    .sum()
            }
            None => u64::from(be_u32(child(stbl, b"stsz")?, 8)?),
        };
        return meta(
            width,
            height,
            frames,
            duration as f64 / f64::from(timescale),
            codec_name(&fourcc),
        );
    }
    None
}

// WebM / Matroska ------------------------------------------------------------

fn vint(data: &[u8], pos: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *data.get(pos)?;
    if first == 0 {
        return None;
    }
    let len = first.leading_zeros() as usize + 1;
    let mask = (0xFFu16 >> len) as u8;
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first & mask)
    };
    let mut all_ones = value == u64::from(mask);
    for i in 1..len {
        let byte = *data.get(pos + i)?;
        all_ones &= byte == 0xFF;
        value = (value << 8) | u64::from(byte);
    }
    if !keep_marker && all_ones {
        value = u64::MAX;
    }
    Some((value, len))
}

fn uint(data: &[u8]) -> u64 {
    data.iter()
        .take(8)
        .fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

fn float(data: &[u8]) -> Option<f64> {
    match data.len() {
        4 => Some(f64::from(f32::from_be_bytes(data.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(data.try_into().ok()?)),
        _ => None,
    }
}

#[derive(Default)]
struct WebmTrack {
    number: u64,
    kind: u64,
    codec: String,
    default_duration: u64,
    width: u64,
    height: u64,
}

fn webm(data: &[u8]) -> Option<VideoMeta> {
    const MASTERS: [u64; 8] = [
        0x1853_8067, // Segment
        0x1549_A966, // Info
        0x1654_AE6B, // Tracks
        0xAE,        // TrackEntry
        0xE0,        // Video
        0x1F43_B675, // Cluster
        0xA0,        // BlockGroup
        0x1A45_DFA3, // EBML header
    ];
    let mut scale = 1_000_000u64;
    let mut duration = None;
    let mut tracks: Vec<WebmTrack> = Vec::new();
    let mut cluster_time = 0u64;
    let mut blocks: Vec<(u64, i64)> = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let Some((id, id_len)) = vint(data, pos, true) else {
            break;
        };
        let Some((size, size_len)) = vint(data, pos + id_len, false) else {
            break;
        };
        let start = pos + id_len + size_len;
        if MASTERS.contains(&id) {
            if id == 0xAE {
                tracks.push(WebmTrack::default());
            }
            pos = start;
            continue;
        }
        if size == u64::MAX {
            break;
        }
        let end = start.saturating_add(usize::try_from(size).ok()?);
        let payload = &data[start.min(data.len())..end.min(data.len())];
        let track = tracks.last_mut();
        match (id, track) {
            (0x2A_D7B1, _) => scale = uint(payload).max(1),
            (0x4489, _) => duration = float(payload),
            (0xD7, Some(t)) => t.number = uint(payload),
            (0x83, Some(t)) => t.kind = uint(payload),
            (0x86, Some(t)) => t.codec = String::from_utf8_lossy(payload).into_owned(),
            (0x23_E383, Some(t)) => t.default_duration = uint(payload),
            (0xB0, Some(t)) => t.width = uint(payload),
            (0xBA, Some(t)) => t.height = uint(payload),
            (0xE7, _) => cluster_time = uint(payload),
            (0xA3 | 0xA1, _) => {
                if let Some((number, n)) = vint(payload, 0, false) {
                    let rel = payload
                        .get(n..n + 2)
                        .map(|b| i64::from(i16::from_be_bytes([b[0], b[1]])))
                        .unwrap_or(0);
                    blocks.push((number, i64::try_from(cluster_time).unwrap_or(0) + rel));
                }
            }
            _ => {}
        }
        pos = end;
    }
    let video = tracks.iter().find(|t| t.kind == 1)?;
    let frames: Vec<i64> = blocks
        .iter()
        .filter(|(n, _)| *n == video.number)
        .map(|(_, t)| *t)
        .collect();
    let tick = scale as f64 / 1e9;
    let fps_default = (video.default_duration > 0).then(|| 1e9 / video.default_duration as f64);
    let seconds = match duration {
        Some(d) if d > 0.0 => d * tick,
        _ => {
            let last = frames.iter().copied().max()? as f64 * tick;
            last + fps_default.map_or(0.0, |f| 1.0 / f)
        }
    };
    let count = match (frames.len(), fps_default) {
        (0, Some(fps)) => frames_u64(seconds * fps),
        (n, _) => n as u64,
    };
    let mut out = meta(
        u32::try_from(video.width).ok()?,
        u32::try_from(video.height).ok()?,
        count,
        seconds,
        codec_name(&video.codec),
    )?;
    if let Some(fps) = fps_default {
        out.fps = tidy_fps(fps);
    }
    out.container = Container::WebM;
    Some(out)
}

fn frames_u64(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round() as u64
    } else {
        0
    }
}

// AVI ----------------------------------------------------------------------

fn le_u32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn avi(data: &[u8]) -> Option<VideoMeta> {
    let mut pos = 12usize;
    let (mut width, mut height, mut total_frames, mut us_per_frame) = (0u32, 0u32, 0u32, 0u32);
    let mut stream: Option<(String, u32, u32, u32)> = None; // handler, scale, rate, length
    let mut compression: Option<String> = None;
    let mut in_video_stream = false;
    while pos + 8 <= data.len() {
        let id = &data[pos..pos + 4];
        let size = le_u32(data, pos + 4)? as usize;
        let payload_start = pos + 8;
        if id == b"LIST" {
            let kind = data.get(payload_start..payload_start + 4)?;
            if kind == b"movi" {
                break;
            }
            pos = payload_start + 4;
            continue;
        }
        let payload = data.get(payload_start..(payload_start + size).min(data.len()))?;
        match id {
            b"avih" => {
                us_per_frame = le_u32(payload, 0)?;
                total_frames = le_u32(payload, 16)?;
                width = le_u32(payload, 32)?;
                height = le_u32(payload, 36)?;
            }
            b"strh" => {
                in_video_stream = payload.get(0..4) == Some(b"vids") && stream.is_none();
                if in_video_stream {
                    stream = Some((
                        String::from_utf8_lossy(payload.get(4..8)?).into_owned(),
                        le_u32(payload, 20)?,
                        le_u32(payload, 24)?,
                        le_u32(payload, 32)?,
                    ));
                }
            }
            b"strf" if in_video_stream => {
                compression = payload
                    .get(16..20)
                    .map(|c| String::from_utf8_lossy(c).into_owned());
                if let (Some(w), Some(h)) = (le_u32(payload, 4), le_u32(payload, 8)) {
                    width = if width == 0 { w } else { width };
                    height = if height == 0 {
                        (h as i32).unsigned_abs()
                    } else {
                        height
                    };
                }
                in_video_stream = false;
            }
            _ => {}
        }
        pos = payload_start + size + (size & 1);
    }
    let (handler, scale, rate, length) = stream.unwrap_or_default();
    let fps = if scale > 0 && rate > 0 {
        f64::from(rate) / f64::from(scale)
    } else if us_per_frame > 0 {
        1e6 / f64::from(us_per_frame)
    } else {
        return None;
    };
    let frames = if length > 0 { length } else { total_frames };
    let codec = compression
        .filter(|c| c.trim_matches('\0').trim().len() == 4)
        .unwrap_or(handler);
    let mut out = meta(
        width,
        height,
        u64::from(frames),
        f64::from(frames) / fps,
        codec_name(&codec),
    )?;
    out.fps = tidy_fps(fps);
    out.container = Container::Avi;
    Some(out)
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
            let mut ours = read_isobmff(&fixture(name)).unwrap();
            let theirs = read_mp4_crate(&fixture(name)).unwrap();
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
