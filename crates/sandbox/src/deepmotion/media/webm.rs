//! WebM and Matroska: an EBML walk over the first 64 MiB.

use super::{Container, VideoMeta, codec_name, meta, tidy_fps};

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

/// Reads the video track of a WebM or Matroska file.
pub(super) fn read(data: &[u8]) -> Option<VideoMeta> {
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
