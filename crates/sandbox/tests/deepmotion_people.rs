//! Multi-person animation over plain HTTP, in the wire shapes of the
//! official Python SDK dm-animate3d-api 1.0.2: a detection job
//! (`pipeline=mp_detection`), then an animation job (`rid_mp_detection`,
//! `models=`), its per-person groups, the `all_characters` ZIP archives and
//! `mode`/`models` in `/download`.

mod deepmotion_common;

use std::io::Read as _;

use deepmotion_common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `urls[].name` of a download link.
fn groups(link: &Value) -> Vec<String> {
    link["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The URL of `kind` in the group `name`.
fn file_url(link: &Value, name: &str, kind: &str) -> String {
    let group = link["urls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {link}"));
    group["files"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f[kind].as_str())
        .unwrap_or_else(|| panic!("no {kind} in {group}"))
        .to_owned()
}

async fn detect(dm: &Dm, name: &str) -> String {
    let url = dm.upload_single(name, fixture("walk.mp4")).await;
    // The SDK always sends config=configDefault, and pipeline last.
    let rid = dm
        .process(&url, &["config=configDefault", "pipeline=mp_detection"])
        .await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    rid
}

#[tokio::test]
async fn detection_then_animation_of_the_chosen_people() {
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;

    // Two people by default, three when the name says people-3.
    let two = detect(&dm, "dance.mp4").await;
    let link = dm.link(&two).await;
    assert_eq!(groups(&link), ["dance_001", "dance_002", "inter_tracking"]);
    assert_eq!(link["mode"], 1);
    let rid = detect(&dm, "crowd-people-3.mp4").await;
    let link = dm.link(&rid).await;
    assert_eq!(
        groups(&link),
        [
            "crowd-people-3_001",
            "crowd-people-3_002",
            "crowd-people-3_003",
            "inter_tracking"
        ]
    );
    let preview = dm
        .fetch(&file_url(&link, "crowd-people-3_002", "jpg"))
        .await;
    assert!(preview.starts_with(&[0xFF, 0xD8]), "a JPEG preview");

    // A tracking id the detection did not produce is refused.
    let models = |people: &[(&str, &str)]| {
        let list: Vec<Value> = people
            .iter()
            .map(|(t, m)| json!({"trackingId": t, "modelId": m}))
            .collect();
        // Python's json.dumps spelling, as the SDK sends it.
        format!(
            "models={}",
            serde_json::to_string(&list).unwrap().replace(',', ", ")
        )
    };
    let submit = |people: Vec<(&'static str, &'static str)>, detection: String| {
        let body = json!({
            "rid_mp_detection": detection,
            "processor": "video2anim",
            "params": ["config=configDefault", "formats=bvh,fbx", models(&people)],
        });
        let dm = &dm;
        async move { dm.post("/process", &body).await }
    };
    let stranger = submit(vec![("001", "stock-m"), ("004", "stock-m")], rid.clone()).await;
    assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);
    let text = stranger.text().await.unwrap();
    assert!(
        text.contains("\\\"004\\\"") || text.contains("004"),
        "{text}"
    );
    assert!(text.contains("001, 002, 003"), "{text}");
    let submitted_before = sandbox.deepmotion().process_submissions();
    // Neither a plain job nor an unfinished one is a detection.
    let plain = dm
        .process(&dm.upload_single("a.mp4", fixture("walk.mp4")).await, &[])
        .await;
    let not_detection = submit(vec![("001", "x")], plain).await;
    assert_eq!(not_detection.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        sandbox.deepmotion().process_submissions(),
        submitted_before + 1
    );

    // Animating 001 and 003 with a stock model.
    let models_list = dm.get_json("/character/listModels").await;
    let first = &models_list.as_array().expect("a list of models")[0];
    let stock = first["Id"].as_str().unwrap().to_owned();
    let body = json!({
        "rid_mp_detection": rid,
        "processor": "video2anim",
        "params": ["config=configDefault", "formats=bvh,fbx",
                   format!("models=[{{\"trackingId\": \"001\", \"modelId\": \"{stock}\"}}, {{\"trackingId\": \"003\", \"modelId\": \"{stock}\"}}]")],
    });
    let animation = dm.post_json("/process", &body).await["rid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(dm.wait(&animation).await["status"], "SUCCESS");
    let link = dm.link(&animation).await;
    assert_eq!(
        groups(&link),
        ["crowd-people-3_001", "crowd-people-3_003", "all_characters"]
    );
    assert_eq!(link["mode"], 1);
    assert_eq!(
        link["models"],
        json!([{"trackingId": "001", "modelId": stock}, {"trackingId": "003", "modelId": stock}])
    );
    let bvh = dm
        .fetch(&file_url(&link, "crowd-people-3_003", "bvh"))
        .await;
    assert!(bvh.starts_with(b"HIERARCHY"));
    let archive = dm.fetch(&file_url(&link, "all_characters", "fbx")).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"crowd-people-3_001.fbx".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"crowd-people-3_003.fbx".to_owned()),
        "{names:?}"
    );
    let mut fbx = Vec::new();
    zip.by_name("crowd-people-3_003.fbx")
        .unwrap()
        .read_to_end(&mut fbx)
        .unwrap();
    assert!(
        fbx.starts_with(b"Kaydara FBX Binary"),
        "a binary FBX inside"
    );
    // A plain job says mode 0.
    let single = detect_free_plain(&dm).await;
    assert_eq!(dm.link(&single).await["mode"], 0);

    // An unknown model fails the job with the documented 504.
    let body = json!({
        "rid_mp_detection": rid,
        "processor": "video2anim",
        "params": [models(&[("002", "no-such-model")])],
    });
    let failing = dm.post_json("/process", &body).await["rid"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = dm.wait(&failing).await;
    assert_eq!(entry["status"], "FAILURE");
    let message = entry["details"]["exc_message"].as_str().unwrap();
    assert!(message.starts_with("504: "), "{message}");
}

async fn detect_free_plain(dm: &Dm) -> String {
    let url = dm.upload_single("solo.mp4", fixture("walk.mp4")).await;
    let rid = dm.process(&url, &["formats=bvh"]).await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    rid
}
