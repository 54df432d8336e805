//! Shared helpers for the end-to-end tests: a sandbox on an ephemeral port
//! and the paths of the committed fixtures.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;

pub mod hostile;
pub mod proxy;

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};

/// A fixture file shipped in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The demo theme's values with `picture` for its product image, but no
/// city (`l6_ville_01`): a value the documents do not require, so its
/// absence is a warning.
pub fn demo_values_without_city(
    theme: &motionkit_motiondynamic::Theme,
    picture: impl Into<String>,
) -> motionkit_motiondynamic::Generate {
    motionkit_motiondynamic::Generate::new(theme)
        .set("l1_titre_01", "title")
        .set("l2_date_01", "date_01")
        .set("l3_prix_01", "12.1")
        .set("l4_quantite_01", "quantite")
        .set("l5_descriptif_01", "desc_01")
        .set("l5_descriptif_02", "desc_02")
        .set("l5_descriptif_03", "desc_03")
        .set("background_color", "0000FF")
        .set("image_produit", picture.into())
        .set("Variante", "MASTER")
}

/// Every value of the demo theme, with `picture` for its product image.
pub fn demo_generation(
    theme: &motionkit_motiondynamic::Theme,
    picture: impl Into<String>,
) -> motionkit_motiondynamic::Generate {
    demo_values_without_city(theme, picture).set("l6_ville_01", "Lyon")
}

/// The repository's `specs/` folder.
pub fn specs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

/// Starts both emulators on free ports with a fast clock; `tune` adjusts
/// the flags first.
pub async fn sandbox(tune: impl FnOnce(&mut SandboxArgs)) -> Sandbox {
    let mut args = SandboxArgs::default().time_scale(600.0);
    tune(&mut args);
    let config = SandboxConfig::from_args(args).expect("sandbox flags");
    Sandbox::start(config).await.expect("sandbox starts")
}

/// What a BVH file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Bvh {
    /// Joints (ROOT and JOINT entries).
    pub joints: usize,
    /// Channels declared across the hierarchy.
    pub channels: usize,
    /// `Frames:` in the MOTION section.
    pub frames: usize,
    /// `Frame Time:` in seconds.
    pub frame_time: f64,
}

/// Parses a BVH file strictly enough to catch a broken one: a hierarchy,
/// balanced braces, and exactly `Frames` motion lines of `channels` numbers.
pub fn parse_bvh(text: &str) -> Result<Bvh, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("HIERARCHY") {
        return Err("does not start with HIERARCHY".into());
    }
    let (mut joints, mut channels, mut depth) = (0usize, 0usize, 0i64);
    for line in lines.by_ref() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("ROOT" | "JOINT") => joints += 1,
            Some("CHANNELS") => {
                let n: usize = words
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("CHANNELS without a count")?;
                if words.count() != n {
                    return Err(format!("CHANNELS {n} lists another number of channels"));
                }
                channels += n;
            }
            Some("{") => depth += 1,
            Some("}") => depth -= 1,
            Some("MOTION") => break,
            _ => {}
        }
        if depth < 0 {
            return Err("unbalanced braces".into());
        }
    }
    if depth != 0 || joints == 0 {
        return Err(format!("bad hierarchy: depth {depth}, {joints} joints"));
    }
    let frames: usize = lines
        .next()
        .and_then(|l| l.strip_prefix("Frames:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or("no Frames: line")?;
    let frame_time: f64 = lines
        .next()
        .and_then(|l| l.strip_prefix("Frame Time:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or("no Frame Time: line")?;
    let mut motion = 0;
    for line in lines {
        let values: Result<Vec<f64>, _> = line.split_whitespace().map(str::parse).collect();
        let values = values.map_err(|e| format!("motion line {motion}: {e}"))?;
        if values.len() != channels {
            return Err(format!(
                "motion line {motion} has {} values, not {channels}",
                values.len()
            ));
        }
        motion += 1;
    }
    if motion != frames {
        return Err(format!("Frames: {frames} but {motion} motion lines"));
    }
    Ok(Bvh {
        joints,
        channels,
        frames,
        frame_time,
    })
}

/// `bytes` padded with an MP4 `free` box to `total` bytes, so the file stays
/// a valid MP4 but spans several upload chunks.
pub fn padded_mp4(bytes: &[u8], total: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let pad = total.saturating_sub(out.len()).max(8);
    out.extend_from_slice(&(pad as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.resize(out.len() + pad - 8, 0);
    out
}

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExamples;

/// Opens a connection that sends its body one byte every `every`.
pub async fn trickling_body(
    base: &str,
    path: &str,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    let addr = base.strip_prefix("http://").unwrap().to_owned();
    let path = path.to_owned();
    tokio::spawn(async move {
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
            return;
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             content-length: 1000\r\n\r\n"
        );
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..1000 {
            if stream.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
}
