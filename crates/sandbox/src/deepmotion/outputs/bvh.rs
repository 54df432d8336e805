//! The BVH: the reference every other output follows.

use std::fmt::Write as _;

use super::skeleton::{SKELETON, frame_rate, pose};

/// Number of values per BVH motion line: 6 for the root, 3 per other joint.
pub(super) fn channel_count() -> usize {
    6 + 3 * (SKELETON.len() - 1)
}

fn write_joint(out: &mut String, index: usize, depth: usize) {
    let Some(joint) = SKELETON.get(index) else {
        return;
    };
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
pub(super) fn write(out: &mut impl std::io::Write, frames: u64, fps: f64) -> std::io::Result<()> {
    let fps = frame_rate(fps);
    let mut head = String::from("HIERARCHY\n");
    write_joint(&mut head, 0, 0);
    let _ = writeln!(head, "MOTION");
    let _ = writeln!(head, "Frames: {frames}");
    let _ = writeln!(head, "Frame Time: {:.6}", 1.0 / fps);
    out.write_all(head.as_bytes())?;
    let mut line = String::with_capacity(channel_count() * 9);
    for frame in 0..frames {
        line.clear();
        let pose = pose(frame, fps);
        let [x, y, z] = pose.root;
        let _ = write!(line, "{x:.4} {y:.4} {z:.4}");
        for [rz, rx, ry] in &pose.rotations {
            let _ = write!(line, " {rz:.4} {rx:.4} {ry:.4}");
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bvh_has_the_requested_frames_and_a_value_per_channel() {
        let mut out = Vec::new();
        write(&mut out, 60, 30.0).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HIERARCHY\nROOT Hips\n"));
        assert_eq!(text.matches("JOINT ").count(), SKELETON.len() - 1);
        assert_eq!(text.matches("End Site").count(), 5);
        assert!(text.contains("Frames: 60\nFrame Time: 0.033333\n"));
        let motion = text.split("Frame Time: 0.033333\n").nth(1).unwrap();
        let lines: Vec<&str> = motion.lines().collect();
        assert_eq!(lines.len(), 60);
        assert!(
            lines
                .iter()
                .all(|l| l.split_whitespace().count() == channel_count())
        );
    }
}
