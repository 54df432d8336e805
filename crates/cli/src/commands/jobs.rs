//! `status`, `list`, `download`, `rerun`, `credits`, `video-info`, and the
//! download loop `animate` shares.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use motionkit_deepmotion::{Client, Process, Upload};
use motionkit_models::deepmotion::{JobStatus, JobStatusEntry};
use motionkit_transport::{DownloadOptions, UploadOptions};
use motionkit_validation::process::InputKind;
use motionkit_validation::{Rule, Violation};
use serde::Serialize;
use serde_json::json;

use super::{Ctx, DeepMotion};
use crate::args::ProcessArgs;
use crate::exit::{CliError, io_error};
use crate::progress::ItemBar;

/// One saved output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    /// File type as the server names it (bvh, fbx, mp4, ...).
    pub kind: String,
    /// Where it is.
    pub path: PathBuf,
}

/// The last path segment of a URL, decoded.
fn url_file_name(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let segment = parsed.path_segments()?.next_back()?;
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned();
    motionkit_transport::sanitize_file_name(&decoded).ok()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Downloads every output of the finished job `rid` into `dir`, skipping
/// the file types in `done` whose file still exists. `protect` lists files
/// that must never be overwritten (the batch's inputs): an output that
/// would land on one gets `.animation` before its extension. `saved` is
/// called after each file.
pub async fn save_outputs(
    client: &Client,
    rid: &str,
    dir: &Path,
    done: &BTreeMap<String, PathBuf>,
    protect: &[PathBuf],
    bar: Option<&ItemBar>,
    mut saved: impl FnMut(&Saved) -> Result<(), CliError>,
) -> Result<Vec<Saved>, CliError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io_error(format!("creating {}", dir.display()), e))?;
    let links = client.download_links(&[rid.to_owned()]).await?;
    let link = links
        .into_iter()
        .find(|l| l.rid == rid)
        .ok_or_else(|| CliError::permanent(format!("job {rid} is unknown to the server")))?;
    let files: Vec<(String, String)> = link
        .files()
        .map(|(kind, url)| (kind.to_owned(), url.to_owned()))
        .collect();
    if files.is_empty() {
        return Err(CliError::permanent(format!(
            "job {rid} offers no files to download (not finished, or failed; see `motionkit status {rid}`)"
        )));
    }
    let mut out = Vec::with_capacity(files.len());
    for (kind, url) in files {
        if let Some(path) = done.get(&kind).filter(|p| p.is_file()) {
            out.push(Saved {
                kind,
                path: path.clone(),
            });
            continue;
        }
        let mut options = DownloadOptions::default();
        if let Some(name) = url_file_name(&url) {
            let target = dir.join(&name);
            if protect.iter().any(|p| same_file(p, &target)) {
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name.as_str(), &kind));
                options.file_name = Some(format!("{stem}.animation.{ext}"));
            }
        }
        if let Some(bar) = bar {
            let bar = bar.clone();
            let label = format!("get {kind}");
            options.progress = Some(Arc::new(move |p| bar.bytes(&label, p)));
        }
        let report = client.transport().download(&url, dir, &options).await?;
        let file = Saved {
            kind,
            path: report.path,
        };
        saved(&file)?;
        out.push(file);
    }
    Ok(out)
}

fn describe(entry: &JobStatusEntry) -> String {
    let details = entry.details.clone().unwrap_or_default();
    match &entry.status {
        JobStatus::Success => "done".to_owned(),
        JobStatus::Failure | JobStatus::Retry => details.failure().to_string(),
        _ => match details.progress() {
            Some((step, total)) if total > 0.0 => {
                format!("{:.0}%", (step / total * 100.0).clamp(0.0, 100.0))
            }
            _ => String::new(),
        },
    }
}

/// `motionkit status RID...`.
pub async fn status(ctx: &Ctx, rids: &[String]) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let entries = dm.client.status(rids).await?;
    let missing: Vec<&String> = rids
        .iter()
        .filter(|rid| !entries.iter().any(|e| &e.rid == *rid))
        .collect();
    if ctx.json() {
        ctx.print_json(&json!({ "jobs": entries, "unknown": missing }))?;
    } else {
        for entry in &entries {
            ctx.out(format!(
                "{}\t{}\t{}",
                entry.rid,
                entry.status,
                describe(entry)
            ));
        }
    }
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(CliError::permanent(format!(
            "unknown request id(s): {} (wrong id, another account, or removed)",
            list.join(", ")
        )));
    }
    Ok(())
}

/// Parses `--status` values (case-insensitive) into known statuses.
pub fn parse_statuses(values: &[String]) -> Result<Vec<JobStatus>, CliError> {
    let mut out = Vec::new();
    for value in values {
        let wanted = value.trim().to_ascii_uppercase();
        match JobStatus::KNOWN.iter().find(|s| s.as_str() == wanted) {
            Some(status) => out.push(status.clone()),
            None => {
                let names: Vec<&str> = JobStatus::KNOWN.iter().map(JobStatus::as_str).collect();
                return Err(Violation::new(
                    "--status",
                    Rule::OneOf,
                    value,
                    format!("one of: {}", names.join(", ")),
                )
                .into());
            }
        }
    }
    Ok(out)
}

/// `motionkit list [--status S,...]`.
pub async fn list(ctx: &Ctx, statuses: &[String]) -> Result<(), CliError> {
    let statuses = parse_statuses(statuses)?;
    let dm = ctx.deepmotion().await?;
    let jobs = dm.client.list(&statuses).await?;
    if ctx.json() {
        return ctx.print_json(&json!({ "jobs": jobs }));
    }
    for job in &jobs {
        ctx.out(format!(
            "{}\t{}\t{}",
            job.rid,
            job.status,
            job.file_name.as_deref().unwrap_or("")
        ));
    }
    Ok(())
}

/// The folder for one of several jobs: `DIR` for a single job, `DIR/RID`
/// otherwise.
fn job_dir(out: &Path, rid: &str, several: bool) -> PathBuf {
    if several {
        out.join(motionkit_transport::sanitize_file_name(rid).unwrap_or_else(|_| "job".into()))
    } else {
        out.to_owned()
    }
}

/// `motionkit download RID... --out DIR`.
pub async fn download(ctx: &Ctx, rids: &[String], out: &Path) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let several = rids.len() > 1;
    let mut results = Vec::new();
    for rid in rids {
        let bar = ctx.bars.item(rid);
        let dir = job_dir(out, rid, several);
        let files = save_outputs(
            &dm.client,
            rid,
            &dir,
            &BTreeMap::new(),
            &[],
            Some(&bar),
            |_| Ok(()),
        )
        .await;
        bar.finish(if files.is_ok() { "saved" } else { "failed" });
        let files = files?;
        if !ctx.json() {
            for f in &files {
                ctx.out(format!("{rid}\t{}\t{}", f.kind, f.path.display()));
            }
        }
        results.push(json!({ "rid": rid, "files": files }));
    }
    if ctx.json() {
        ctx.print_json(&json!({ "jobs": results }))?;
    }
    Ok(())
}

/// Waits for `rid` with a bar; a failed job is an error (exit 1).
pub async fn wait_job(dm: &DeepMotion, rid: &str, bar: &ItemBar) -> Result<(), CliError> {
    // The shared watcher sends one status request per interval for every
    // job of the run, however many videos wait at once.
    let result = dm
        .watcher
        .wait(rid, |event| {
            if let motionkit_deepmotion::JobEvent::Progress { step, total, .. } = event {
                bar.steps("job", step, total);
            }
        })
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(motionkit_deepmotion::Error::JobFailed(failure)) => {
            Err(CliError::permanent(failure.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// `motionkit rerun RID [options] [--out DIR]`.
pub async fn rerun(
    ctx: &Ctx,
    rid: &str,
    process: &ProcessArgs,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let params = process.to_params(InputKind::Video)?;
    let dm = ctx.deepmotion().await?;
    let bar = ctx.bars.item(rid);
    bar.note("submit");
    let new_rid = Process::rerun(rid).params(params).send(&dm.client).await?;
    let Some(out) = out else {
        bar.finish("submitted");
        if ctx.json() {
            return ctx.print_json(&json!({ "rid": new_rid, "rerun_of": rid }));
        }
        ctx.out(&new_rid);
        return Ok(());
    };
    let result = async {
        wait_job(dm, &new_rid, &bar).await?;
        save_outputs(
            &dm.client,
            &new_rid,
            out,
            &BTreeMap::new(),
            &[],
            Some(&bar),
            |_| Ok(()),
        )
        .await
    }
    .await;
    bar.finish(if result.is_ok() { "saved" } else { "failed" });
    let files = result.map_err(|e| e.context(format!("job {new_rid}")))?;
    if ctx.json() {
        return ctx.print_json(&json!({ "rid": new_rid, "rerun_of": rid, "files": files }));
    }
    for f in &files {
        ctx.out(format!("{new_rid}\t{}\t{}", f.kind, f.path.display()));
    }
    Ok(())
}

/// `motionkit credits`.
pub async fn credits(ctx: &Ctx) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let credits = dm.client.credit_balance().await?;
    if ctx.json() {
        return ctx.print_json(&json!({ "credits": credits }));
    }
    ctx.out(format!("{credits}"));
    Ok(())
}

/// Uploads a local file with a progress bar.
pub async fn upload_file(client: &Client, path: &Path, bar: &ItemBar) -> Result<Upload, CliError> {
    let bar_for_upload = bar.clone();
    let options = UploadOptions {
        progress: Some(Arc::new(move |p| bar_for_upload.bytes("upload", p))),
        ..UploadOptions::default()
    };
    Ok(client.upload(path, &options).await?)
}

/// `motionkit video-info FILE_OR_URL`.
pub async fn video_info(ctx: &Ctx, input: &str) -> Result<(), CliError> {
    let is_url = input.starts_with("http://") || input.starts_with("https://");
    if !is_url && !Path::new(input).is_file() {
        return Err(Violation::new(
            "FILE_OR_URL",
            Rule::Required,
            input,
            "an existing local file, or an http(s) URL returned by the upload call",
        )
        .into());
    }
    let dm = ctx.deepmotion().await?;
    let url = if is_url {
        input.to_owned()
    } else {
        let name = Path::new(input)
            .file_name()
            .map_or_else(|| input.to_owned(), |n| n.to_string_lossy().into_owned());
        let bar = ctx.bars.item(&name);
        let upload = upload_file(&dm.client, Path::new(input), &bar).await;
        bar.finish(if upload.is_ok() { "uploaded" } else { "failed" });
        upload?.url
    };
    let info = dm.client.video_info(&url).await?;
    if ctx.json() {
        return ctx.print_json(&info);
    }
    ctx.out(format!("width\t{}", info.width));
    ctx.out(format!("height\t{}", info.height));
    if let Some(fps) = info.fps {
        ctx.out(format!("fps\t{fps}"));
    }
    if let Some(duration) = info.duration {
        ctx.out(format!("duration\t{duration}"));
    }
    if let Some(codec) = &info.codec {
        ctx.out(format!("codec\t{codec}"));
    }
    if let Some(size) = info.size {
        ctx.out(format!("size\t{size}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_checked() {
        let ok = parse_statuses(&["success".into(), "RETRY".into()]).unwrap();
        assert_eq!(ok, vec![JobStatus::Success, JobStatus::Retry]);
        let err = parse_statuses(&["DONE".into()]).unwrap_err();
        assert!(err.message.contains("--status") && err.message.contains("DONE"));
    }

    #[test]
    fn file_names_come_from_the_url_path() {
        assert_eq!(
            url_file_name("http://h/storage/outputs/r/walk%20x.bvh?sig=1").as_deref(),
            Some("walk x.bvh")
        );
    }
}
