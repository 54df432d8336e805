//! The character's body: a box along every bone and a small cube at every
//! joint, each vertex bound to one bone with full weight, so that every
//! bone of the skeleton moves part of the mesh.

use super::skeleton::{Bone, rest_positions};

/// A mesh in the skeleton's rest pose.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Mesh {
    /// Vertex positions.
    pub positions: Vec<[f64; 3]>,
    /// The bone each vertex follows.
    pub bone_of: Vec<usize>,
    /// Triangles, counter-clockwise seen from outside.
    pub triangles: Vec<[u32; 3]>,
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn scaled(v: [f64; 3], length: f64) -> [f64; 3] {
    let norm = v.iter().map(|c| c * c).sum::<f64>().sqrt();
    if norm > 1e-9 {
        v.map(|c| c / norm * length)
    } else {
        [0.0; 3]
    }
}

/// Corners `a ± u ± v` then `b ± u ± v`, and the box's 12 triangles.
const BOX_TRIANGLES: [[u32; 3]; 12] = [
    [0, 2, 1],
    [1, 2, 3],
    [4, 5, 6],
    [5, 7, 6],
    [0, 1, 4],
    [1, 5, 4],
    [2, 6, 3],
    [3, 6, 7],
    [0, 4, 2],
    [2, 4, 6],
    [1, 3, 5],
    [3, 7, 5],
];

impl Mesh {
    fn push_box(&mut self, a: [f64; 3], b: [f64; 3], radius: f64, bone: usize) {
        let axis = sub(b, a);
        let (a, b, u, v) = if axis.iter().all(|c| c.abs() < 1e-9) {
            // A cube around `a`.
            let h = radius;
            (
                sub(a, [0.0, 0.0, h]),
                sub(a, [0.0, 0.0, -h]),
                [h, 0.0, 0.0],
                [0.0, h, 0.0],
            )
        } else {
            let helper = if axis[1].abs() > axis[0].abs().max(axis[2].abs()) {
                [1.0, 0.0, 0.0]
            } else {
                [0.0, 1.0, 0.0]
            };
            let u = scaled(cross(axis, helper), radius);
            let v = scaled(cross(axis, u), radius);
            (a, b, u, v)
        };
        let Ok(base) = u32::try_from(self.positions.len()) else {
            return;
        };
        for end in [a, b] {
            for su in [-1.0, 1.0] {
                for sv in [-1.0, 1.0] {
                    self.positions
                        .push([0, 1, 2].map(|i| end[i] + su * u[i] + sv * v[i]));
                    self.bone_of.push(bone);
                }
            }
        }
        self.triangles
            .extend(BOX_TRIANGLES.iter().map(|t| t.map(|i| base + i)));
    }
}

/// The body of `bones` in their rest pose.
pub(super) fn body(bones: &[Bone]) -> Mesh {
    let rest = rest_positions(bones);
    let mut mesh = Mesh {
        positions: Vec::new(),
        bone_of: Vec::new(),
        triangles: Vec::new(),
    };
    for (index, bone) in bones.iter().enumerate() {
        if let Some(parent) = bone.parent {
            mesh.push_box(rest[parent], rest[index], 2.5, parent);
        }
        mesh.push_box(rest[index], rest[index], 3.0, index);
    }
    mesh
}

#[cfg(test)]
mod tests {
    use super::super::skeleton::bones;
    use super::*;

    #[test]
    fn every_bone_moves_some_vertices() {
        let bones = bones();
        let mesh = body(&bones);
        assert_eq!(mesh.positions.len(), mesh.bone_of.len());
        assert_eq!(mesh.positions.len(), 8 * (2 * bones.len() - 1));
        assert_eq!(mesh.triangles.len(), 12 * (2 * bones.len() - 1));
        for bone in 0..bones.len() {
            assert!(mesh.bone_of.contains(&bone), "bone {bone} has no vertex");
        }
        let n = mesh.positions.len() as u32;
        assert!(mesh.triangles.iter().flatten().all(|&i| i < n));
    }
}
