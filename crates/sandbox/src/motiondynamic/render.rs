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

#[cfg(test)]
mod tests {
    use super::*;

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
