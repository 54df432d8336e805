//! Every output read back with an independent reader: `fbxcel` for FBX,
//! `gltf` for GLB, `mp4` for the video, the validation crate's picture
//! reader for PNG and JPG. Each carries the BVH's frames.

use std::io::Cursor;

use fbxcel::low::v7400::AttributeValue;
use fbxcel::tree::any::AnyTree;
use fbxcel::tree::v7400::NodeHandle;
use motionkit_validation::{PictureFormat, sniff};

use super::*;

fn spec(frames: u64) -> Spec<'static> {
    Spec {
        rid: "r-1",
        frames,
        fps: 30.0,
        render: Render {
            input_size: Some((640, 480)),
            background: None,
            side_by_side: false,
        },
    }
}

/// Frames of the BVH, read from its `MOTION` section.
fn bvh_frames(frames: u64) -> usize {
    let mut out = Vec::new();
    bvh::write(&mut out, frames, 30.0).unwrap();
    let text = String::from_utf8(out).unwrap();
    let declared: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Frames: "))
        .unwrap()
        .parse()
        .unwrap();
    let motion = text.split("Frame Time: 0.033333\n").nth(1).unwrap();
    assert_eq!(motion.lines().count(), declared);
    declared
}

fn objects<'a>(root: NodeHandle<'a>, name: &str) -> Vec<NodeHandle<'a>> {
    root.first_child_by_name("Objects")
        .unwrap()
        .children_by_name(name)
        .collect()
}

fn class(node: &NodeHandle<'_>) -> String {
    match node.attributes().get(2) {
        Some(AttributeValue::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// (bones, clusters, stacks, keys of every curve) of an FBX file.
fn read_fbx(bytes: Vec<u8>) -> (usize, usize, usize, Vec<usize>) {
    let AnyTree::V7400(version, tree, footer) =
        AnyTree::from_seekable_reader(Cursor::new(bytes)).unwrap()
    else {
        panic!("not FBX 7.4");
    };
    assert!(version >= fbxcel::low::FbxVersion::V7_4);
    assert!(footer.is_ok());
    let root = tree.root();
    let models = objects(root, "Model");
    let bones = models.iter().filter(|m| class(m) == "LimbNode").count();
    assert_eq!(models.iter().filter(|m| class(m) == "Mesh").count(), 1);
    let clusters = objects(root, "Deformer")
        .iter()
        .filter(|d| class(d) == "Cluster")
        .count();
    let stacks = objects(root, "AnimationStack").len();
    let keys = objects(root, "AnimationCurve")
        .iter()
        .map(|curve| {
            let times = match curve.first_child_by_name("KeyTime").unwrap().attributes() {
                [AttributeValue::ArrI64(t)] => t.len(),
                other => panic!("KeyTime {other:?}"),
            };
            let values = match curve
                .first_child_by_name("KeyValueFloat")
                .unwrap()
                .attributes()
            {
                [AttributeValue::ArrF32(v)] => v.len(),
                other => panic!("KeyValueFloat {other:?}"),
            };
            assert_eq!(times, values);
            times
        })
        .collect();
    assert!(root.first_child_by_name("Connections").is_some());
    (bones, clusters, stacks, keys)
}

#[test]
fn fbx_holds_the_skeleton_a_skinned_mesh_and_every_frame() {
    for frames in [60, 1] {
        let bytes = animation("fbx", &spec(frames)).unwrap();
        assert!(bytes.starts_with(b"Kaydara FBX Binary  \0"));
        let (bones, clusters, stacks, keys) = read_fbx(bytes);
        assert_eq!(bones, skeleton::bones().len());
        assert_eq!(clusters, bones);
        assert_eq!(stacks, 1);
        // Root translation and each joint's rotation, three curves each.
        assert_eq!(keys.len(), 3 * (1 + skeleton::SKELETON.len()));
        assert!(keys.iter().all(|&k| k == bvh_frames(frames)));
    }
}

#[test]
fn glb_holds_a_skin_a_mesh_and_one_animation_of_every_frame() {
    for frames in [60, 1] {
        let bytes = animation("glb", &spec(frames)).unwrap();
        let gltf = gltf::Gltf::from_slice(&bytes).unwrap();
        let blob = gltf.blob.as_deref().unwrap();
        let document = &gltf.document;
        assert_eq!(document.meshes().count(), 1);
        assert_eq!(document.skins().count(), 1);
        let skin = document.skins().next().unwrap();
        assert_eq!(skin.joints().count(), skeleton::bones().len());
        let ibm: Vec<_> = skin
            .reader(|_| Some(blob))
            .read_inverse_bind_matrices()
            .unwrap()
            .collect();
        assert_eq!(ibm.len(), skin.joints().count());
        let primitive = document
            .meshes()
            .next()
            .unwrap()
            .primitives()
            .next()
            .unwrap();
        let reader = primitive.reader(|_| Some(blob));
        let vertices = reader.read_positions().unwrap().count();
        let joints: Vec<[u16; 4]> = reader.read_joints(0).unwrap().into_u16().collect();
        assert_eq!(joints.len(), vertices);
        assert!(joints.iter().all(|j| usize::from(j[0]) < ibm.len()));
        assert_eq!(document.animations().count(), 1);
        let animation = document.animations().next().unwrap();
        assert_eq!(animation.channels().count(), 1 + skeleton::SKELETON.len());
        for channel in animation.channels() {
            let reader = channel.reader(|_| Some(blob));
            let times: Vec<f32> = reader.read_inputs().unwrap().collect();
            assert_eq!(times.len(), bvh_frames(frames));
            assert!(times.windows(2).all(|w| w[0] < w[1]));
            let outputs = match reader.read_outputs().unwrap() {
                gltf::animation::util::ReadOutputs::Translations(t) => t.count(),
                gltf::animation::util::ReadOutputs::Rotations(r) => r.into_f32().count(),
                _ => 0,
            };
            assert_eq!(outputs, times.len());
        }
        let last = (bvh_frames(frames) - 1) as f32 / 30.0;
        let input = animation.samplers().next().unwrap().input();
        assert_eq!(input.max(), Some(serde_json::json!([last])));
    }
}

#[test]
fn mp4_has_a_frame_per_bvh_frame_and_lasts_as_long() {
    let bytes = animation("mp4", &spec(60)).unwrap();
    let size = bytes.len() as u64;
    let reader = mp4::Mp4Reader::read_header(Cursor::new(bytes), size).unwrap();
    let track = reader.tracks().get(&1).unwrap();
    assert_eq!(track.sample_count() as usize, bvh_frames(60));
    assert_eq!(track.duration().as_secs_f64(), 2.0);
    assert_eq!(track.media_type().unwrap(), mp4::MediaType::H264);
}

#[test]
fn pictures_are_real_and_marked() {
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
    let pose = animation("png", &spec(1)).unwrap();
    let info = sniff(&pose).unwrap();
    assert_eq!((info.width, info.height), (160, 120));
    let photo = jpg("r");
    assert_eq!(sniff(&photo).unwrap().format, PictureFormat::Jpeg);
    assert!(photo.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
}

#[test]
fn the_sandboxs_own_fbx_and_glb_are_character_models() {
    use super::super::media::{ModelFormat, read_model};
    let fbx = animation("fbx", &spec(2)).unwrap();
    assert_eq!(read_model(&fbx), Ok(ModelFormat::FbxBinary));
    let glb = animation("glb", &spec(2)).unwrap();
    assert_eq!(read_model(&glb), Ok(ModelFormat::Gltf));
    // Cut short, neither is one any more.
    assert!(read_model(&fbx[..fbx.len() / 2]).is_err());
    assert!(read_model(&glb[..glb.len() / 2]).is_err());
}

#[test]
fn no_output_holds_more_than_the_frame_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.bvh");
    write(&path, "bvh", spec(u64::MAX)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("Frames: {MAX_FRAMES}\n")));
    let path = dir.path().join("long.glb");
    write(&path, "glb", spec(10 * MAX_FRAMES)).unwrap();
    let gltf = gltf::Gltf::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let input = gltf
        .animations()
        .next()
        .unwrap()
        .samplers()
        .next()
        .unwrap()
        .input();
    assert_eq!(input.count() as u64, MAX_FRAMES);
}

#[test]
fn damaged_models_are_refused_without_panicking() {
    use super::super::media::read_model;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for model in [
        animation("fbx", &spec(2)).unwrap(),
        animation("glb", &spec(2)).unwrap(),
    ] {
        for _ in 0..300 {
            let mut bytes = model.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            bytes.truncate(bytes.len() - (next() % 64) as usize);
            // Either verdict is fine; reaching it is the test.
            let _ = read_model(&bytes);
        }
        assert!(read_model(&model).is_ok());
    }
}
