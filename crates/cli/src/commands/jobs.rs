//! `status`, `list`, `rerun`, `credits` and `video-info` (`download`, and
//! the waiting and saving these share with `animate`, are in `download`).

use std::path::Path;
use std::sync::Arc;

use super::Ctx;
use super::download::{SavePolicy, note_renamed, save_outputs, wait_job};
use crate::args::ProcessArgs;
use crate::exit::CliError;
use crate::output::{
    CreditsOutput, JobView, ListOutput, ListedJob, PlannedInput, ProcessPlan, RerunOutput,
    StatusOutput, VideoInfoOutput,
};
use crate::params::advisories;
use crate::progress::ItemBar;
use crate::term::safe;
use motionkit_deepmotion::{Client, Process, Upload};
use motionkit_models::deepmotion::{JobStatus, JobStatusEntry};
use motionkit_transport::{OnExisting, UploadOptions};
use motionkit_validation::{Rule, Violation};

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

/// Advisories about processing options, naming flags.
pub fn warnings(params: &motionkit_validation::ProcessParams) -> Vec<String> {
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
/// How `rerun --out` saves: `--clobber`, `--unzip`.
#[derive(Debug, Clone, Copy)]
pub struct RerunSave {
    /// Replace files that have an output's name.
    pub clobber: bool,
    /// Extract ZIP archives into folders.
    pub unzip: bool,
}

pub async fn rerun(
    ctx: &Ctx,
    rid: &str,
    process: &ProcessArgs,
    out: Option<&Path>,
    dry_run: bool,
    save: RerunSave,
) -> Result<(), CliError> {
    let RerunSave { clobber, unzip } = save;
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
        .send(&dm.client)
        .await
        .map_err(refused)?;
    note_forced(ctx, rid, &submitted.warnings);
    let reported: Vec<String> =
        crate::params::name_flags(motionkit_validation::Violations(submitted.warnings))
            .into_iter()
            .map(|v| v.to_string())
            .collect();
    let new_rid = submitted.rid;
    let Some(out) = out else {
        bar.finish("submitted");
        if ctx.json() {
            return ctx.print_json(&RerunOutput {
                simulated: ctx.simulated(),
                rid: new_rid,
                rerun_of: rid.to_owned(),
                files: None,
                warnings: reported,
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
            SavePolicy {
                unzip,
                ..SavePolicy::fresh(if clobber {
                    OnExisting::Replace
                } else {
                    OnExisting::KeepBoth
                })
            },
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
            warnings: reported,
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
    let options = UploadOptions::default()
        .progress(Some(Arc::new(move |p| bar_for_upload.bytes("upload", p))));
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
}
