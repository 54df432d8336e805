//! Everything the two API documents define is in `specs/`: every endpoint
//! path, processing-parameter key and error code, counted.
//!
//! The lists below are transcribed from the documents. When the documents
//! themselves sit beside the repository (`../shared/seeds/`), they are also
//! scanned, so a transcription slip fails the test.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use xtask::workspace_root;

const DEEPMOTION_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/session/auth"),
    ("GET", "/upload"),
    ("POST", "/process"),
    ("GET", "/status/{rids}"),
    ("GET", "/download/{rids}"),
    ("GET", "/list"),
    ("GET", "/list/{statuses}"),
    ("GET", "/account/creditBalance"),
    ("POST", "/videoInfo"),
    ("GET", "/character/getModelUploadUrl"),
    ("POST", "/character/storeModel"),
    ("GET", "/character/listModels"),
    ("DELETE", "/character/deleteModel/{model_id}"),
    ("POST", "/webhook_endpoints"),
    ("GET", "/webhook_endpoints/{endpoint_id}"),
    ("GET", "/webhook_endpoints"),
    ("POST", "/webhook_endpoints/{endpoint_id}"),
    ("DELETE", "/webhook_endpoints/{endpoint_id}"),
];

const PROCESS_KEYS: &[&str] = &[
    "config",
    "formats",
    "model",
    "sim",
    "trackFace",
    "trackHand",
    "footLockingMode",
    "videoSpeedMultiplier",
    "poseFilteringStrength",
    "rootAtOrigin",
    "trim",
    "crop",
    "render.sbs",
    "render.bgColor",
    "render.backdrop",
    "render.shadow",
    "render.includeAudio",
    "render.CamMode",
];

/// The parameters whose source is the official Python SDK
/// dm-animate3d-api 1.0.2, not the document (multi-person animation).
const SDK_PROCESS_KEYS: &[&str] = &["pipeline", "models"];
const SDK_SOURCE: &str = "official Python SDK dm-animate3d-api 1.0.2";

const ERROR_CODES: &[u32] = &[
    201, 202, 503, 504, 505, 506, 507, 508, 509, 510, 511, 513, 599, 701, 799, 901, 902, 903, 904,
    905, 906, 907, 908, 909, 999, 1301, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1399,
];

const MOTIONDYNAMIC_ENDPOINTS: &[(&str, &str)] =
    &[("GET", "/rest/themes"), ("POST", "/rest/generations")];

fn spec(name: &str) -> Value {
    let text = std::fs::read_to_string(workspace_root().join("specs").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn endpoints(spec: &Value) -> BTreeSet<(String, String)> {
    spec["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn seed(file: &str) -> Option<String> {
    let path: PathBuf = workspace_root().join("../shared/seeds").join(file);
    std::fs::read_to_string(path).ok()
}

/// `/status/rid1,rid2,...,rid` → `/status/{}`; `/character/deleteModel/<model` → `/character/deleteModel/{}`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let placeholder = segment.starts_with('{')
                || segment.starts_with('<')
                || segment.starts_with("rid")
                || segment.starts_with("status1");
            if placeholder { "{}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn every_deepmotion_endpoint_is_specified() {
    let specified = endpoints(&spec("deepmotion.json"));
    let documented: BTreeSet<(String, String)> = DEEPMOTION_ENDPOINTS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(specified, documented);
    assert_eq!(specified.len(), 18);

    if let Some(text) = seed("000_9d9e780c3b0c0ca9.txt") {
        let mut scanned = BTreeSet::new();
        for (i, _) in text.match_indices("{host}") {
            let before = &text[..i];
            let method = ["GET", "POST", "PUT", "DELETE"]
                .into_iter()
                .filter_map(|m| before.rfind(m).map(|at| (at, m)))
                .max()
                .map(|(_, m)| m)
                .unwrap();
            let word: String = text[i + "{host}".len()..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            let path = word.split("</").next().unwrap_or_default();
            if path.is_empty() || path == "/auth" {
                // `{host}/auth` appears only in a note about x-useruid.
                continue;
            }
            scanned.insert((method.to_owned(), shape(path)));
        }
        let specified_shapes: BTreeSet<(String, String)> = specified
            .iter()
            .map(|(m, p)| (m.clone(), shape(p)))
            .collect();
        assert_eq!(scanned, specified_shapes, "paths scanned from the document");
    }
}

#[test]
fn every_processing_parameter_is_specified() {
    let spec = spec("deepmotion.json");
    let keys: Vec<&str> = spec["process_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = PROCESS_KEYS
        .iter()
        .chain(SDK_PROCESS_KEYS)
        .copied()
        .collect();
    assert_eq!(keys, expected);
    // Each parameter the document does not have says where it comes from.
    for p in spec["process_parameters"].as_array().unwrap() {
        let key = p["key"].as_str().unwrap();
        let from_sdk = p["description"].as_str().unwrap().contains(SDK_SOURCE);
        assert_eq!(from_sdk, SDK_PROCESS_KEYS.contains(&key), "{key}");
    }
    let keys = &keys[..PROCESS_KEYS.len()];
    let aliases: BTreeSet<&str> = spec["process_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["aliases"].as_array().into_iter().flatten())
        .map(|a| a.as_str().unwrap())
        .collect();
    for alias in [
        "poseEstimation.footLockingMode",
        "poseEstimation.videoSpeedMultiplier",
        "poseEstimation.poseFilteringStrength",
    ] {
        assert!(aliases.contains(alias), "{alias}");
    }
    if let Some(text) = seed("000_9d9e780c3b0c0ca9.txt") {
        for key in keys.iter().chain(aliases.iter()) {
            assert!(text.contains(key), "`{key}` is not in the document");
        }
    }
}

#[test]
fn every_error_code_is_specified_with_its_message() {
    let spec = spec("deepmotion.json");
    let table: Vec<(u32, String)> = spec["error_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_u64().unwrap() as u32,
                c["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let codes: Vec<u32> = table.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, ERROR_CODES);
    assert_eq!(codes.len(), 34);

    if let Some(text) = seed("000_9d9e780c3b0c0ca9.txt") {
        let section = &text[text.find("Error Code\tMeaning").unwrap()..];
        let scanned: Vec<(u32, String)> = section
            .lines()
            .filter_map(|line| {
                let (code, message) = line.split_once('\t')?;
                Some((code.trim().parse().ok()?, message.trim().to_owned()))
            })
            .collect();
        assert_eq!(
            scanned, table,
            "codes and messages scanned from the document"
        );
    }
}

#[test]
fn every_motiondynamic_endpoint_is_specified() {
    let specified = endpoints(&spec("motiondynamic.json"));
    for (method, path) in MOTIONDYNAMIC_ENDPOINTS {
        assert!(
            specified.contains(&((*method).to_owned(), (*path).to_owned())),
            "{method} {path}"
        );
    }
    if let Some(text) = seed("003_913feee3f7757bf9.txt") {
        for (_, path) in MOTIONDYNAMIC_ENDPOINTS {
            assert!(text.contains(path), "{path}");
        }
        let demo = std::fs::read_to_string(
            workspace_root().join("specs/examples/motiondynamic/demo_theme.json"),
        )
        .unwrap();
        let demo: Value = serde_json::from_str(&demo).unwrap();
        let start = text.find("Here is what we've got:").unwrap() + "Here is what we've got:".len();
        let end = text.find("The request yield").unwrap();
        let printed: Value = serde_json::from_str(&text[start..end]).unwrap();
        assert_eq!(printed[0], demo, "the demo theme exactly as printed");
    }
}
