//! The FBX: a binary FBX 7.4 scene holding the skeleton as `LimbNode`
//! models, a mesh skinned to it (one cluster per bone) and one animation
//! stack whose curves hold every frame of the BVH.

mod binary;

use binary::{Node, Prop};

use super::MARKER;
use super::mesh::Mesh;
use super::skeleton::{Bone, SKELETON, pose, xyz_euler, zxy_quat};

/// FBX time units per second.
const KTIME_PER_SECOND: i64 = 46_186_158_000;

/// `P:` entry of a `Properties70` block.
fn p(name: &str, kind: &str, label: &str, flags: &str, values: Vec<Prop>) -> Node {
    let mut props: Vec<Prop> = vec![name.into(), kind.into(), label.into(), flags.into()];
    props.extend(values);
    Node::new("P", props)
}

fn vector(name: &str, [x, y, z]: [f64; 3]) -> Node {
    p(name, name, "", "A", vec![x.into(), y.into(), z.into()])
}

fn properties(entries: Vec<Node>) -> Node {
    Node::new("Properties70", vec![]).with(entries)
}

/// `Name\0\x01Class`: how binary FBX writes an object's name.
fn object_name(name: &str, class: &str) -> Prop {
    Prop::Str(format!("{name}\0\u{1}{class}"))
}

fn connect(child: i64, parent: i64) -> Node {
    Node::new("C", vec!["OO".into(), child.into(), parent.into()])
}

fn connect_property(child: i64, parent: i64, property: &str) -> Node {
    Node::new(
        "C",
        vec!["OP".into(), child.into(), parent.into(), property.into()],
    )
}

fn header(rid: &str) -> Vec<Node> {
    vec![
        Node::new("FBXHeaderExtension", vec![]).with([
            Node::new("FBXHeaderVersion", vec![1003.into()]),
            Node::new("FBXVersion", vec![7400.into()]),
            Node::new("Creator", vec![format!("{MARKER} (rid {rid})").into()]),
        ]),
        Node::new("Creator", vec![MARKER.into()]),
    ]
}

fn global_settings(fps: f64, stop: i64) -> Node {
    let int = |name: &str, value: i32| p(name, "int", "Integer", "", vec![value.into()]);
    Node::new("GlobalSettings", vec![]).with([
        Node::new("Version", vec![1000.into()]),
        properties(vec![
            int("UpAxis", 1),
            int("UpAxisSign", 1),
            int("FrontAxis", 2),
            int("FrontAxisSign", 1),
            int("CoordAxis", 0),
            int("CoordAxisSign", 1),
            p("UnitScaleFactor", "double", "Number", "", vec![1.0.into()]),
            // Time mode 14: a custom frame rate, the BVH's.
            p("TimeMode", "enum", "", "", vec![14.into()]),
            p("CustomFrameRate", "double", "Number", "", vec![fps.into()]),
            p("TimeSpanStart", "KTime", "Time", "", vec![0i64.into()]),
            p("TimeSpanStop", "KTime", "Time", "", vec![stop.into()]),
        ]),
    ])
}

/// Hands out object ids.
struct Ids(i64);

impl Ids {
    fn next(&mut self) -> i64 {
        self.0 += 1;
        self.0
    }
}

/// One animated property of one model: its curve node and three curves.
struct Channel {
    model: i64,
    property: &'static str,
    short: &'static str,
    /// Per frame, the three values.
    values: Vec<[f64; 3]>,
}

fn curve_nodes(ids: &mut Ids, channel: &Channel, times: &[i64]) -> (Vec<Node>, Vec<Node>, i64) {
    let node_id = ids.next();
    let first = channel.values.first().copied().unwrap_or([0.0; 3]);
    let mut objects = vec![
        Node::new(
            "AnimationCurveNode",
            vec![
                node_id.into(),
                object_name(channel.short, "AnimCurveNode"),
                "".into(),
            ],
        )
        .child(properties(
            ["d|X", "d|Y", "d|Z"]
                .iter()
                .zip(first)
                .map(|(axis, v)| p(axis, "Number", "", "A", vec![v.into()]))
                .collect(),
        )),
    ];
    let mut links = vec![connect_property(node_id, channel.model, channel.property)];
    for (axis, name) in ["d|X", "d|Y", "d|Z"].into_iter().enumerate() {
        let curve = ids.next();
        let values: Vec<f32> = channel.values.iter().map(|v| v[axis] as f32).collect();
        let count = i32::try_from(values.len()).unwrap_or(i32::MAX);
        objects.push(
            Node::new(
                "AnimationCurve",
                vec![curve.into(), object_name("", "AnimCurve"), "".into()],
            )
            .with([
                Node::new("Default", vec![f64::from(first[axis] as f32).into()]),
                Node::new("KeyVer", vec![4009.into()]),
                Node::new("KeyTime", vec![Prop::I64s(times.to_vec())]),
                Node::new("KeyValueFloat", vec![Prop::F32s(values)]),
                // One attribute set for every key: linear interpolation.
                Node::new("KeyAttrFlags", vec![Prop::I32s(vec![0x0000_0104])]),
                Node::new("KeyAttrDataFloat", vec![Prop::F32s(vec![0.0; 4])]),
                Node::new("KeyAttrRefCount", vec![Prop::I32s(vec![count])]),
            ]),
        );
        links.push(connect_property(curve, node_id, name));
    }
    (objects, links, node_id)
}

fn matrix_translation([x, y, z]: [f64; 3]) -> Prop {
    Prop::F64s(vec![
        1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, x, y, z, 1.0,
    ])
}

/// What to write.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scene<'a> {
    /// Request id, named in the header.
    pub rid: &'a str,
    /// The skeleton.
    pub bones: &'a [Bone],
    /// Its rest positions.
    pub rest: &'a [[f64; 3]],
    /// The skinned body.
    pub mesh: &'a Mesh,
    /// Frames of the animation.
    pub frames: u64,
    /// Its frame rate.
    pub fps: f64,
}

fn skin(ids: &mut Ids, scene: &Scene<'_>, models: &[i64]) -> (Vec<Node>, Vec<Node>) {
    let mesh = scene.mesh;
    let (model, geometry, material, skin) = (ids.next(), ids.next(), ids.next(), ids.next());
    let vertices: Vec<f64> = mesh.positions.iter().flatten().copied().collect();
    let polygons: Vec<i32> = mesh
        .triangles
        .iter()
        .flat_map(|[a, b, c]| [*a as i32, *b as i32, -(*c as i32) - 1])
        .collect();
    let mut objects = vec![
        Node::new(
            "Geometry",
            vec![
                geometry.into(),
                object_name("Body", "Geometry"),
                "Mesh".into(),
            ],
        )
        .with([
            Node::new("Vertices", vec![Prop::F64s(vertices)]),
            Node::new("PolygonVertexIndex", vec![Prop::I32s(polygons)]),
            Node::new("GeometryVersion", vec![124.into()]),
            Node::new("LayerElementMaterial", vec![0.into()]).with([
                Node::new("Version", vec![101.into()]),
                Node::new("Name", vec!["".into()]),
                Node::new("MappingInformationType", vec!["AllSame".into()]),
                Node::new("ReferenceInformationType", vec!["IndexToDirect".into()]),
                Node::new("Materials", vec![Prop::I32s(vec![0])]),
            ]),
            Node::new("Layer", vec![0.into()]).with([
                Node::new("Version", vec![100.into()]),
                Node::new("LayerElement", vec![]).with([
                    Node::new("Type", vec!["LayerElementMaterial".into()]),
                    Node::new("TypedIndex", vec![0.into()]),
                ]),
            ]),
        ]),
        Node::new(
            "Model",
            vec![model.into(), object_name("Body", "Model"), "Mesh".into()],
        )
        .with([
            Node::new("Version", vec![232.into()]),
            properties(vec![]),
            Node::new("Shading", vec![Prop::Bool(true)]),
            Node::new("Culling", vec!["CullingOff".into()]),
        ]),
        Node::new(
            "Material",
            vec![material.into(), object_name("Skin", "Material"), "".into()],
        )
        .with([
            Node::new("Version", vec![102.into()]),
            Node::new("ShadingModel", vec!["lambert".into()]),
            Node::new("MultiLayer", vec![0.into()]),
            properties(vec![p(
                "DiffuseColor",
                "Color",
                "",
                "A",
                vec![0.75.into(), 0.78.into(), 0.82.into()],
            )]),
        ]),
        Node::new(
            "Deformer",
            vec![skin.into(), object_name("Body", "Deformer"), "Skin".into()],
        )
        .with([
            Node::new("Version", vec![101.into()]),
            Node::new("Link_DeformAcuracy", vec![50.0.into()]),
        ]),
    ];
    let mut links = vec![
        connect(model, 0),
        connect(geometry, model),
        connect(material, model),
        connect(skin, geometry),
    ];
    for (index, bone) in scene.bones.iter().enumerate() {
        let cluster = ids.next();
        let indexes: Vec<i32> = (0..mesh.bone_of.len())
            .filter(|&v| mesh.bone_of[v] == index)
            .map(|v| v as i32)
            .collect();
        let weights = vec![1.0; indexes.len()];
        let at = scene.rest.get(index).copied().unwrap_or([0.0; 3]);
        objects.push(
            Node::new(
                "Deformer",
                vec![
                    cluster.into(),
                    object_name(&bone.name, "SubDeformer"),
                    "Cluster".into(),
                ],
            )
            .with([
                Node::new("Version", vec![100.into()]),
                Node::new("UserData", vec!["".into(), "".into()]),
                Node::new("Indexes", vec![Prop::I32s(indexes)]),
                Node::new("Weights", vec![Prop::F64s(weights)]),
                // The mesh (at the origin) relative to the bone, and the
                // bone in the world, both at bind time.
                Node::new("Transform", vec![matrix_translation(at.map(|v| -v))]),
                Node::new("TransformLink", vec![matrix_translation(at)]),
            ]),
        );
        links.push(connect(cluster, skin));
        if let Some(bone_model) = models.get(index) {
            links.push(connect(*bone_model, cluster));
        }
    }
    (objects, links)
}

/// The FBX file of `scene`.
pub(super) fn fbx(scene: &Scene<'_>) -> Result<Vec<u8>, std::io::Error> {
    let fps = super::skeleton::frame_rate(scene.fps);
    let frames = scene.frames.max(1);
    let tick = |frame: u64| (frame as f64 * KTIME_PER_SECOND as f64 / fps).round() as i64;
    let times: Vec<i64> = (0..frames).map(tick).collect();
    let stop = times.last().copied().unwrap_or(0);
    let mut ids = Ids(1_000_000);
    let mut objects = Vec::new();
    let mut links = Vec::new();
    let mut models = Vec::with_capacity(scene.bones.len());
    for bone in scene.bones {
        let (model, attribute) = (ids.next(), ids.next());
        models.push(model);
        objects.push(
            Node::new(
                "NodeAttribute",
                vec![
                    attribute.into(),
                    object_name(&bone.name, "NodeAttribute"),
                    "LimbNode".into(),
                ],
            )
            .child(Node::new("TypeFlags", vec!["Skeleton".into()])),
        );
        objects.push(
            Node::new(
                "Model",
                vec![
                    model.into(),
                    object_name(&bone.name, "Model"),
                    "LimbNode".into(),
                ],
            )
            .with([
                Node::new("Version", vec![232.into()]),
                properties(vec![vector("Lcl Translation", bone.offset)]),
                Node::new("Shading", vec![Prop::Bool(true)]),
                Node::new("Culling", vec!["CullingOff".into()]),
            ]),
        );
        links.push(connect(attribute, model));
        let parent = bone
            .parent
            .and_then(|p| models.get(p).copied())
            .unwrap_or(0);
        links.push(connect(model, parent));
    }
    let (skin_objects, skin_links) = skin(&mut ids, scene, &models);
    objects.extend(skin_objects);
    links.extend(skin_links);
    // The animation: one stack, one layer, the BVH's channels.
    let (stack, layer) = (ids.next(), ids.next());
    objects.push(
        Node::new(
            "AnimationStack",
            vec![
                stack.into(),
                object_name("Take 001", "AnimStack"),
                "".into(),
            ],
        )
        .child(properties(
            ["LocalStart", "LocalStop", "ReferenceStart", "ReferenceStop"]
                .iter()
                .map(|name| {
                    let at = if name.ends_with("Stop") { stop } else { 0 };
                    p(name, "KTime", "Time", "", vec![at.into()])
                })
                .collect(),
        )),
    );
    // Readers expect every object to have a (here empty) block.
    objects.push(
        Node::new(
            "AnimationLayer",
            vec![
                layer.into(),
                object_name("BaseLayer", "AnimLayer"),
                "".into(),
            ],
        )
        .child(properties(vec![])),
    );
    links.push(connect(layer, stack));
    let poses: Vec<_> = (0..frames).map(|f| pose(f, fps)).collect();
    let mut channels = vec![Channel {
        model: models.first().copied().unwrap_or(0),
        property: "Lcl Translation",
        short: "T",
        values: poses.iter().map(|p| p.root).collect(),
    }];
    for (joint, model) in models.iter().enumerate().take(SKELETON.len()) {
        channels.push(Channel {
            model: *model,
            property: "Lcl Rotation",
            short: "R",
            values: poses
                .iter()
                .map(|p| {
                    xyz_euler(zxy_quat(
                        p.rotations.get(joint).copied().unwrap_or_default(),
                    ))
                })
                .collect(),
        });
    }
    for channel in &channels {
        let (curve_objects, curve_links, node) = curve_nodes(&mut ids, channel, &times);
        objects.extend(curve_objects);
        links.extend(curve_links);
        links.push(connect(node, layer));
    }
    let mut nodes = header(scene.rid);
    nodes.push(global_settings(fps, stop));
    nodes.push(Node::new("Objects", vec![]).with(objects));
    nodes.push(Node::new("Connections", vec![]).with(links));
    nodes.push(Node::new("Takes", vec![]).with([
        Node::new("Current", vec!["Take 001".into()]),
        Node::new("Take", vec!["Take 001".into()]).with([
            Node::new("FileName", vec!["Take_001.tak".into()]),
            Node::new("LocalTime", vec![0i64.into(), stop.into()]),
            Node::new("ReferenceTime", vec![0i64.into(), stop.into()]),
        ]),
    ]));
    binary::write(&nodes).map_err(std::io::Error::other)
}
