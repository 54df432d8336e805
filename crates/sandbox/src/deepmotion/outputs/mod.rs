//! The files a finished job offers. Every one carries the same animation
//! (`skeleton.rs`): the BVH is the reference, FBX and GLB hold its
//! skeleton, a mesh skinned to it and every frame, the MP4 renders it.
//!
//! - BVH (`bvh.rs`): a 21-joint humanoid hierarchy (`ROOT Hips`, `JOINT`s,
//!   `End Site`s) and a `MOTION` section with `Frames: N` and
//!   `Frame Time: 1/fps`, N being the input's duration (after `trim`) ×
//!   its frame rate (1 for a picture). The motion is a gentle
//!   deterministic sway.
//! - FBX (`fbx/`): binary FBX 7.4; the 26 bones (joints and end sites) as
//!   `LimbNode` models, a box mesh skinned to them, one animation stack.
//! - GLB (`glb.rs`): glTF 2.0 binary; the bones as nodes, a skinned mesh,
//!   one animation with a keyframe per BVH frame.
//! - MP4 (`video.rs`): H.264, one frame per BVH frame at its frame rate,
//!   a stick figure on `render.bgColor`.
//! - PNG is the pose rendered like a video frame; JPG a real picture. Both
//!   carry a `tEXt`/`COM` comment "motionkit sandbox output".
//! - `landmarks.dmpe` is text starting with `# motionkit sandbox output`.

mod bvh;
mod fbx;
mod glb;
mod mesh;
mod skeleton;
mod video;

pub(super) use video::Render;

use std::io::Write as _;

/// The words every output carries.
pub(super) const MARKER: &str = "motionkit sandbox output";

const JPG_ASSET: &[u8] = include_bytes!("../assets/sandbox.jpg");

/// A real JPEG with a `COM` segment saying it is sandbox output.
fn jpg(rid: &str) -> Vec<u8> {
    let comment = format!("{MARKER} (rid {rid})");
    let mut out = Vec::with_capacity(JPG_ASSET.len() + comment.len() + 4);
    out.extend_from_slice(&JPG_ASSET[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&JPG_ASSET[2..]);
    out
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for byte in *part {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                let mask = (crc & 1).wrapping_neg();
                crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
            }
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A real PNG of `rgb` (rows of RGB triples) with a `tEXt` comment saying
/// it is sandbox output.
pub(crate) fn png_rgb(width: u32, height: u32, rgb: &[u8], note: &str) -> Vec<u8> {
    let row = width as usize * 3;
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for line in rgb.chunks(row.max(1)).take(height as usize) {
        raw.push(0);
        raw.extend_from_slice(line);
    }
    // zlib with stored (uncompressed) deflate blocks.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"tEXt",
        format!("Comment\0{MARKER}: {note}").as_bytes(),
    );
    png_chunk(&mut out, b"IDAT", &zlib);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A real `size`×`size` PNG (a figure on a dark background) with a `tEXt`
/// comment saying it is sandbox output.
pub(super) fn png(size: u32, note: &str) -> Vec<u8> {
    let size = size.clamp(8, 256);
    let mut rgb = Vec::with_capacity((size * size * 3) as usize);
    for y in 0..size {
        for x in 0..size {
            let body = (x * 8 / size == 3 || x * 8 / size == 4) && y > size / 6 && y < size * 5 / 6;
            let head = {
                let (dx, dy) = (
                    x as i64 - i64::from(size / 2),
                    y as i64 - i64::from(size / 8),
                );
                dx * dx + dy * dy < i64::from(size * size / 100)
            };
            let pixel = if body || head {
                [0xC0, 0xC8, 0xD0]
            } else {
                [0x30, 0x38, 0x40]
            };
            rgb.extend_from_slice(&pixel);
        }
    }
    png_rgb(size, size, &rgb, note)
}

/// A `landmarks.dmpe` placeholder with one line per frame.
fn write_dmpe(
    out: &mut impl std::io::Write,
    rid: &str,
    frames: u64,
    fps: f64,
) -> std::io::Result<()> {
    writeln!(out, "# {MARKER}: pose landmarks placeholder")?;
    writeln!(out, "# rid {rid}, {frames} frames at {fps} fps")?;
    writeln!(out, "# frame time_s joint x y z")?;
    let fps = if fps > 0.0 { fps } else { 30.0 };
    for frame in 0..frames {
        writeln!(out, "{frame} {:.4} Hips 0.5 0.5 0.0", frame as f64 / fps)?;
    }
    Ok(())
}

/// The file name of an output format for an input stem.
pub(super) fn file_name(format: &str, stem: &str) -> String {
    match format {
        "dmpe" => "landmarks.dmpe".to_owned(),
        other => format!("{stem}.{other}"),
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec<'a> {
    /// Request id.
    pub rid: &'a str,
    /// BVH frames.
    pub frames: u64,
    /// Frame rate.
    pub fps: f64,
    /// How the video and the picture look.
    pub render: Render,
}

/// The bytes of a 3D or video output.
fn animation(format: &str, spec: &Spec<'_>) -> std::io::Result<Vec<u8>> {
    let bones = skeleton::bones();
    let rest = skeleton::rest_positions(&bones);
    let mesh = mesh::body(&bones);
    let scene = fbx::Scene {
        rid: spec.rid,
        bones: &bones,
        rest: &rest,
        mesh: &mesh,
        frames: spec.frames.max(1),
        fps: spec.fps,
    };
    match format {
        "fbx" => fbx::fbx(&scene),
        "glb" => glb::glb(&scene),
        "mp4" => video::mp4(&bones, &spec.render, scene.frames, spec.fps),
        _ => {
            let canvas = video::frame_picture(&bones, &spec.render, 0, 1, spec.fps);
            let note = format!("rendered pose for rid {}", spec.rid);
            Ok(png_rgb(canvas.width, canvas.height, &canvas.rgb(), &note))
        }
    }
}

/// The most frames an output holds (20 minutes at 30 fps): a video whose
/// header claims more is animated for that long, so that no input makes
/// the sandbox build files without bound.
pub(super) const MAX_FRAMES: u64 = 36_000;

/// Writes the file of `format` to `path`.
pub(super) fn write(path: &std::path::Path, format: &str, spec: Spec<'_>) -> std::io::Result<()> {
    let spec = Spec {
        frames: spec.frames.clamp(1, MAX_FRAMES),
        ..spec
    };
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    match format {
        "bvh" => bvh::write(&mut out, spec.frames, spec.fps)?,
        "fbx" | "glb" | "mp4" | "png" => out.write_all(&animation(format, &spec)?)?,
        "jpg" => out.write_all(&jpg(spec.rid))?,
        "dmpe" => write_dmpe(&mut out, spec.rid, spec.frames, spec.fps)?,
        other => writeln!(out, "# {MARKER}: {other} placeholder for rid {}", spec.rid)?,
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests;
