//! The MP4: the animation rendered as a stick figure, one video frame per
//! BVH frame at the BVH's frame rate, encoded as H.264 with `less-avc`
//! (lossless intra frames, pure Rust) and muxed with the `mp4` crate.

use std::io::Cursor;

use bytes::Bytes;
use less_avc::ycbcr_image::{DataPlane, Planes, YCbCrImage};
use less_avc::{BitDepth, LessEncoder};
use mp4::{AvcConfig, MediaConfig, Mp4Config, Mp4Sample, Mp4Writer, TrackConfig, TrackType};

use super::skeleton::{Bone, frame_rate, pose, world_positions};

/// How the video looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Render {
    /// The input's width and height, when it has them (the output keeps its
    /// shape, scaled down to fit [`MAX_SIDE`]).
    pub input_size: Option<(u32, u32)>,
    /// `render.bgColor` (RGB; alpha is ignored).
    pub background: Option<[u8; 3]>,
    /// `render.sbs=1`: the input's place on the left, the render on the
    /// right.
    pub side_by_side: bool,
}

/// The longest side of one panel.
const MAX_SIDE: u32 = 160;
/// Bytes of picture data a video may hold (frames are stored losslessly,
/// 1.5 bytes a pixel).
const BUDGET: u64 = 32 << 20;
const DEFAULT_BACKGROUND: [u8; 3] = [0x30, 0x38, 0x40];

/// An even number of pixels, 16 to 1024.
fn even(v: f64) -> u32 {
    ((v / 2.0).round() as u32).clamp(8, 512) * 2
}

/// `v` rounded up to a whole number of 16-pixel macroblocks.
fn macroblocks(v: u32) -> usize {
    v.div_ceil(16) as usize * 16
}

/// `plane` (`width` × `height`) in a buffer padded to whole macroblocks
/// (`stride` × `rows`), the padding repeating the last column and row.
fn padded(plane: &[u8], width: usize, height: usize, stride: usize, rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(stride * rows);
    for row in 0..rows {
        let line = plane
            .get(row.min(height.saturating_sub(1)) * width..)
            .and_then(|rest| rest.get(..width))
            .unwrap_or(&[]);
        out.extend_from_slice(line);
        let last = line.last().copied().unwrap_or(0);
        out.resize((row + 1) * stride, last);
    }
    out
}

/// Width and height of one panel for `frames` frames.
fn panel_size(render: &Render, frames: u64) -> (u32, u32) {
    let (w, h) = match render.input_size {
        Some((w, h)) if w > 0 && h > 0 => (f64::from(w), f64::from(h)),
        _ => (4.0, 3.0),
    };
    let fit = f64::from(MAX_SIDE) / w.max(h);
    let (mut w, mut h) = (w * fit, h * fit);
    let panels = if render.side_by_side { 2.0 } else { 1.0 };
    let bytes = w * h * 1.5 * panels * frames as f64;
    if bytes > BUDGET as f64 {
        let shrink = (BUDGET as f64 / bytes).sqrt();
        (w, h) = (w * shrink, h * shrink);
    }
    (even(w), even(h))
}

/// A picture of a few colours: one palette index a pixel (0 the
/// background, 1 the input's panel, 2 the figure).
pub(crate) struct Canvas {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGB of each palette index.
    pub palette: [[u8; 3]; 3],
    /// Rows of palette indices.
    pub pixels: Vec<u8>,
}

const BACKGROUND: u8 = 0;
const PANEL: u8 = 1;
const INK: u8 = 2;

impl Canvas {
    fn dot(&mut self, x: f64, y: f64, radius: f64) {
        let r = radius.ceil() as i64;
        let (cx, cy) = (x.round() as i64, y.round() as i64);
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        for py in (cy - r).max(0)..=(cy + r).min(h - 1) {
            for px in (cx - r).max(0)..=(cx + r).min(w - 1) {
                if ((px - cx).pow(2) + (py - cy).pow(2)) as f64 <= radius * radius
                    && let Some(pixel) = self.pixels.get_mut((py * w + px) as usize)
                {
                    *pixel = INK;
                }
            }
        }
    }

    fn line(&mut self, a: (f64, f64), b: (f64, f64), radius: f64) {
        let steps = (b.0 - a.0).hypot(b.1 - a.1).ceil().clamp(1.0, 4096.0) as u32;
        for step in 0..=steps {
            let t = f64::from(step) / f64::from(steps);
            self.dot(a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, radius);
        }
    }

    /// Rows of RGB triples.
    pub(crate) fn rgb(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pixels.len() * 3);
        for index in &self.pixels {
            out.extend_from_slice(&self.palette[usize::from(*index).min(2)]);
        }
        out
    }

    /// YCbCr 4:2:0 planes (BT.601, full range), chroma taken from the top
    /// left pixel of each 2×2 block.
    fn ycbcr(&self) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let convert = |[r, g, b]: [u8; 3]| {
            let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
            [
                (77 * r + 150 * g + 29 * b + 128) >> 8,
                128 + ((-43 * r - 85 * g + 128 * b + 128) >> 8),
                128 + ((128 * r - 107 * g - 21 * b + 128) >> 8),
            ]
            .map(|v| v.clamp(0, 255) as u8)
        };
        let table = self.palette.map(convert);
        let lookup = |index: u8, plane: usize| table[usize::from(index).min(2)][plane];
        let y = self.pixels.iter().map(|i| lookup(*i, 0)).collect();
        let w = self.width as usize;
        let (mut cb, mut cr) = (Vec::new(), Vec::new());
        for row in self.pixels.chunks_exact(w).step_by(2) {
            for index in row.iter().step_by(2).take(w / 2) {
                cb.push(lookup(*index, 1));
                cr.push(lookup(*index, 2));
            }
        }
        (y, cb, cr)
    }
}

/// Draws `bones` in the pose of `frame` into the panel at `left`.
fn draw_figure(
    canvas: &mut Canvas,
    (left, width): (u32, u32),
    bones: &[Bone],
    frame: u64,
    fps: f64,
) {
    let pose = pose(frame, fps);
    let world = world_positions(bones, &pose);
    // Front view: the figure's X across, Y up, 200 units tall, feet low.
    let height = f64::from(canvas.height);
    let scale = height / 200.0;
    let project = |p: [f64; 3]| {
        (
            f64::from(left) + f64::from(width) / 2.0 + p[0] * scale,
            height * 0.95 - p[1] * scale,
        )
    };
    let radius = (scale * 1.5).max(1.0);
    for (index, bone) in bones.iter().enumerate() {
        if let (Some(parent), Some(at)) = (bone.parent, world.get(index))
            && let Some(from) = world.get(parent)
        {
            canvas.line(project(*from), project(*at), radius);
        }
    }
    if let Some(head) = bones.iter().position(|b| b.name == "Head") {
        let (x, y) = project(world[head]);
        canvas.dot(x, y - 6.0 * scale, 7.0 * scale);
    }
}

/// The frame `frame` as a picture.
pub(crate) fn frame_picture(
    bones: &[Bone],
    render: &Render,
    frame: u64,
    frames: u64,
    fps: f64,
) -> Canvas {
    let (w, h) = panel_size(render, frames);
    let background = render.background.unwrap_or(DEFAULT_BACKGROUND);
    let light = background.iter().map(|c| u32::from(*c)).sum::<u32>() > 3 * 128;
    let ink = if light {
        [0x20, 0x28, 0x30]
    } else {
        [0xE0, 0xE6, 0xEC]
    };
    let width = if render.side_by_side { w * 2 } else { w };
    let mut pixels = vec![BACKGROUND; width as usize * h as usize];
    let left = if render.side_by_side {
        // Where the input goes: a neutral panel.
        for row in pixels.chunks_exact_mut(width as usize) {
            row[..w as usize].fill(PANEL);
        }
        w
    } else {
        0
    };
    let mut canvas = Canvas {
        width,
        height: h,
        palette: [background, [0x80; 3], ink],
        pixels,
    };
    draw_figure(&mut canvas, (left, w), bones, frame, fps);
    canvas
}

fn encode_error(e: less_avc::Error) -> std::io::Error {
    std::io::Error::other(format!("H.264 encoding: {e}"))
}

fn mp4_error(e: mp4::Error) -> std::io::Error {
    std::io::Error::other(format!("MP4 muxing: {e}"))
}

/// The MP4 file: `frames` frames at `fps`.
pub(crate) fn mp4(
    bones: &[Bone],
    render: &Render,
    frames: u64,
    fps: f64,
) -> std::io::Result<Vec<u8>> {
    let fps = frame_rate(fps);
    let frames = frames.max(1);
    // Time in 1/1000 of a frame, so that any frame rate is exact enough.
    let timescale = ((fps * 1000.0).round() as u32).max(1);
    let config = Mp4Config {
        major_brand: str::parse("isom").unwrap_or_default(),
        minor_version: 512,
        compatible_brands: ["isom", "iso2", "avc1", "mp41"]
            .iter()
            .map(|b| str::parse(b).unwrap_or_default())
            .collect(),
        // The track's: the muxer converts each sample's duration to the
        // movie's timescale on its own, rounding every one.
        timescale,
    };
    let mut writer = Mp4Writer::write_start(Cursor::new(Vec::new()), &config).map_err(mp4_error)?;
    let mut encoder: Option<LessEncoder> = None;
    for frame in 0..frames {
        let canvas = frame_picture(bones, render, frame, frames, fps);
        let (y, cb, cr) = canvas.ycbcr();
        let (width, height) = (canvas.width, canvas.height);
        let (w, h) = (width as usize, height as usize);
        let (stride, rows) = (macroblocks(width), macroblocks(height));
        let y = padded(&y, w, h, stride, rows);
        let cb = padded(&cb, w / 2, h / 2, stride / 2, rows / 2);
        let cr = padded(&cr, w / 2, h / 2, stride / 2, rows / 2);
        let plane = |data| DataPlane {
            data,
            stride,
            bit_depth: BitDepth::Depth8,
        };
        let image = YCbCrImage {
            planes: Planes::YCbCr((
                plane(&y),
                DataPlane {
                    stride: stride / 2,
                    ..plane(&cb)
                },
                DataPlane {
                    stride: stride / 2,
                    ..plane(&cr)
                },
            )),
            width,
            height,
        };
        let nal = match encoder.as_mut() {
            Some(encoder) => encoder.encode(&image).map_err(encode_error)?,
            None => {
                let (initial, started) = LessEncoder::new(&image).map_err(encode_error)?;
                writer
                    .add_track(&TrackConfig {
                        track_type: TrackType::Video,
                        timescale,
                        language: "und".into(),
                        media_conf: MediaConfig::AvcConfig(AvcConfig {
                            width: u16::try_from(width).unwrap_or(u16::MAX),
                            height: u16::try_from(height).unwrap_or(u16::MAX),
                            seq_param_set: initial.sps.to_nal_unit(),
                            pic_param_set: initial.pps.to_nal_unit(),
                        }),
                    })
                    .map_err(mp4_error)?;
                encoder = Some(started);
                initial.frame
            }
        };
        let unit = nal.to_nal_unit();
        let mut sample = Vec::with_capacity(unit.len() + 4);
        sample.extend_from_slice(&u32::try_from(unit.len()).unwrap_or(0).to_be_bytes());
        sample.extend_from_slice(&unit);
        writer
            .write_sample(
                1,
                &Mp4Sample {
                    start_time: frame * 1000,
                    duration: 1000,
                    rendering_offset: 0,
                    is_sync: true,
                    bytes: Bytes::from(sample),
                },
            )
            .map_err(mp4_error)?;
    }
    writer.write_end().map_err(mp4_error)?;
    Ok(writer.into_writer().into_inner())
}

#[cfg(test)]
mod tests {
    use super::super::skeleton::bones;
    use super::*;

    #[test]
    fn a_video_has_one_sample_per_frame_at_the_frame_rate() {
        let render = Render {
            input_size: Some((640, 360)),
            background: Some([0, 177, 64]),
            side_by_side: false,
        };
        let bytes = mp4(&bones(), &render, 60, 30.0).unwrap();
        let size = bytes.len() as u64;
        let reader = mp4::Mp4Reader::read_header(Cursor::new(bytes), size).unwrap();
        let track = reader.tracks().get(&1).unwrap();
        assert_eq!(track.sample_count(), 60);
        assert_eq!((track.width(), track.height()), (160, 90));
        assert_eq!(track.duration().as_millis(), 2000);
        assert_eq!(reader.duration().as_millis(), 2000);
        assert_eq!(track.frame_rate(), 30.0);
    }

    #[test]
    fn the_render_honours_size_background_and_side_by_side() {
        let render = Render {
            input_size: Some((480, 640)),
            background: Some([255, 255, 255]),
            side_by_side: true,
        };
        let canvas = frame_picture(&bones(), &render, 0, 10, 30.0);
        assert_eq!((canvas.width, canvas.height), (2 * 120, 160));
        // Top right corner: the background; top left: the input's panel.
        let rgb = canvas.rgb();
        let right = ((canvas.width - 1) * 3) as usize;
        assert_eq!(rgb[right..right + 3], [255, 255, 255]);
        assert_eq!(rgb[..3], [0x80, 0x80, 0x80]);
        // The figure is drawn in dark ink on a light background.
        assert!(rgb.chunks(3).any(|p| p == [0x20, 0x28, 0x30]));
        // In the video, white is full luma and the ink dark.
        let (y, cb, cr) = canvas.ycbcr();
        assert_eq!(
            (y[canvas.width as usize - 1], cb.len()),
            (255, 120 * 160 / 4 * 2)
        );
        // (77 × 0x20 + 150 × 0x28 + 29 × 0x30 + 128) >> 8 = 39.
        assert!(y.contains(&39));
        assert_eq!(cr[cr.len() - 1], 128);
    }

    #[test]
    fn long_videos_are_rendered_smaller() {
        let render = Render {
            input_size: None,
            background: None,
            side_by_side: false,
        };
        assert_eq!(panel_size(&render, 10), (160, 120));
        assert_eq!(panel_size(&render, 2000), (122, 92));
        let (w, h) = panel_size(&render, 100_000);
        assert_eq!((w, h), (18, 16));
    }
}
