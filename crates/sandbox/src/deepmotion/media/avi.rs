//! AVI: the RIFF `avih`, `strh` and `strf` headers.

use super::{Container, VideoMeta, codec_name, meta, tidy_fps};

fn le_u32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// Reads the video stream headers of an AVI file.
pub(super) fn read(data: &[u8]) -> Option<VideoMeta> {
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
