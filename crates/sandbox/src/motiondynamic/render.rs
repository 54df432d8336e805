//! The "rendered" video: a real MP4 container holding one H.264 track of
//! the requested size and length, marked as sandbox output.

use std::io::Cursor;

use bytes::Bytes;
use mp4::{AvcConfig, MediaConfig, Mp4Config, Mp4Sample, Mp4Writer, TrackConfig, TrackType};

/// Marker inside every sample, so nobody mistakes the file for a real render.
pub(super) const MARKER: &[u8] = b"motionkit sandbox render";

/// An MP4 of `seconds` at `fps`, `width`×`height`, labelled with `label`.
pub(super) fn mp4(
    label: &str,
    width: u16,
    height: u16,
    fps: u32,
    seconds: u32,
) -> Result<Vec<u8>, mp4::Error> {
    let config = Mp4Config {
        major_brand: str::parse("isom").unwrap_or_default(),
        minor_version: 512,
        compatible_brands: vec![
            str::parse("isom").unwrap_or_default(),
            str::parse("iso2").unwrap_or_default(),
            str::parse("avc1").unwrap_or_default(),
            str::parse("mp41").unwrap_or_default(),
        ],
        timescale: 1000,
    };
    let mut writer = Mp4Writer::write_start(Cursor::new(Vec::new()), &config)?;
    writer.add_track(&TrackConfig {
        track_type: TrackType::Video,
        timescale: fps * 1000,
        language: "und".into(),
        media_conf: MediaConfig::AvcConfig(AvcConfig {
            width,
            height,
            // Baseline profile, level 3.0.
            seq_param_set: vec![
                0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF, 0xE5, 0x84, 0x00,
            ],
            pic_param_set: vec![0x68, 0xCE, 0x3C, 0x80],
        }),
    })?;
    let mut payload = MARKER.to_vec();
    payload.extend_from_slice(b": ");
    payload.extend_from_slice(label.as_bytes());
    let payload = Bytes::from(payload);
    for frame in 0..fps * seconds {
        writer.write_sample(
            1,
            &Mp4Sample {
                start_time: u64::from(frame) * 1000,
                duration: 1000,
                rendering_offset: 0,
                is_sync: frame == 0,
                bytes: payload.clone(),
            },
        )?;
    }
    writer.write_end()?;
    Ok(writer.into_writer().into_inner())
}

/// `mp4` followed by a `free` box that brings it to at least `min_bytes`
/// (a box players skip; 64-bit size when it is 4 GiB or more).
pub(super) fn padded(mut mp4: Vec<u8>, min_bytes: u64) -> Vec<u8> {
    let Some(missing) = min_bytes.checked_sub(mp4.len() as u64) else {
        return mp4;
    };
    if missing == 0 {
        return mp4;
    }
    // A `free` box is at least its 8-byte header; 16 with a 64-bit size.
    let size = missing.max(8);
    let Ok(target) = usize::try_from(mp4.len() as u64 + size) else {
        return mp4;
    };
    match u32::try_from(size) {
        Ok(small) => {
            mp4.extend_from_slice(&small.to_be_bytes());
            mp4.extend_from_slice(b"free");
        }
        Err(_) => {
            mp4.extend_from_slice(&1u32.to_be_bytes());
            mp4.extend_from_slice(b"free");
            mp4.extend_from_slice(&size.to_be_bytes());
        }
    }
    mp4.resize(target, 0);
    mp4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_keeps_the_video_readable_and_reaches_the_size() {
        let bytes = mp4("gen-1", 640, 360, 25, 2).unwrap();
        assert_eq!(padded(bytes.clone(), 0), bytes);
        assert_eq!(padded(bytes.clone(), 10), bytes, "already larger");
        let big = padded(bytes.clone(), 1 << 20);
        assert_eq!(big.len(), 1 << 20);
        assert_eq!(&big[bytes.len() + 4..bytes.len() + 8], b"free");
        let size = big.len() as u64;
        let reader = mp4::Mp4Reader::read_header(Cursor::new(big), size).unwrap();
        assert_eq!(reader.tracks().len(), 1);
    }

    #[test]
    fn output_is_a_readable_mp4_of_the_requested_shape() {
        let bytes = mp4("gen-1", 640, 360, 25, 2).unwrap();
        let size = bytes.len() as u64;
        let reader = mp4::Mp4Reader::read_header(Cursor::new(bytes.clone()), size).unwrap();
        let track = reader.tracks().values().next().unwrap();
        assert_eq!((track.width(), track.height()), (640, 360));
        assert_eq!(track.sample_count(), 50);
        assert_eq!(reader.duration().as_secs(), 2);
        assert!(bytes.windows(MARKER.len()).any(|w| w == MARKER));
    }
}
