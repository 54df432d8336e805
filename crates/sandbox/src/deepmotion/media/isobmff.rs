//! MP4 and MOV: the `mp4` crate first, and a small ISO base media box
//! walker for what it cannot read (QuickTime oddities, codecs it does not
//! know such as `hvc1`).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{MAX_SCAN, VideoMeta, codec_name, meta};

/// Reads the first video track with the `mp4` crate.
pub(super) fn read_with_mp4_crate(path: &Path) -> Option<VideoMeta> {
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

/// Reads the first video track with the box walker.
pub(super) fn read(path: &Path) -> Option<VideoMeta> {
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
