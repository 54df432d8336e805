//! `status`, `list`, `download`, `rerun`, `credits`, `video-info`, and the
//! download loop `animate` shares.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Ctx, DeepMotion};
use crate::args::ProcessArgs;
use crate::exit::{CliError, io_error};
use crate::output::{
    CreditsOutput, DownloadOutput, DownloadedJob, JobView, ListOutput, ListedJob, PlannedInput,
    ProcessPlan, RerunOutput, SavedFile, StatusOutput, VideoInfoOutput,
};
use crate::params::advisories;
use crate::progress::ItemBar;
use crate::term::safe;
use motionkit_deepmotion::{Client, Process, Upload};
use motionkit_models::deepmotion::{JobStatus, JobStatusEntry};
use motionkit_transport::{DownloadOptions, OnExisting, UploadOptions};
use motionkit_validation::{Rule, Violation};

/// One saved output file.
pub type Saved = SavedFile;

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

/// The `(file type, signed URL)` of every output of the finished job `rid`.
async fn output_links(client: &Client, rid: &str) -> Result<Vec<(String, String)>, CliError> {
    let links = client.download_links(&[rid.to_owned()]).await?;
    let link = links.into_iter().find(|l| l.rid == rid).ok_or_else(|| {
        CliError::not_found(
            format!("job {rid} is unknown to the server"),
            "motionkit list",
        )
    })?;
    let files: Vec<(String, String)> = link
        .files()
        .map(|(kind, url)| (kind.to_owned(), url.to_owned()))
        .collect();
    if files.is_empty() {
        return Err(CliError::permanent(format!(
            "job {rid} offers no files to download (not finished, or failed)"
        ))
        .hint(format!("see `motionkit status {rid}`")));
    }
    Ok(files)
}

/// Refuses, before anything is downloaded, to replace an existing file
/// of `dir` that an output of `rid` would be saved as.
async fn check_no_clobber(client: &Client, rid: &str, dir: &Path) -> Result<(), CliError> {
    for (_, url) in output_links(client, rid).await? {
        if let Some(name) = url_file_name(&url) {
            let target = dir.join(&name);
            if std::fs::symlink_metadata(&target).is_ok() {
                return Err(CliError::conflict(format!(
                    "{} already exists; job {rid} would replace it",
                    target.display()
                ))
                .hint("add --clobber to replace existing files, or choose another --out"));
            }
        }
    }
    Ok(())
}

/// What `save_outputs` may skip, must protect, and does with taken names.
#[derive(Debug, Clone, Copy)]
pub struct SavePolicy<'a> {
    /// File types already saved (skipped while their file exists).
    pub done: &'a BTreeMap<String, PathBuf>,
    /// Files never to overwrite (the batch's inputs).
    pub protect: &'a [PathBuf],
    /// What to do when an output's name is taken.
    pub on_existing: OnExisting,
}

impl SavePolicy<'static> {
    /// Nothing done, nothing protected beyond `on_existing`.
    pub fn fresh(on_existing: OnExisting) -> Self {
        static NONE: BTreeMap<String, PathBuf> = BTreeMap::new();
        SavePolicy {
            done: &NONE,
            protect: &[],
            on_existing,
        }
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
    policy: SavePolicy<'_>,
    bar: Option<&ItemBar>,
    mut saved: impl FnMut(&Saved) -> Result<(), CliError>,
) -> Result<Vec<Saved>, CliError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io_error(format!("creating {}", dir.display()), e))?;
    let files = output_links(client, rid).await?;
    let mut out = Vec::with_capacity(files.len());
    for (kind, url) in files {
        if let Some(path) = policy.done.get(&kind).filter(|p| p.is_file()) {
            out.push(Saved {
                kind,
                path: path.clone(),
                renamed_from: None,
            });
            continue;
        }
        let mut options = DownloadOptions {
            on_existing: policy.on_existing,
            ..DownloadOptions::default()
        };
        if let Some(name) = url_file_name(&url) {
            let target = dir.join(&name);
            if policy.protect.iter().any(|p| same_file(p, &target)) {
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name.as_str(), &kind));
                options.file_name = Some(format!("{stem}.animation.{ext}"));
            }
        }
        if let Some(bar) = bar {
            let bar = bar.clone();
            let label = format!("get {kind}");
            options.progress = Some(Arc::new(move |p| bar.bytes(&label, p)));
        }
        let report = match client.transport().download(&url, dir, &options).await {
            Ok(report) => report,
            Err(motionkit_transport::Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                return Err(CliError::conflict(format!(
                    "a file in {} already has the name of job {rid}'s {kind} output",
                    dir.display()
                ))
                .hint("add --clobber to replace existing files, or choose another --out"));
            }
            Err(e) => return Err(e.into()),
        };
        let file = Saved {
            kind,
            path: report.path,
            renamed_from: report.renamed_from,
        };
        saved(&file)?;
        out.push(file);
    }
    Ok(out)
}

fn describe(entry: &JobStatusEntry) -> String {
    let view = JobView::from_status(entry);
    match &entry.status {
        JobStatus::Success => "done".to_owned(),
        JobStatus::Failure | JobStatus::Retry => view.error_message.unwrap_or_default(),
        _ => view
            .progress
            .map(|p| format!("{:.0}% ({}/{})", p.percent, p.step, p.total))
            .unwrap_or_default(),
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
    let output = StatusOutput {
        simulated: ctx.simulated(),
        jobs: entries.iter().map(JobView::from_status).collect(),
        unknown: missing.iter().map(|s| (*s).clone()).collect(),
    };
    if !ctx.json() {
        for entry in &entries {
            ctx.out(format!(
                "{}\t{}\t{}",
                safe(&entry.rid),
                safe(&entry.status.to_string()),
                safe(&describe(entry))
            ));
        }
    }
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(CliError::not_found(
            format!(
                "unknown request id(s): {} (wrong id, another account, or removed)",
                list.join(", ")
            ),
            "motionkit list",
        )
        .with_output(&output));
    }
    if ctx.json() {
        ctx.print_json(&output)?;
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
        return ctx.print_json(&ListOutput {
            simulated: ctx.simulated(),
            jobs: jobs.iter().map(ListedJob::from).collect(),
        });
    }
    for job in &jobs {
        ctx.out(format!(
            "{}\t{}\t{}",
            safe(&job.rid),
            safe(&job.status.to_string()),
            safe(job.file_name.as_deref().unwrap_or(""))
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

/// Notes each output saved under a suffixed name because its name was taken.
pub fn note_renamed(ctx: &Ctx, files: &[Saved]) {
    for file in files {
        if let Some(wanted) = &file.renamed_from {
            ctx.note(format!(
                "{} already exists; saved as {} (add --clobber to replace instead)",
                wanted.display(),
                file.path.display()
            ));
        }
    }
}

/// `motionkit download RID... --out DIR [--clobber] [--wait]`.
pub async fn download(
    ctx: &Ctx,
    rids: &[String],
    out: &Path,
    clobber: bool,
    wait: bool,
) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let several = rids.len() > 1;
    if wait {
        // One watcher polls every job at once; each wait returns when its
        // job has finished (a failure is an error before any download).
        for rid in rids {
            let bar = ctx.bars.item(rid);
            let result = wait_job(dm, rid, &bar).await;
            bar.finish(if result.is_ok() { "finished" } else { "failed" });
            result?;
        }
    }
    if !clobber {
        // Every job is checked before the first byte is written.
        for rid in rids {
            check_no_clobber(&dm.client, rid, &job_dir(out, rid, several)).await?;
        }
    }
    let mut results = Vec::new();
    for rid in rids {
        let bar = ctx.bars.item(rid);
        let dir = job_dir(out, rid, several);
        let on_existing = if clobber {
            OnExisting::Replace
        } else {
            OnExisting::Fail
        };
        let files = save_outputs(
            &dm.client,
            rid,
            &dir,
            SavePolicy::fresh(on_existing),
            Some(&bar),
            |_| Ok(()),
        )
        .await;
        bar.finish(if files.is_ok() { "saved" } else { "failed" });
        let files = match files {
            Ok(files) => files,
            Err(e) => {
                let partial = DownloadOutput {
                    simulated: ctx.simulated(),
                    jobs: results,
                };
                return Err(e.with_output(&partial));
            }
        };
        if !ctx.json() {
            for f in &files {
                ctx.out(format!(
                    "{}\t{}\t{}",
                    safe(rid),
                    safe(&f.kind),
                    safe(&f.path.display().to_string())
                ));
            }
        }
        results.push(DownloadedJob {
            rid: rid.clone(),
            files,
        });
    }
    if ctx.json() {
        ctx.print_json(&DownloadOutput {
            simulated: ctx.simulated(),
            jobs: results,
        })?;
    }
    Ok(())
}

/// Waits for `rid` with a bar showing its server state; a failed job is
/// an error (exit 1).
pub async fn wait_job(dm: &DeepMotion, rid: &str, bar: &ItemBar) -> Result<(), CliError> {
    bar.job("STARTING", rid, 0.0, 1.0);
    // The shared watcher sends one status request per interval for every
    // job of the run, however many videos wait at once.
    let mut last = (0.0, 1.0);
    let result = dm
        .watcher
        .wait(rid, |event| match event {
            motionkit_deepmotion::JobEvent::Progress { step, total, .. } => {
                last = (step, total);
                bar.job("PROGRESS", rid, step, total);
            }
            motionkit_deepmotion::JobEvent::Retrying { .. } => {
                bar.job("RETRY", rid, last.0, last.1);
            }
            _ => {}
        })
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Advisories about processing options, naming flags.
pub fn warnings(params: &motionkit_validation::process::ProcessParams) -> Vec<String> {
    advisories(params)
}

/// A submission refused before anything was sent: documented failures say
/// how to send them anyway, and every finding names the flag.
pub fn refused(error: motionkit_deepmotion::Error) -> CliError {
    match error {
        motionkit_deepmotion::Error::Validation(found) => CliError::from(
            crate::params::name_flags(crate::params::with_force_hint(found)),
        ),
        other => other.into(),
    }
}

/// Says which documented failures `--force` sent anyway.
pub fn note_forced(ctx: &Ctx, label: &str, reported: &[motionkit_validation::Violation]) {
    let forced = reported
        .iter()
        .filter(|v| v.severity == motionkit_validation::Severity::DocumentedFailure);
    for violation in forced {
        ctx.note(format!(
            "warning: {}: sent anyway (--force): {}",
            safe(label),
            safe(&violation.to_string())
        ));
    }
}

/// `motionkit rerun RID [options] [--out DIR] [--dry-run]`.
pub async fn rerun(
    ctx: &Ctx,
    rid: &str,
    process: &ProcessArgs,
    out: Option<&Path>,
    dry_run: bool,
    clobber: bool,
) -> Result<(), CliError> {
    // The input's kind is learnt from the job when it is sent; before
    // that, only what fails for a video and a picture alike is refused.
    let params = process.to_rerun_params()?;
    let warnings = warnings(&params);
    if dry_run {
        let mut wire = vec![format!("rerunId={rid}")];
        wire.extend(params.to_params());
        let plan = ProcessPlan {
            simulated: ctx.simulated(),
            dry_run: true,
            rerun_of: Some(rid.to_owned()),
            videos: vec![PlannedInput {
                input: rid.to_owned(),
                bytes: 0,
                out_dir: out.map(Path::to_owned).unwrap_or_default(),
                params: wire.clone(),
            }],
            warnings: warnings.clone(),
        };
        if ctx.json() {
            return ctx.print_json(&plan);
        }
        ctx.out(format!(
            "would POST /process with: {}",
            safe(&wire.join(" "))
        ));
        for warning in &warnings {
            ctx.out(format!("warning: {warning}"));
        }
        return Ok(());
    }
    for warning in &warnings {
        ctx.note(format!("warning: {warning}"));
    }
    let dm = ctx.deepmotion().await?;
    let bar = ctx.bars.item(rid);
    bar.note("submit");
    let submitted = Process::rerun(rid)
        .params(params)
        .force(process.force)
        .submit(&dm.client)
        .await
        .map_err(refused)?;
    note_forced(ctx, rid, &submitted.warnings);
    let new_rid = submitted.rid;
    let Some(out) = out else {
        bar.finish("submitted");
        if ctx.json() {
            return ctx.print_json(&RerunOutput {
                simulated: ctx.simulated(),
                rid: new_rid,
                rerun_of: rid.to_owned(),
                files: None,
            });
        }
        ctx.out(safe(&new_rid));
        return Ok(());
    };
    let result = async {
        wait_job(dm, &new_rid, &bar).await?;
        save_outputs(
            &dm.client,
            &new_rid,
            out,
            SavePolicy::fresh(if clobber {
                OnExisting::Replace
            } else {
                OnExisting::KeepBoth
            }),
            Some(&bar),
            |_| Ok(()),
        )
        .await
    }
    .await;
    bar.finish(if result.is_ok() { "saved" } else { "failed" });
    let files = result.map_err(|e| e.context(format!("job {new_rid}")))?;
    note_renamed(ctx, &files);
    if ctx.json() {
        return ctx.print_json(&RerunOutput {
            simulated: ctx.simulated(),
            rid: new_rid,
            rerun_of: rid.to_owned(),
            files: Some(files),
        });
    }
    for f in &files {
        ctx.out(format!(
            "{}\t{}\t{}",
            safe(&new_rid),
            safe(&f.kind),
            safe(&f.path.display().to_string())
        ));
    }
    Ok(())
}

/// `motionkit credits`.
pub async fn credits(ctx: &Ctx) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let credits = dm.client.credit_balance().await?;
    if ctx.json() {
        return ctx.print_json(&CreditsOutput {
            simulated: ctx.simulated(),
            credits,
        });
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
        return ctx.print_json(&VideoInfoOutput {
            simulated: ctx.simulated(),
            width: info.width,
            height: info.height,
            fps: info.fps,
            duration: info.duration,
            codec: info.codec.clone(),
            size: info.size,
        });
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
        ctx.out(format!("codec\t{}", safe(codec)));
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
