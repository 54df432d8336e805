//! Downloads judged by their first bytes: a ZIP archive saved with `.zip`
//! appended or extracted, hostile archives refused, and an HTML page under
//! a `.fbx` name refused. A local server serves crafted archives.

use std::io::Write as _;
use std::path::Path;

use axum::routing::get;
use motionkit_transport::{Content, DownloadOptions, Error, Limits, OnExisting, Transport};

use crate::common::*;

/// Serves `body` at `/f` and returns its URL.
async fn serve_bytes(body: Vec<u8>) -> String {
    let router = axum::Router::new().route("/f", get(move || async move { body.clone() }));
    format!("{}/f", serve(router).await)
}

/// A deflated ZIP archive of `(name, bytes)` entries.
fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn transport(limits: Limits) -> Transport {
    Transport::builder("http://127.0.0.1:9")
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .limits(limits)
        .build()
        .unwrap()
}

fn options(unzip: bool) -> DownloadOptions {
    DownloadOptions::default()
        .file_name(Some("all_characters.fbx".into()))
        .unzip(unzip)
}

/// Every name under `dir`, recursively, relative and sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

const PEOPLE: &[(&str, &[u8])] = &[
    ("crowd_001.fbx", b"Kaydara FBX Binary  \0one"),
    ("crowd_002.fbx", b"Kaydara FBX Binary  \0two"),
];

#[tokio::test]
async fn a_zip_is_saved_with_zip_appended() {
    let bytes = archive(PEOPLE);
    let url = serve_bytes(bytes.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let report = transport(Limits::default())
        .download(&url, dir.path(), &options(false))
        .await
        .unwrap();
    assert_eq!(report.path, dir.path().join("all_characters.fbx.zip"));
    assert_eq!(report.content, Content::Zip);
    assert!(report.extracted.is_empty());
    assert_eq!(std::fs::read(&report.path).unwrap(), bytes);
    assert_eq!(tree(dir.path()), ["all_characters.fbx.zip"]);
}

#[tokio::test]
async fn a_zip_is_extracted_into_a_folder_without_replacing_one() {
    let url = serve_bytes(archive(PEOPLE)).await;
    let dir = tempfile::tempdir().unwrap();
    let client = transport(Limits::default());
    let report = client
        .download(&url, dir.path(), &options(true))
        .await
        .unwrap();
    let folder = dir.path().join("all_characters-fbx");
    assert_eq!(report.path, folder);
    assert_eq!(
        report.extracted,
        [folder.join("crowd_001.fbx"), folder.join("crowd_002.fbx")]
    );
    assert_eq!(
        std::fs::read(folder.join("crowd_002.fbx")).unwrap(),
        PEOPLE[1].1
    );
    // Again: the first folder stays, the second gets a suffix.
    let again = client
        .download(&url, dir.path(), &options(true))
        .await
        .unwrap();
    assert_eq!(again.path, dir.path().join("all_characters-fbx-2"));
    assert_eq!(again.renamed_from, Some(folder.clone()));
    assert_eq!(
        tree(dir.path()),
        [
            "all_characters-fbx",
            "all_characters-fbx-2",
            "all_characters-fbx-2/crowd_001.fbx",
            "all_characters-fbx-2/crowd_002.fbx",
            "all_characters-fbx/crowd_001.fbx",
            "all_characters-fbx/crowd_002.fbx",
        ]
    );
    // Replace, when asked, replaces the folder.
    let replace = options(true).on_existing(OnExisting::Replace);
    let replaced = client.download(&url, dir.path(), &replace).await.unwrap();
    assert_eq!(replaced.path, folder);
    assert_eq!(replaced.renamed_from, None);
}

/// Downloads a crafted archive with `unzip`, expects a refusal naming
/// `needle`, and that nothing was written anywhere.
async fn refused(bytes: Vec<u8>, limits: Limits, needle: &str) {
    let url = serve_bytes(bytes).await;
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("out");
    let error = transport(limits)
        .download(&url, &dir, &options(true))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(needle), "{text}");
    assert!(text.contains("nothing was extracted"), "{text}");
    assert_eq!(tree(outer.path()), ["out"], "nothing left behind");
}

#[tokio::test]
async fn an_entry_leaving_the_folder_is_refused() {
    let evil = archive(&[("crowd_001.fbx", b"ok"), ("../evil.fbx", b"gotcha")]);
    refused(evil, Limits::default(), "leaves the folder").await;
    let nested = archive(&[("a/../../evil.fbx", b"gotcha")]);
    refused(nested, Limits::default(), "leaves the folder").await;
    let absolute = archive(&[("/tmp/evil.fbx", b"gotcha")]);
    refused(absolute, Limits::default(), "absolute path").await;
}

#[tokio::test]
async fn a_zip_bomb_is_refused() {
    // 8 MiB of zeros deflate to a few KiB; the download limit is 1 MiB.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bomb = archive(&[("crowd_001.fbx", &zeros)]);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let limits = Limits::default().download_bytes(1024 * 1024);
    refused(bomb, limits, "zip bomb").await;
}

#[tokio::test]
async fn html_under_an_fbx_name_is_refused() {
    let url = serve_bytes(b"<!DOCTYPE html><html><body>AccessDenied</body></html>".to_vec()).await;
    let dir = tempfile::tempdir().unwrap();
    let error = transport(Limits::default())
        .download(&url, dir.path(), &options(false))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
    assert!(text.contains("an HTML page"), "{text}");
    assert!(text.contains("all_characters.fbx"), "{text}");
    assert!(text.contains("<!DOCTYPE html>"), "{text}");
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
}
