//! `motionkit download`, and what `animate` and `rerun` share with it:
//! waiting for a job, and saving its outputs without replacing a file the
//! user did not ask to replace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Ctx, DeepMotion};
use crate::exit::{CliError, io_error};
use crate::output::{DownloadOutput, DownloadedJob, SavedFile};
use crate::progress::ItemBar;
use crate::term::safe;
use motionkit_deepmotion::{Client, Error, JobOutputs};
use motionkit_transport::{DownloadOptions, OnExisting};

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

/// The outputs of the finished job `rid`.
async fn job_outputs(client: &Client, rid: &str) -> Result<JobOutputs, CliError> {
    match client.job_outputs(rid).await {
        Err(Error::UnknownJob { .. }) => Err(CliError::not_found(
            format!("job {rid} is unknown to the server"),
            "motionkit list",
        )),
        Err(Error::NothingToDownload { .. }) => Err(CliError::permanent(format!(
            "job {rid} offers no files to download (not finished, or failed)"
        ))
        .hint(format!("see `motionkit status {rid}`"))),
        other => Ok(other?),
    }
}

/// Refuses, before anything is downloaded, to replace an existing file
/// of `dir` that an output of `rid` would be saved as.
async fn check_no_clobber(client: &Client, rid: &str, dir: &Path) -> Result<(), CliError> {
    let outputs = job_outputs(client, rid).await?;
    for (_, url) in &outputs.files {
        if let Some(name) = outputs.file_name(url).or_else(|| url_file_name(url)) {
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
    /// Extract ZIP archives into folders (`--unzip`).
    pub unzip: bool,
}

impl SavePolicy<'static> {
    /// Nothing done, nothing protected beyond `on_existing`.
    pub fn fresh(on_existing: OnExisting) -> Self {
        static NONE: BTreeMap<String, PathBuf> = BTreeMap::new();
        SavePolicy {
            done: &NONE,
            protect: &[],
            on_existing,
            unzip: false,
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
    let outputs = job_outputs(client, rid).await?;
    let mut out = Vec::with_capacity(outputs.files.len());
    for (kind, url) in outputs.files.iter().cloned() {
        if let Some(path) = policy.done.get(&kind).filter(|p| p.is_file()) {
            out.push(Saved {
                kind,
                path: path.clone(),
                renamed_from: None,
            });
            continue;
        }
        let mut options = DownloadOptions::default()
            .on_existing(policy.on_existing)
            .unzip(policy.unzip)
            .file_name(outputs.file_name(&url));
        if let Some(name) = options.file_name.clone().or_else(|| url_file_name(&url)) {
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
        if let Some(bar) = bar {
            bar.transferred(&format!("get {kind}"), report.bytes);
        }
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

/// `motionkit download RID... --out DIR [--clobber] [--wait] [--unzip]`.
pub async fn download(
    ctx: &Ctx,
    rids: &[String],
    out: &Path,
    clobber: bool,
    wait: bool,
    unzip: bool,
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
            SavePolicy {
                unzip,
                ..SavePolicy::fresh(on_existing)
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_url_path() {
        assert_eq!(
            url_file_name("http://h/storage/outputs/r/walk%20x.bvh?sig=1").as_deref(),
            Some("walk x.bvh")
        );
    }
}
