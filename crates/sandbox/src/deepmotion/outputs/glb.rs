//! The GLB: a glTF 2.0 binary with the skeleton as nodes, a mesh skinned
//! to it and one animation whose samplers hold every frame of the BVH,
//! written with the `gltf` crate's JSON types and GLB container. Lengths
//! are in metres (the BVH's centimetres ÷ 100).

use gltf::binary::{Glb, Header};
use gltf::json::accessor::{ComponentType, GenericComponentType, Type};
use gltf::json::animation::{Channel, Interpolation, Property, Sampler, Target};
use gltf::json::buffer::{Target as BufferTarget, View};
use gltf::json::mesh::{Mode, Primitive, Semantic};
use gltf::json::validation::{Checked, USize64};
use gltf::json::{
    Accessor, Animation, Asset, Buffer, Index, Material, Mesh, Node, Root, Scene, Skin,
};

use super::MARKER;
use super::skeleton::{SKELETON, frame_rate, pose, zxy_quat};

/// Metres per BVH unit.
const SCALE: f64 = 0.01;

/// The binary chunk and the JSON that describes it, built together.
struct Builder {
    root: Root,
    bin: Vec<u8>,
}

impl Builder {
    /// Appends `bytes` as a buffer view (aligned to 4 bytes).
    fn view(&mut self, bytes: &[u8], target: Option<BufferTarget>) -> Index<View> {
        while !self.bin.len().is_multiple_of(4) {
            self.bin.push(0);
        }
        let offset = self.bin.len();
        self.bin.extend_from_slice(bytes);
        self.root.push(View {
            buffer: Index::new(0),
            byte_length: USize64::from(bytes.len()),
            byte_offset: Some(USize64::from(offset)),
            byte_stride: None,
            name: None,
            target: target.map(Checked::Valid),
            extensions: None,
            extras: Default::default(),
        })
    }

    /// An accessor of `count` elements of `type_` over a new view.
    fn accessor(
        &mut self,
        bytes: &[u8],
        target: Option<BufferTarget>,
        (component, type_, count): (ComponentType, Type, usize),
        bounds: Option<(Vec<f32>, Vec<f32>)>,
    ) -> Index<Accessor> {
        let view = self.view(bytes, target);
        let (min, max) = match bounds {
            Some((min, max)) => (Some(min.into()), Some(max.into())),
            None => (None, None),
        };
        self.root.push(Accessor {
            buffer_view: Some(view),
            byte_offset: None,
            count: USize64::from(count),
            component_type: Checked::Valid(GenericComponentType(component)),
            extensions: None,
            extras: Default::default(),
            type_: Checked::Valid(type_),
            min,
            max,
            name: None,
            normalized: false,
            sparse: None,
        })
    }

    /// A float accessor of `items` (each of `N` components).
    fn floats<const N: usize>(
        &mut self,
        items: &[[f32; N]],
        type_: Type,
        target: Option<BufferTarget>,
        bounded: bool,
    ) -> Index<Accessor> {
        let bytes: Vec<u8> = items
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let bounds = bounded.then(|| {
            let mut min = [f32::INFINITY; N];
            let mut max = [f32::NEG_INFINITY; N];
            for item in items {
                for (i, v) in item.iter().enumerate() {
                    min[i] = min[i].min(*v);
                    max[i] = max[i].max(*v);
                }
            }
            (min.to_vec(), max.to_vec())
        });
        self.accessor(
            &bytes,
            target,
            (ComponentType::F32, type_, items.len()),
            bounds,
        )
    }
}

fn node(name: &str) -> Node {
    Node {
        camera: None,
        children: None,
        extensions: None,
        extras: Default::default(),
        matrix: None,
        mesh: None,
        name: Some(name.to_owned()),
        rotation: None,
        scale: None,
        translation: None,
        skin: None,
        weights: None,
    }
}

fn scaled(v: [f64; 3]) -> [f32; 3] {
    v.map(|c| (c * SCALE) as f32)
}

/// The GLB file of `scene`.
pub(super) fn glb(scene: &super::fbx::Scene<'_>) -> Result<Vec<u8>, std::io::Error> {
    let mut b = Builder {
        root: Root::default(),
        bin: Vec::new(),
    };
    b.root.asset = Asset {
        generator: Some(format!("{MARKER} (rid {})", scene.rid)),
        ..Asset::default()
    };
    // The skeleton: one node per bone, then the body.
    let bones = scene.bones;
    let mut nodes: Vec<Node> = bones
        .iter()
        .map(|bone| Node {
            translation: Some(scaled(bone.offset)),
            ..node(&bone.name)
        })
        .collect();
    for (index, bone) in bones.iter().enumerate() {
        if let Some(parent) = bone.parent.and_then(|p| nodes.get_mut(p)) {
            parent
                .children
                .get_or_insert_with(Vec::new)
                .push(Index::new(index as u32));
        }
    }
    let mesh = scene.mesh;
    let positions: Vec<[f32; 3]> = mesh.positions.iter().map(|p| scaled(*p)).collect();
    let position = b.floats(
        &positions,
        Type::Vec3,
        Some(BufferTarget::ArrayBuffer),
        true,
    );
    let joints: Vec<u8> = mesh
        .bone_of
        .iter()
        .flat_map(|bone| [u8::try_from(*bone).unwrap_or(0), 0, 0, 0])
        .collect();
    let joints = b.accessor(
        &joints,
        Some(BufferTarget::ArrayBuffer),
        (ComponentType::U8, Type::Vec4, mesh.bone_of.len()),
        None,
    );
    let weights = vec![[1.0f32, 0.0, 0.0, 0.0]; mesh.bone_of.len()];
    let weights = b.floats(&weights, Type::Vec4, Some(BufferTarget::ArrayBuffer), false);
    let indices: Vec<u8> = mesh
        .triangles
        .iter()
        .flatten()
        .flat_map(|i| u16::try_from(*i).unwrap_or(0).to_le_bytes())
        .collect();
    let indices = b.accessor(
        &indices,
        Some(BufferTarget::ElementArrayBuffer),
        (ComponentType::U16, Type::Scalar, mesh.triangles.len() * 3),
        None,
    );
    let inverse_binds: Vec<[f32; 16]> = scene
        .rest
        .iter()
        .map(|at| {
            let [x, y, z] = scaled(*at);
            [
                1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -x, -y, -z, 1.0,
            ]
        })
        .collect();
    let inverse_binds = b.floats(&inverse_binds, Type::Mat4, None, false);
    let material = b.root.push(Material {
        name: Some("Skin".into()),
        ..Material::default()
    });
    let mut attributes = std::collections::BTreeMap::new();
    attributes.insert(Checked::Valid(Semantic::Positions), position);
    attributes.insert(Checked::Valid(Semantic::Joints(0)), joints);
    attributes.insert(Checked::Valid(Semantic::Weights(0)), weights);
    let body_mesh = b.root.push(Mesh {
        extensions: None,
        extras: Default::default(),
        name: Some("Body".into()),
        primitives: vec![Primitive {
            attributes,
            extensions: None,
            extras: Default::default(),
            indices: Some(indices),
            material: Some(material),
            mode: Checked::Valid(Mode::Triangles),
            targets: None,
        }],
        weights: None,
    });
    let skin = b.root.push(Skin {
        extensions: None,
        extras: Default::default(),
        inverse_bind_matrices: Some(inverse_binds),
        joints: (0..bones.len()).map(|i| Index::new(i as u32)).collect(),
        name: Some("Skeleton".into()),
        skeleton: Some(Index::new(0)),
    });
    let body = nodes.len() as u32;
    nodes.push(Node {
        mesh: Some(body_mesh),
        skin: Some(skin),
        ..node("Body")
    });
    // The animation.
    let fps = frame_rate(scene.fps);
    let frames = scene.frames.max(1);
    let poses: Vec<_> = (0..frames).map(|f| pose(f, fps)).collect();
    let times: Vec<[f32; 1]> = (0..frames).map(|f| [(f as f64 / fps) as f32]).collect();
    let input = b.floats(&times, Type::Scalar, None, true);
    let mut samplers = Vec::new();
    let mut channels = Vec::new();
    let mut add = |node: u32, path: Property, output: Index<Accessor>| {
        samplers.push(Sampler {
            extensions: None,
            extras: Default::default(),
            input,
            interpolation: Checked::Valid(Interpolation::Linear),
            output,
        });
        channels.push(Channel {
            sampler: Index::new(samplers.len() as u32 - 1),
            target: Target {
                extensions: None,
                extras: Default::default(),
                node: Index::new(node),
                path: Checked::Valid(path),
            },
            extensions: None,
            extras: Default::default(),
        });
    };
    let roots: Vec<[f32; 3]> = poses.iter().map(|p| scaled(p.root)).collect();
    let output = b.floats(&roots, Type::Vec3, None, false);
    add(0, Property::Translation, output);
    for joint in 0..SKELETON.len() {
        let rotations: Vec<[f32; 4]> = poses
            .iter()
            .map(|p| {
                let q = zxy_quat(p.rotations.get(joint).copied().unwrap_or_default());
                q.map(|v| v as f32)
            })
            .collect();
        let output = b.floats(&rotations, Type::Vec4, None, false);
        add(joint as u32, Property::Rotation, output);
    }
    b.root.push(Animation {
        extensions: None,
        extras: Default::default(),
        channels,
        name: Some("Take 001".into()),
        samplers,
    });
    b.root.nodes = nodes;
    b.root.push(Scene {
        extensions: None,
        extras: Default::default(),
        name: Some("Scene".into()),
        nodes: vec![Index::new(0), Index::new(body)],
    });
    b.root.scene = Some(Index::new(0));
    while !b.bin.len().is_multiple_of(4) {
        b.bin.push(0);
    }
    b.root.push(Buffer {
        byte_length: USize64::from(b.bin.len()),
        name: None,
        uri: None,
        extensions: None,
        extras: Default::default(),
    });
    let json = b.root.to_vec().map_err(std::io::Error::other)?;
    let glb = Glb {
        header: Header {
            magic: *b"glTF",
            version: 2,
            length: 0,
        },
        json: json.into(),
        bin: Some(b.bin.into()),
    };
    glb.to_vec().map_err(std::io::Error::other)
}
