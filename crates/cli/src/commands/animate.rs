//! `motionkit animate VIDEO...`: upload, process, wait and download, for
//! many videos at once, resumable through the state file.

mod plan;

use std::path::PathBuf;

use super::download::{SavePolicy, Saved, note_renamed, save_outputs, wait_job};
use super::upload::{Resumable, Warnings, upload_resuming};
use super::{Ctx, DeepMotion};
use crate::args::AnimateArgs;
use crate::exit::{CliError, Exit};
use crate::output::{AnimateOutput, AnimatedInput};
use crate::params::advisories;
use crate::progress::ItemBar;
use crate::state::{JobPhase, SourceStamp, StateFile, UploadRecord, VideoState};
use crate::term::safe;
use futures::StreamExt as _;
use motionkit_deepmotion::{Adoption, PendingSubmission, Process, Upload};
use plan::{Item, dry_run, plan};

/// How one video ended.
#[derive(Debug)]
struct Outcome {
    input: AnimatedInput,
    exit: Exit,
    error: Option<CliError>,
}

/// `motionkit animate`.
pub async fn run(ctx: &Ctx, args: AnimateArgs) -> Result<(), CliError> {
    let items = plan(&args)?;
    let mut warnings: Vec<String> = items
        .first()
        .map(|i| advisories(&i.params))
        .unwrap_or_default();
    warnings.extend(items.iter().flat_map(|i| i.warnings.iter().cloned()));
    if args.dry_run {
        return dry_run(ctx, &items, warnings);
    }
    for warning in &warnings {
        ctx.note(format!("warning: {warning}"));
    }
    let state = StateFile::open(&args.out)?;
    let known: Vec<bool> = items
        .iter()
        .filter_map(|i| state.get(&i.key).map(|v| v.done))
        .collect();
    if !known.is_empty() {
        let done = known.iter().filter(|d| **d).count();
        ctx.note(format!(
            "resuming: {done} done, {} to go (state file {})",
            items.len() - done,
            state.path().display()
        ));
    }
    let dm = ctx.deepmotion().await?;
    if let Some(url) = &args.webhook {
        ensure_webhook(ctx, dm, url).await?;
    }
    let protect: Vec<PathBuf> = items.iter().map(|i| i.path.clone()).collect();
    let batch = (items.len() > 1).then(|| ctx.bars.batch(items.len() as u64));
    let run = Run {
        ctx,
        dm,
        state: &state,
        protect: &protect,
        on_existing: if args.clobber {
            motionkit_transport::OnExisting::Replace
        } else {
            motionkit_transport::OnExisting::KeepBoth
        },
        unzip: args.unzip,
        retry_failed: args.retry_failed,
        resubmit_unconfirmed: args.resubmit_unconfirmed,
        batch: items.len() > 1,
    };
    let mut outcomes: Vec<(usize, Outcome)> = futures::stream::iter(items.iter().enumerate())
        .map(|(index, item)| {
            let run = &run;
            let batch = batch.clone();
            async move {
                let outcome = Box::pin(run.video(item)).await;
                if let Some(batch) = &batch {
                    batch.inc();
                }
                run.report(&outcome);
                (index, outcome)
            }
        })
        .buffer_unordered(usize::from(args.concurrency))
        .collect()
        .await;
    if let Some(batch) = &batch {
        batch.finish();
    }
    outcomes.sort_by_key(|(index, _)| *index);
    let outcomes: Vec<Outcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.exit != Exit::Ok).collect();
    let output = AnimateOutput {
        simulated: ctx.simulated(),
        ok: failed.is_empty(),
        state_file: state.path().to_owned(),
        videos: outcomes.iter().map(|o| o.input.clone()).collect(),
        warnings,
    };
    let error = match failed.as_slice() {
        [] => {
            return if ctx.json() {
                ctx.print_json(&output)
            } else {
                Ok(())
            };
        }
        [one] if outcomes.len() == 1 => {
            let mut error = one
                .error
                .clone()
                .unwrap_or_else(|| CliError::new(one.exit, "failed"));
            error.message = format!("{}: {}", one.input.input, error.message);
            error
        }
        many => {
            let exit = many.iter().fold(Exit::Ok, |acc, o| acc.worst(o.exit));
            let hint = if exit == Exit::Permanent {
                "see the lines above"
            } else {
                "run the same command again to resume"
            };
            CliError::new(
                exit,
                format!("{} of {} videos failed", many.len(), outcomes.len()),
            )
            .hint(hint)
        }
    };
    Err(error.with_output(&output))
}

/// Registers `url` as a webhook endpoint unless one already has it.
async fn ensure_webhook(ctx: &Ctx, dm: &DeepMotion, url: &str) -> Result<(), CliError> {
    let endpoints = dm.client.webhooks().await?;
    if let Some(endpoint) = endpoints.iter().find(|e| e.url == url) {
        ctx.note(format!(
            "webhook endpoint {} already receives events for {url}",
            endpoint.id
        ));
        return Ok(());
    }
    let endpoint = dm.client.create_webhook(url, &[]).await?;
    ctx.note(format!(
        "registered webhook endpoint {} for {url} (events: {}); remove it with `motionkit webhooks delete {}`",
        endpoint.id,
        endpoint.events.join(","),
        endpoint.id
    ));
    Ok(())
}

/// What every video's task shares.
struct Run<'a> {
    ctx: &'a Ctx,
    dm: &'a DeepMotion,
    state: &'a StateFile,
    protect: &'a [PathBuf],
    on_existing: motionkit_transport::OnExisting,
    unzip: bool,
    retry_failed: bool,
    resubmit_unconfirmed: bool,
    batch: bool,
}

impl Run<'_> {
    /// Prints where a finished video's outputs went, or its error.
    fn report(&self, outcome: &Outcome) {
        if self.ctx.json() {
            return;
        }
        match &outcome.error {
            None => {
                note_renamed(self.ctx, &outcome.input.files);
                for file in &outcome.input.files {
                    self.ctx.out(format!(
                        "{}\t{}\t{}",
                        safe(&outcome.input.input),
                        safe(&file.kind),
                        safe(&file.path.display().to_string())
                    ));
                }
            }
            // A single video's error is the command's error line; in a
            // batch each failure gets its own line before the summary.
            Some(error) if self.batch => {
                let line = safe(&format!("{}: {error}", outcome.input.input)).into_owned();
                self.ctx
                    .bars
                    .suspend(|| crate::stdio::err(format_args!("motionkit: {line}")));
            }
            Some(_) => {}
        }
    }

    async fn video(&self, item: &Item) -> Outcome {
        let name = item
            .path
            .file_name()
            .map_or_else(|| item.label.clone(), |n| n.to_string_lossy().into_owned());
        let bar = self.ctx.bars.item(&name);
        let mut rid = None;
        let warnings = Warnings::new(self.ctx, &item.label);
        let result = self.steps(item, &bar, &mut rid, &warnings).await;
        let (status, files, error, exit) = match result {
            Ok(files) => ("done", files, None, Exit::Ok),
            Err(e) => ("failed", Vec::new(), Some(e.clone()), e.exit),
        };
        if self.batch {
            bar.clear();
        } else {
            bar.finish(status);
        }
        Outcome {
            input: AnimatedInput {
                input: item.label.clone(),
                rid,
                status: status.to_owned(),
                files,
                error_code: error.as_ref().and_then(|e| e.error_code),
                error_message: error.as_ref().map(|e| e.message.clone()),
                warnings: warnings.list(),
            },
            exit,
            error,
        }
    }

    /// The entry to work from: the recorded one when it still applies.
    fn entry(
        &self,
        item: &Item,
        stamp: SourceStamp,
        warnings: &Warnings,
    ) -> Result<VideoState, CliError> {
        let fresh = || VideoState::new(stamp, item.wire.clone(), item.out_dir.clone());
        let mut entry = match self.state.get(&item.key) {
            None => fresh(),
            Some(old) if old.source != stamp => {
                warnings.warn("the file changed since the last run; starting it over");
                fresh()
            }
            Some(mut old) => {
                if old.params != item.wire {
                    self.ctx.note(format!(
                        "{}: processing options changed since the last run; submitting a new job",
                        item.label
                    ));
                    old.reset_job();
                    old.params = item.wire.clone();
                }
                if old.job == Some(JobPhase::Failed) && self.retry_failed {
                    old.reset_job();
                }
                if old.out_dir != item.out_dir {
                    old.out_dir = item.out_dir.clone();
                    old.downloads.clear();
                    old.done = false;
                }
                old
            }
        };
        if entry.done && entry.downloads.values().any(|p| !p.is_file()) {
            entry.done = false;
        }
        self.state.put(&item.key, entry.clone())?;
        Ok(entry)
    }

    async fn steps(
        &self,
        item: &Item,
        bar: &ItemBar,
        rid_out: &mut Option<String>,
        warnings: &Warnings,
    ) -> Result<Vec<Saved>, CliError> {
        let stamp = SourceStamp::of(&item.path)?;
        let entry = self.entry(item, stamp, warnings)?;
        *rid_out = entry.rid.clone();
        if entry.done {
            return Ok(entry
                .downloads
                .iter()
                .map(|(kind, path)| Saved {
                    kind: kind.clone(),
                    path: path.clone(),
                    renamed_from: None,
                })
                .collect());
        }
        if entry.job == Some(JobPhase::Failed) {
            return Err(CliError::with_kind(
                Exit::Permanent,
                crate::exit::ErrorKind::JobFailed,
                format!(
                    "{} (recorded by an earlier run)",
                    entry.failure.as_deref().unwrap_or("the job failed")
                ),
            )
            .hint("add --retry-failed to submit it again"));
        }
        let client = &self.dm.client;
        let rid = match entry.rid.clone() {
            Some(rid) => rid,
            None => {
                let upload = match &entry.upload {
                    Some(upload) => Upload {
                        url: upload.url.clone(),
                        name: upload.name.clone(),
                        size: upload.size,
                        input: item.input,
                    },
                    None => {
                        let resumable = Resumable {
                            state: self.state,
                            key: &item.key,
                            saved: entry.upload_session.clone(),
                        };
                        let upload =
                            upload_resuming(client, &item.path, resumable, bar, warnings).await?;
                        self.state.update(&item.key, |v| {
                            v.upload_session = None;
                            v.upload = Some(UploadRecord {
                                url: upload.url.clone(),
                                name: upload.name.clone(),
                                size: upload.size,
                            });
                        })?;
                        upload
                    }
                };
                let rid = self.submit(item, &entry, &upload, bar).await?;
                *rid_out = Some(rid.clone());
                rid
            }
        };
        if entry.job != Some(JobPhase::Succeeded) {
            match wait_job(self.dm, &rid, bar).await {
                Ok(()) => self.state.update(&item.key, |v| {
                    v.job = Some(JobPhase::Succeeded);
                })?,
                Err(e) if e.exit == Exit::Permanent => {
                    self.state.update(&item.key, |v| {
                        v.job = Some(JobPhase::Failed);
                        v.failure = Some(e.message.clone());
                    })?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        let files = save_outputs(
            client,
            &rid,
            &item.out_dir,
            SavePolicy {
                done: &entry.downloads,
                protect: self.protect,
                on_existing: self.on_existing,
                unzip: self.unzip,
            },
            Some(bar),
            |saved| {
                self.state.update(&item.key, |v| {
                    v.downloads.insert(saved.kind.clone(), saved.path.clone());
                })
            },
        )
        .await
        .map_err(|e| e.context(format!("job {rid}")))?;
        self.state.update(&item.key, |v| v.done = true)?;
        Ok(files)
    }

    /// Submits the job at most once: a submission an earlier run started
    /// and did not see accepted is looked up in `/list` by the upload's
    /// unique name, and sent again only with `--resubmit-unconfirmed`.
    async fn submit(
        &self,
        item: &Item,
        entry: &VideoState,
        upload: &Upload,
        bar: &ItemBar,
    ) -> Result<String, CliError> {
        let client = &self.dm.client;
        bar.note("submit");
        if let Some(rid) = self.adopt(item, entry).await? {
            return Ok(rid);
        }
        let (state, key, label) = (self.state.clone(), item.key.clone(), item.label.clone());
        let bars = self.ctx.bars.clone();
        let sent = Process::new(upload)
            .params(item.params.clone())
            .force(item.force)
            .on_submitting(move |pending| {
                let recorded = state.update(&key, |v| {
                    v.submitting = Some(pending.clone());
                    v.submitting_since_ms = None;
                });
                if let Err(e) = recorded {
                    let line = safe(&format!(
                        "warning: {label}: cannot record the submission ({e}); if interrupted, \
                         check `motionkit list` for a job named {} before running again",
                        pending.upload_name.as_deref().unwrap_or("?")
                    ))
                    .into_owned();
                    bars.suspend(|| eprintln!("motionkit: {line}"));
                }
            })
            .send(client)
            .await;
        match sent {
            Ok(submitted) => {
                super::jobs::note_forced(self.ctx, &item.label, &submitted.warnings);
                self.record_rid(item, &submitted.rid)?;
                Ok(submitted.rid)
            }
            Err(e) => {
                if !e.may_have_acted() {
                    self.state.update(&item.key, |v| v.submitting = None)?;
                }
                Err(super::jobs::refused(e))
            }
        }
    }

    /// The job of a submission an earlier run started and did not see
    /// accepted, found by the upload's unique name; `None` when there was
    /// none, or when `--resubmit-unconfirmed` lets it be sent again.
    async fn adopt(&self, item: &Item, entry: &VideoState) -> Result<Option<String>, CliError> {
        let pending = match (&entry.submitting, entry.submitting_since_ms) {
            (Some(pending), _) => pending.clone(),
            (None, Some(since_ms)) => PendingSubmission {
                upload_name: None,
                rerun_of: None,
                since_ms,
            },
            (None, None) => return Ok(None),
        };
        let found = match &pending.upload_name {
            Some(_) => Process::adopt(&self.dm.client, &pending).await?,
            // Written by an older motionkit: the job cannot be told apart.
            None => Adoption::NotListed,
        };
        let candidates = match found {
            Adoption::Found(rid) => vec![rid],
            Adoption::Several(rids) => rids,
            _ => Vec::new(),
        };
        let mine: Vec<String> = candidates
            .into_iter()
            .filter(|rid| !entry.earlier_rids.contains(rid))
            .collect();
        if let [rid] = mine.as_slice() {
            self.ctx.note(format!(
                "{}: found job {rid} of the submission an earlier run started; not submitting again",
                item.label
            ));
            self.record_rid(item, rid)?;
            return Ok(Some(rid.clone()));
        }
        let name = pending.upload_name.as_deref().unwrap_or("its upload");
        if mine.len() > 1 {
            return Err(CliError::permanent(format!(
                "{pending}: several jobs have the name {name} ({}); none is adopted",
                mine.join(", ")
            ))
            .hint("see `motionkit status` for each; add --retry-failed to submit a new job"));
        }
        if self.resubmit_unconfirmed {
            self.ctx.note(format!(
                "warning: {}: /list shows no job of the earlier submission ({pending}); \
                 submitting again (--resubmit-unconfirmed)",
                item.label
            ));
            return Ok(None);
        }
        Err(CliError::temporary(format!(
            "{pending}: whether it created a job is unknown, and /list does not show a job named \
             {name} (yet); it is not sent again without --resubmit-unconfirmed"
        ))
        .hint(
            "run the same command again later to look for the job again; if `motionkit list` \
             never shows it, add --resubmit-unconfirmed to submit it anew",
        ))
    }

    fn record_rid(&self, item: &Item, rid: &str) -> Result<(), CliError> {
        self.state.update(&item.key, |v| {
            v.rid = Some(rid.to_owned());
            v.job = Some(JobPhase::Running);
            v.submitting = None;
            v.submitting_since_ms = None;
        })
    }
}
