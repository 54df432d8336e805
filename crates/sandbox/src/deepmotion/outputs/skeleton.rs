//! The one animation every output carries: a 21-joint humanoid (the BVH's
//! hierarchy) and a gentle deterministic sway, sampled per frame.
//!
//! The BVH writes the joints and their `End Site`s; FBX, GLB and the video
//! use [`bones`], the same hierarchy with each end site as a bone of its
//! own (26 in all, as 3D tools count the BVH's nodes). Lengths are in the
//! BVH's units (centimetres).

/// One joint: name, parent index, offset and end-site offset.
pub(super) struct Joint {
    /// Name, as in the BVH.
    pub name: &'static str,
    /// Parent joint.
    pub parent: Option<usize>,
    /// Offset from the parent.
    pub offset: [f64; 3],
    /// `End Site` offset, for a chain's last joint.
    pub end: Option<[f64; 3]>,
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

/// The BVH's joints, parents before children.
pub(super) const SKELETON: &[Joint] = &[
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

/// Height of the hips above the ground at rest.
pub(super) const HIP_HEIGHT: f64 = 92.0;

/// A node of the exported skeleton.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bone {
    /// Name: the joint's, or `EndSite_<joint>` for an end site (as 3D
    /// tools name the BVH's end sites).
    pub name: String,
    /// Parent bone.
    pub parent: Option<usize>,
    /// Offset from the parent.
    pub offset: [f64; 3],
    /// The BVH joint it is (`None` for an end site, which never moves).
    pub joint: Option<usize>,
}

/// The BVH's joints (same indices), then one bone per end site.
pub(super) fn bones() -> Vec<Bone> {
    let mut out: Vec<Bone> = SKELETON
        .iter()
        .enumerate()
        .map(|(index, joint)| Bone {
            name: joint.name.to_owned(),
            parent: joint.parent,
            offset: joint.offset,
            joint: Some(index),
        })
        .collect();
    for (index, joint) in SKELETON.iter().enumerate() {
        if let Some(end) = joint.end {
            out.push(Bone {
                name: format!("EndSite_{}", joint.name),
                parent: Some(index),
                offset: end,
                joint: None,
            });
        }
    }
    out
}

/// Rest positions of `bones` (the sum of the offsets along the chain).
pub(super) fn rest_positions(bones: &[Bone]) -> Vec<[f64; 3]> {
    let mut out: Vec<[f64; 3]> = Vec::with_capacity(bones.len());
    for bone in bones {
        let base = bone
            .parent
            .and_then(|p| out.get(p).copied())
            .unwrap_or([0.0; 3]);
        out.push(add(base, bone.offset));
    }
    out
}

/// One frame of the motion, in the BVH's channels.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pose {
    /// Root position.
    pub root: [f64; 3],
    /// Per joint of [`SKELETON`]: rotations about Z, X and Y in degrees,
    /// applied in the BVH's `Zrotation Xrotation Yrotation` order.
    pub rotations: Vec<[f64; 3]>,
}

/// A usable frame rate (30 when `fps` is not one).
pub(super) fn frame_rate(fps: f64) -> f64 {
    if fps.is_finite() && fps > 0.0 {
        fps
    } else {
        30.0
    }
}

/// The pose at `frame` of a motion sampled at `fps`.
pub(super) fn pose(frame: u64, fps: f64) -> Pose {
    let t = frame as f64 / frame_rate(fps);
    let phase = t * std::f64::consts::TAU * 0.8;
    let root = [
        (phase * 0.5).sin() * 2.0,
        HIP_HEIGHT + phase.sin().abs() * 1.5,
        t * 40.0,
    ];
    let mut rotations = Vec::with_capacity(SKELETON.len());
    rotations.push([phase.sin() * 2.0, 0.0, phase.cos() * 3.0]);
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
        rotations.push([swing * 0.2, swing + bend, 0.0]);
    }
    Pose { root, rotations }
}

/// A unit quaternion `[x, y, z, w]`.
pub(super) type Quat = [f64; 4];

fn axis_angle(axis: usize, degrees: f64) -> Quat {
    let half = degrees.to_radians() / 2.0;
    let mut q = [0.0, 0.0, 0.0, half.cos()];
    q[axis] = half.sin();
    q
}

/// The product `a · b` (`b` applied first).
pub(super) fn quat_mul(a: Quat, b: Quat) -> Quat {
    let [ax, ay, az, aw] = a;
    let [bx, by, bz, bw] = b;
    [
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ]
}

/// The rotation of BVH channels `[z, x, y]` (degrees): `Rz · Rx · Ry`.
pub(super) fn zxy_quat([z, x, y]: [f64; 3]) -> Quat {
    let q = quat_mul(
        quat_mul(axis_angle(2, z), axis_angle(0, x)),
        axis_angle(1, y),
    );
    let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        q.map(|v| v / norm)
    } else {
        [0.0, 0.0, 0.0, 1.0]
    }
}

/// The rotation matrix of `q`, rows first.
pub(super) fn quat_matrix([x, y, z, w]: Quat) -> [[f64; 3]; 3] {
    [
        [
            1.0 - 2.0 * (y * y + z * z),
            2.0 * (x * y - z * w),
            2.0 * (x * z + y * w),
        ],
        [
            2.0 * (x * y + z * w),
            1.0 - 2.0 * (x * x + z * z),
            2.0 * (y * z - x * w),
        ],
        [
            2.0 * (x * z - y * w),
            2.0 * (y * z + x * w),
            1.0 - 2.0 * (x * x + y * y),
        ],
    ]
}

/// Euler angles `[x, y, z]` in degrees such that `Rz · Ry · Rx` is `q`
/// (FBX's default `XYZ` rotation order).
pub(super) fn xyz_euler(q: Quat) -> [f64; 3] {
    let m = quat_matrix(q);
    let y = (-m[2][0]).clamp(-1.0, 1.0).asin();
    let (x, z) = if m[2][0].abs() < 0.999_999 {
        (m[2][1].atan2(m[2][2]), m[1][0].atan2(m[0][0]))
    } else {
        ((-m[1][2]).atan2(m[1][1]), 0.0)
    };
    [x.to_degrees(), y.to_degrees(), z.to_degrees()]
}

/// `a + b`.
pub(super) fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn rotate(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|r| m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2])
}

fn mat_mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    [0, 1, 2].map(|r| [0, 1, 2].map(|c| (0..3).map(|k| a[r][k] * b[k][c]).sum()))
}

/// World positions of `bones` in `pose` (forward kinematics).
pub(super) fn world_positions(bones: &[Bone], pose: &Pose) -> Vec<[f64; 3]> {
    let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let mut frames: Vec<([f64; 3], [[f64; 3]; 3])> = Vec::with_capacity(bones.len());
    for bone in bones {
        let local = bone
            .joint
            .and_then(|j| pose.rotations.get(j))
            .map_or(identity, |r| quat_matrix(zxy_quat(*r)));
        let frame = match bone.parent.and_then(|p| frames.get(p)) {
            Some((position, rotation)) => (
                add(*position, rotate(rotation, bone.offset)),
                mat_mul(rotation, &local),
            ),
            None => (pose.root, local),
        };
        frames.push(frame);
    }
    frames.into_iter().map(|(position, _)| position).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn bones_are_the_joints_then_one_per_end_site() {
        let bones = bones();
        assert_eq!(bones.len(), SKELETON.len() + 5);
        assert_eq!(bones[26 - 1].name, "EndSite_RightToeBase");
        assert!(
            bones
                .iter()
                .enumerate()
                .all(|(i, b)| b.parent.is_none_or(|p| p < i))
        );
        let rest = rest_positions(&bones);
        assert_eq!(rest[4], [0.0, 46.0, 1.0]);
    }

    #[test]
    fn euler_angles_give_back_the_rotation() {
        for angles in [[10.0, 20.0, 30.0], [-40.0, 5.0, 70.0], [0.0, 0.0, 0.0]] {
            let q = zxy_quat(angles);
            let [x, y, z] = xyz_euler(q);
            let back = quat_mul(
                quat_mul(axis_angle(2, z), axis_angle(1, y)),
                axis_angle(0, x),
            );
            let dot: f64 = q.iter().zip(back).map(|(a, b)| a * b).sum();
            assert!(close(dot.abs(), 1.0), "{angles:?}: {q:?} vs {back:?}");
        }
    }

    #[test]
    fn forward_kinematics_moves_children_with_their_parents() {
        let bones = bones();
        let rest = Pose {
            root: [0.0, HIP_HEIGHT, 0.0],
            rotations: vec![[0.0; 3]; SKELETON.len()],
        };
        let at_rest = world_positions(&bones, &rest);
        assert!(close(at_rest[4][1], HIP_HEIGHT + 46.0));
        let mut bent = rest.clone();
        // Hips turned 90° about Y: the left leg's hip goes from +X to -Z.
        bent.rotations[0] = [0.0, 0.0, 90.0];
        let moved = world_positions(&bones, &bent);
        assert!(close(moved[13][0], 0.0) && close(moved[13][2], -9.0));
        assert_ne!(pose(0, 30.0), pose(10, 30.0));
    }
}
