//! Multi-person animation with the DeepMotion client against the sandbox
//! on 127.0.0.1: detection, then animation of chosen people with two and
//! three people, the `all_characters` archives saved as `.zip` or
//! extracted, the checks made before any request, and resumption.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use motionkit_deepmotion::{
    AnimateEvent, AnimatePeople, Client, DetectPeople, Error, PendingSubmission, WaitOptions,
};
use motionkit_sandbox::Sandbox;
use motionkit_tests::{fixture, sandbox};
use motionkit_validation::{OutputFormat, ProcessParams, Rule, Severity};

const STOCK: &str = "dm-stock-male-01";

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .unwrap()
}

fn video(dir: &Path, name: &str) -> PathBuf {
    let target = dir.join(name);
    std::fs::copy(fixture("walk.mp4"), &target).unwrap();
    target
}

fn bvh_fbx() -> ProcessParams {
    ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx])
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// The entry names of the ZIP archive at `path`, and the first bytes of
/// each entry.
fn archive(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let name = entry.name().unwrap().into_owned();
            let mut head = vec![0; 9];
            entry.read_exact(&mut head).unwrap();
            (name, head)
        })
        .collect()
}

#[tokio::test]
async fn two_people_are_detected_animated_and_their_archives_named_by_content() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    let previews = dir.path().join("previews");
    let detection = DetectPeople::new(video(dir.path(), "dance.mp4"))
        .previews(&previews)
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    let ids: Vec<&str> = detection
        .people
        .iter()
        .map(|p| p.tracking_id.as_str())
        .collect();
    assert_eq!(ids, ["001", "002"]);
    assert_eq!(names(&detection.people[1].saved), ["dance_002.jpg"]);
    let jpeg = std::fs::read(previews.join("dance_001.jpg")).unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG preview");

    let out = dir.path().join("out");
    let done = AnimatePeople::new(&detection.rid, &out)
        .person("001", STOCK)
        .person("002", "dm-stock-robot-01")
        .params(bvh_fbx())
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(done.people.len(), 2);
    assert_eq!(done.people[0].0, "001");
    assert_eq!(names(&done.people[0].1), ["dance_001.bvh", "dance_001.fbx"]);
    assert_eq!(names(&done.people[1].1), ["dance_002.bvh", "dance_002.fbx"]);
    let bvh = std::fs::read_to_string(out.join("dance_002.bvh")).unwrap();
    assert!(bvh.starts_with("HIERARCHY"));
    // The archives arrive as ZIPs and are saved as such.
    assert_eq!(
        names(&done.all_characters),
        ["all_characters.bvh.zip", "all_characters.fbx.zip"]
    );
    let entries = archive(&out.join("all_characters.fbx.zip"));
    let entry_names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(entry_names.len(), 2);
    assert!(
        entry_names.iter().all(|n| n.ends_with(".fbx")),
        "{entry_names:?}"
    );
    assert!(
        entries
            .iter()
            .all(|(_, head)| head.starts_with(b"Kaydara "))
    );

    // Again, extracted: folders beside the first run's files, nothing replaced.
    let again = AnimatePeople::new(&detection.rid, &out)
        .person("001", STOCK)
        .person("002", STOCK)
        .params(ProcessParams::new().formats([OutputFormat::Fbx]))
        .unzip(true)
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(names(&again.all_characters), ["all_characters-fbx"]);
    let folder = out.join("all_characters-fbx");
    let mut inside: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside.len(), 2, "{inside:?}");
    assert!(
        inside[0].ends_with("_001.fbx") && inside[1].ends_with("_002.fbx"),
        "{inside:?}"
    );
    // The second run's per-person FBX files did not replace the first's.
    assert_eq!(names(&again.people[0].1), ["dance_001-2.fbx"]);
    assert!(out.join("all_characters.fbx.zip").exists());
}

#[tokio::test]
async fn three_people_and_a_chosen_two() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    let detection = DetectPeople::new(video(dir.path(), "crowd-people-3.mp4"))
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    let ids: Vec<&str> = detection
        .people
        .iter()
        .map(|p| p.tracking_id.as_str())
        .collect();
    assert_eq!(ids, ["001", "002", "003"]);
    assert!(
        detection.people.iter().all(|p| p.saved.is_empty()),
        "no previews asked"
    );
    let out = dir.path().join("out");
    let done = AnimatePeople::new(&detection.rid, &out)
        .person("003", STOCK)
        .person("001", STOCK)
        .params(ProcessParams::new().formats([OutputFormat::Bvh]))
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    let animated: Vec<&str> = done.people.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(animated, ["003", "001"], "in the order asked");
    let entries = archive(&out.join("all_characters.bvh.zip"));
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().any(|(n, _)| n.ends_with("_003.bvh")));
    assert!(!entries.iter().any(|(n, _)| n.ends_with("_002.bvh")));
}

#[tokio::test]
async fn bad_selections_are_refused_before_process() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    let detection = DetectPeople::new(video(dir.path(), "pair.mp4"))
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    let before = sandbox.deepmotion().process_submissions();
    let out = dir.path().join("out");
    let refuse = |people: &[(&str, &str)]| {
        let mut job = AnimatePeople::new(&detection.rid, &out).params(bvh_fbx());
        for (id, model) in people {
            job = job.person(*id, *model);
        }
        let client = client.clone();
        async move {
            match job.send(&client).await {
                Err(Error::Validation(found)) => found,
                other => panic!("not refused: {other:?}"),
            }
        }
    };
    let empty = refuse(&[]).await;
    assert_eq!(empty.iter().next().unwrap().rule, Rule::Required);
    let stranger = refuse(&[("001", STOCK), ("004", STOCK)]).await;
    let v = stranger.iter().next().unwrap();
    assert_eq!(
        (v.field.as_str(), v.rule, v.value.as_str()),
        ("models", Rule::OneOf, "004")
    );
    assert!(v.limit.contains("001, 002"), "{v}");
    let twice = refuse(&[("001", STOCK), ("001", STOCK)]).await;
    assert_eq!(twice.iter().next().unwrap().rule, Rule::Duplicate);
    let missing = refuse(&[("002", "no-such-model")]).await;
    let v = missing.iter().next().unwrap();
    assert_eq!(
        (v.rule, v.severity),
        (Rule::UnknownModel, Severity::DocumentedFailure)
    );
    assert!(v.limit.contains("504"), "{v}");
    assert_eq!(
        sandbox.deepmotion().process_submissions(),
        before,
        "nothing sent"
    );
    assert!(!out.exists(), "nothing saved");
}

#[tokio::test]
async fn an_announced_submission_is_adopted_and_a_known_rid_only_downloaded() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    let detection = DetectPeople::new(video(dir.path(), "duo.mp4"))
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    let pending: Arc<Mutex<Option<PendingSubmission>>> = Arc::default();
    let seen = pending.clone();
    let first = AnimatePeople::new(&detection.rid, dir.path().join("a"))
        .person("001", STOCK)
        .params(bvh_fbx())
        .wait_options(WaitOptions::fast())
        .on_event(move |event| {
            if let AnimateEvent::Submitting { since, upload_name } = event {
                let since_ms = since
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as u64;
                *seen.lock().unwrap() = Some(PendingSubmission {
                    upload_name: Some(upload_name),
                    rerun_of: None,
                    since_ms,
                });
            }
        })
        .send(&client)
        .await
        .unwrap();
    let pending = pending.lock().unwrap().clone().expect("announced");
    let submitted = sandbox.deepmotion().process_submissions();
    // A later run (a fresh client) with the announced submission finds
    // the same job, leaving the detection (same fileName) out.
    let resumed = AnimatePeople::new(&detection.rid, dir.path().join("b"))
        .person("001", STOCK)
        .params(bvh_fbx())
        .submission(pending)
        .wait_options(WaitOptions::fast())
        .send(&self::client(&sandbox))
        .await
        .unwrap();
    assert_eq!(resumed.rid, first.rid);
    let known = AnimatePeople::new(&detection.rid, dir.path().join("c"))
        .person("001", STOCK)
        .rid(first.rid.clone())
        .wait_options(WaitOptions::fast())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(known.rid, first.rid);
    assert_eq!(
        names(&known.all_characters),
        ["all_characters.bvh.zip", "all_characters.fbx.zip"]
    );
    assert_eq!(
        sandbox.deepmotion().process_submissions(),
        submitted,
        "never sent again"
    );
}
