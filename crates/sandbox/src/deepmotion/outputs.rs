//! The files a finished job offers.
//!
//! - BVH is real: a 21-joint humanoid hierarchy (`ROOT Hips`, `JOINT`s,
//!   `End Site`s) and a `MOTION` section with `Frames: N` and
//!   `Frame Time: 1/fps`, N being the input's duration (after `trim`) ×
//!   its frame rate. The motion is a gentle deterministic sway.
//! - FBX is an ASCII FBX whose first lines are comments saying it is
//!   motionkit sandbox output.
//! - GLB is a valid minimal glTF 2.0 binary (one node per joint) whose
//!   `asset.generator` says it is motionkit sandbox output.
//! - MP4 is a real 1-second clip tagged `comment=motionkit sandbox output`,
//!   with a trailing `free` box holding the same words.
//! - PNG and JPG are real pictures carrying a `tEXt`/`COM` comment
//!   "motionkit sandbox output".
//! - `landmarks.dmpe` is text starting with `# motionkit sandbox output`.

use std::fmt::Write as _;
use std::io::Write as _;

/// The words every placeholder carries.
pub(super) const MARKER: &str = "motionkit sandbox output";

const MP4_ASSET: &[u8] = include_bytes!("assets/sandbox.mp4");
const JPG_ASSET: &[u8] = include_bytes!("assets/sandbox.jpg");

/// One joint: name, parent index, offset and end-site offset.
struct Joint {
    name: &'static str,
    parent: Option<usize>,
    offset: [f64; 3],
    end: Option<[f64; 3]>,
}

const fn j(
    name: &'static str,
    parent: Option<usize>,
    offset: [f64; 3],
    end: Option<[f64; 3]>,
) -> Joint {
    Joint {
        name,
        parent,
        offset,
        end,
    }
}

const SKELETON: &[Joint] = &[
    j("Hips", None, [0.0, 0.0, 0.0], None),
    j("Spine", Some(0), [0.0, 10.0, 0.0], None),
    j("Spine1", Some(1), [0.0, 12.0, 0.0], None),
    j("Neck", Some(2), [0.0, 16.0, 0.0], None),
    j("Head", Some(3), [0.0, 8.0, 1.0], Some([0.0, 16.0, 0.0])),
    j("LeftShoulder", Some(2), [4.0, 13.0, 0.0], None),
    j("LeftArm", Some(5), [12.0, 0.0, 0.0], None),
    j("LeftForeArm", Some(6), [26.0, 0.0, 0.0], None),
    j("LeftHand", Some(7), [24.0, 0.0, 0.0], Some([9.0, 0.0, 0.0])),
    j("RightShoulder", Some(2), [-4.0, 13.0, 0.0], None),
    j("RightArm", Some(9), [-12.0, 0.0, 0.0], None),
    j("RightForeArm", Some(10), [-26.0, 0.0, 0.0], None),
    j(
        "RightHand",
        Some(11),
        [-24.0, 0.0, 0.0],
        Some([-9.0, 0.0, 0.0]),
    ),
    j("LeftUpLeg", Some(0), [9.0, -2.0, 0.0], None),
    j("LeftLeg", Some(13), [0.0, -42.0, 0.0], None),
    j("LeftFoot", Some(14), [0.0, -40.0, -1.0], None),
    j(
        "LeftToeBase",
        Some(15),
        [0.0, -5.0, 12.0],
        Some([0.0, 0.0, 6.0]),
    ),
    j("RightUpLeg", Some(0), [-9.0, -2.0, 0.0], None),
    j("RightLeg", Some(17), [0.0, -42.0, 0.0], None),
    j("RightFoot", Some(18), [0.0, -40.0, -1.0], None),
    j(
        "RightToeBase",
        Some(19),
        [0.0, -5.0, 12.0],
        Some([0.0, 0.0, 6.0]),
    ),
];

/// Number of values per BVH motion line: 6 for the root, 3 per other joint.
fn bvh_channel_count() -> usize {
    6 + 3 * (SKELETON.len() - 1)
}

fn write_joint(out: &mut String, index: usize, depth: usize) {
    let joint = &SKELETON[index];
    let pad = "\t".repeat(depth);
    let [x, y, z] = joint.offset;
    if joint.parent.is_none() {
        let _ = writeln!(out, "{pad}ROOT {}", joint.name);
    } else {
        let _ = writeln!(out, "{pad}JOINT {}", joint.name);
    }
    let _ = writeln!(out, "{pad}{{");
    let _ = writeln!(out, "{pad}\tOFFSET {x:.2} {y:.2} {z:.2}");
    if joint.parent.is_none() {
        let _ = writeln!(
            out,
            "{pad}\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
        );
    } else {
        let _ = writeln!(out, "{pad}\tCHANNELS 3 Zrotation Xrotation Yrotation");
    }
    for (child, _) in SKELETON
        .iter()
        .enumerate()
        .filter(|(_, c)| c.parent == Some(index))
    {
        write_joint(out, child, depth + 1);
    }
    if let Some([ex, ey, ez]) = joint.end {
        let _ = writeln!(out, "{pad}\tEnd Site");
        let _ = writeln!(out, "{pad}\t{{");
        let _ = writeln!(out, "{pad}\t\tOFFSET {ex:.2} {ey:.2} {ez:.2}");
        let _ = writeln!(out, "{pad}\t}}");
    }
    let _ = writeln!(out, "{pad}}}");
}

/// Writes a BVH of `frames` frames at `fps` to `out`.
fn write_bvh(out: &mut impl std::io::Write, frames: u64, fps: f64) -> std::io::Result<()> {
    let fps = if fps.is_finite() && fps > 0.0 {
        fps
    } else {
        30.0
    };
    let mut head = String::from("HIERARCHY\n");
    write_joint(&mut head, 0, 0);
    let _ = writeln!(head, "MOTION");
    let _ = writeln!(head, "Frames: {frames}");
    let _ = writeln!(head, "Frame Time: {:.6}", 1.0 / fps);
    out.write_all(head.as_bytes())?;
    let mut line = String::with_capacity(bvh_channel_count() * 9);
    for frame in 0..frames {
        line.clear();
        let t = frame as f64 / fps;
        let phase = t * std::f64::consts::TAU * 0.8;
        let _ = write!(
            line,
            "{:.4} {:.4} {:.4} {:.4} {:.4} {:.4}",
            (phase * 0.5).sin() * 2.0,
            92.0 + phase.sin().abs() * 1.5,
            t * 40.0,
            phase.sin() * 2.0,
            0.0,
            phase.cos() * 3.0
        );
        for (index, joint) in SKELETON.iter().enumerate().skip(1) {
            let side = if joint.name.starts_with("Right") {
                -1.0
            } else {
                1.0
            };
            let swing = (phase + index as f64 * 0.3).sin() * 12.0 * side;
            let bend = if joint.name.contains("Leg") || joint.name.contains("ForeArm") {
                (phase.sin() * side).max(0.0) * 25.0
            } else {
                0.0
            };
            let _ = write!(line, " {:.4} {:.4} {:.4}", swing * 0.2, swing + bend, 0.0);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// An ASCII FBX placeholder.
pub(super) fn fbx(rid: &str, frames: u64, fps: f64) -> Vec<u8> {
    let mut out = String::new();
    let _ = writeln!(out, "; FBX 7.4.0 project file");
    let _ = writeln!(
        out,
        "; {MARKER}: a placeholder, not a real animation (rid {rid}, {frames} frames at {fps} fps)"
    );
    let _ = writeln!(
        out,
        "; ----------------------------------------------------"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "FBXHeaderExtension:  {{");
    let _ = writeln!(out, "\tFBXHeaderVersion: 1003");
    let _ = writeln!(out, "\tFBXVersion: 7400");
    let _ = writeln!(out, "\tCreator: \"{MARKER}\"");
    let _ = writeln!(out, "}}");
    let _ = writeln!(out, "Objects:  {{");
    for (index, joint) in SKELETON.iter().enumerate() {
        let _ = writeln!(
            out,
            "\tModel: {}, \"Model::{}\", \"LimbNode\" {{ }}",
            index + 1,
            joint.name
        );
    }
    let _ = writeln!(out, "}}");
    out.into_bytes()
}

/// A valid minimal glTF 2.0 binary with one node per joint.
pub(super) fn glb(rid: &str) -> Vec<u8> {
    let nodes: Vec<serde_json::Value> = SKELETON
        .iter()
        .enumerate()
        .map(|(index, joint)| {
            let children: Vec<usize> = SKELETON
                .iter()
                .enumerate()
                .filter(|(_, c)| c.parent == Some(index))
                .map(|(i, _)| i)
                .collect();
            let mut node = serde_json::json!({
                "name": joint.name,
                "translation": joint.offset.map(|v| v / 100.0),
            });
            if !children.is_empty() {
                node["children"] = serde_json::json!(children);
            }
            node
        })
        .collect();
    let document = serde_json::json!({
        "asset": {"version": "2.0", "generator": MARKER},
        "scene": 0,
        "scenes": [{"name": MARKER, "nodes": [0]}],
        "nodes": nodes,
        "extras": {"rid": rid, "note": format!("{MARKER}: a placeholder, not a real animation")},
    });
    let mut json = serde_json::to_vec(&document).unwrap_or_default();
    while json.len() % 4 != 0 {
        json.push(b' ');
    }
    let total = 12 + 8 + json.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out
}

fn free_box(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + text.len());
    out.extend_from_slice(&((8 + text.len()) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend_from_slice(text.as_bytes());
    out
}

/// A real, short MP4 marked as sandbox output.
pub(super) fn mp4(rid: &str) -> Vec<u8> {
    let mut out = MP4_ASSET.to_vec();
    out.extend(free_box(&format!(
        "{MARKER}: rendered preview placeholder for rid {rid}"
    )));
    out
}

/// A real JPEG with a `COM` segment saying it is sandbox output.
pub(super) fn jpg(rid: &str) -> Vec<u8> {
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

/// A real `size`×`size` PNG (a figure on a dark background) with a `tEXt`
/// comment saying it is sandbox output.
pub(super) fn png(size: u32, note: &str) -> Vec<u8> {
    let size = size.clamp(8, 256);
    let mut raw = Vec::with_capacity(((size * 3 + 1) * size) as usize);
    for y in 0..size {
        raw.push(0);
        for x in 0..size {
            let body = (x * 8 / size == 3 || x * 8 / size == 4) && y > size / 6 && y < size * 5 / 6;
            let head = {
                let (dx, dy) = (
                    x as i64 - i64::from(size / 2),
                    y as i64 - i64::from(size / 8),
                );
                dx * dx + dy * dy < i64::from(size * size / 100)
            };
            let rgb = if body || head {
                [0xC0, 0xC8, 0xD0]
            } else {
                [0x30, 0x38, 0x40]
            };
            raw.extend_from_slice(&rgb);
        }
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
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&size.to_be_bytes());
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
}

/// Writes the file of `format` to `path`.
pub(super) fn write(path: &std::path::Path, format: &str, spec: Spec<'_>) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    match format {
        "bvh" => write_bvh(&mut out, spec.frames, spec.fps)?,
        "fbx" => out.write_all(&fbx(spec.rid, spec.frames, spec.fps))?,
        "glb" => out.write_all(&glb(spec.rid))?,
        "mp4" => out.write_all(&mp4(spec.rid))?,
        "png" => out.write_all(&png(128, &format!("rendered pose for rid {}", spec.rid)))?,
        "jpg" => out.write_all(&jpg(spec.rid))?,
        "dmpe" => write_dmpe(&mut out, spec.rid, spec.frames, spec.fps)?,
        other => writeln!(out, "# {MARKER}: {other} placeholder for rid {}", spec.rid)?,
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use motionkit_validation::{PictureFormat, sniff};

    #[test]
    fn bvh_has_the_requested_frames_and_a_value_per_channel() {
        let mut out = Vec::new();
        write_bvh(&mut out, 60, 30.0).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HIERARCHY\nROOT Hips\n"));
        assert_eq!(text.matches("JOINT ").count(), SKELETON.len() - 1);
        assert!(text.contains("Frames: 60\nFrame Time: 0.033333\n"));
        let motion = text.split("Frame Time: 0.033333\n").nth(1).unwrap();
        let lines: Vec<&str> = motion.lines().collect();
        assert_eq!(lines.len(), 60);
        assert!(
            lines
                .iter()
                .all(|l| l.split_whitespace().count() == bvh_channel_count())
        );
    }

    #[test]
    fn placeholders_are_real_files_and_marked() {
        let picture = png(64, "x");
        let info = sniff(&picture).unwrap();
        assert_eq!(
            (info.format, info.width, info.height),
            (PictureFormat::Png, 64, 64)
        );
        assert!(
            picture
                .windows(MARKER.len())
                .any(|w| w == MARKER.as_bytes())
        );
        let photo = jpg("r");
        assert_eq!(sniff(&photo).unwrap().format, PictureFormat::Jpeg);
        assert!(photo.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
        let glb = glb("r");
        assert_eq!(&glb[..4], b"glTF");
        assert_eq!(
            u32::from_le_bytes(glb[8..12].try_into().unwrap()) as usize,
            glb.len()
        );
        let json_len = u32::from_le_bytes(glb[12..16].try_into().unwrap()) as usize;
        let doc: serde_json::Value = serde_json::from_slice(&glb[20..20 + json_len]).unwrap();
        assert_eq!(doc["asset"]["generator"], MARKER);
        assert!(
            String::from_utf8(fbx("r", 1, 30.0))
                .unwrap()
                .contains(MARKER)
        );
        let clip = mp4("r");
        assert_eq!(&clip[4..8], b"ftyp");
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
    }
}
