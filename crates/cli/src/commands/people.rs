//! `motionkit people detect` and `motionkit people animate`: multi-person
//! animation in the two steps of DeepMotion's official SDK (see the
//! library's `DetectPeople` and `AnimatePeople`).
//!
//! `people animate` resumes like `animate`: the state file of `--out`
//! (`.motionkit-state.json`) records the submission before `POST /process`
//! and the job's rid once accepted, under a key naming the detection and
//! the chosen people; a later run with the same arguments waits for that
//! job (or finds it in `/list`) instead of submitting again.

use std::path::{Path, PathBuf};

use motionkit_deepmotion::{AnimateEvent, AnimatePeople, DetectPeople, Error};
use motionkit_transport::OnExisting;

use super::Ctx;
use crate::args::{PeopleAnimateArgs, PeopleCommand, PeopleDetectArgs};
use crate::exit::CliError;
use crate::output::{
    AnimatedPerson, DetectedPersonView, PeopleAnimateOutput, PeopleDetectOutput, PreviewFile,
};
use crate::progress::ItemBar;
use crate::state::{SourceStamp, StateFile, VideoState};
use crate::term::safe;

/// Runs a `people` subcommand.
pub async fn run(ctx: &Ctx, command: PeopleCommand) -> Result<(), CliError> {
    match command {
        PeopleCommand::Detect(args) => detect(ctx, args).await,
        PeopleCommand::Animate(args) => animate(ctx, *args).await,
    }
}

/// Draws a run's events on its bar.
fn draw(bar: &ItemBar, event: &AnimateEvent) {
    match event {
        AnimateEvent::Upload(p) => bar.bytes("upload", *p),
        AnimateEvent::Download { kind, progress } => bar.bytes(&format!("get {kind}"), *progress),
        AnimateEvent::Job(motionkit_deepmotion::JobEvent::Progress { step, total, .. }) => {
            bar.job("PROGRESS", "", *step, *total)
        }
        _ => {}
    }
}

async fn detect(ctx: &Ctx, args: PeopleDetectArgs) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let bar = ctx.bars.item(&args.video.display().to_string());
    let events = bar.clone();
    let mut job = DetectPeople::new(&args.video)
        .wait_options(dm.wait)
        .on_existing(if args.clobber {
            OnExisting::Replace
        } else {
            OnExisting::KeepBoth
        })
        .on_event(move |event| draw(&events, &event));
    if let Some(out) = &args.out {
        job = job.previews(out);
    }
    let result = job.send(&dm.client).await;
    bar.finish(if result.is_ok() { "detected" } else { "failed" });
    let detection = result?;
    let people: Vec<DetectedPersonView> = detection
        .people
        .iter()
        .map(|person| {
            let previews = person
                .previews
                .iter()
                .enumerate()
                .map(|(i, (kind, _url))| PreviewFile {
                    kind: kind.clone(),
                    path: person.saved.get(i).cloned(),
                })
                .collect();
            DetectedPersonView {
                tracking_id: person.tracking_id.clone(),
                previews,
            }
        })
        .collect();
    if ctx.json() {
        return ctx.print_json(&PeopleDetectOutput {
            simulated: ctx.simulated(),
            rid: detection.rid,
            people,
        });
    }
    ctx.out(format!("detection\t{}", safe(&detection.rid)));
    for person in &people {
        let files: Vec<String> = person
            .previews
            .iter()
            .map(|p| match &p.path {
                Some(path) => safe(&path.display().to_string()).into_owned(),
                None => safe(&p.kind).into_owned(),
            })
            .collect();
        ctx.out(format!(
            "{}\t{}",
            safe(&person.tracking_id),
            files.join("\t")
        ));
    }
    Ok(())
}

/// `--person 001=MODEL_ID`, read.
fn person(raw: &str) -> Result<(String, String), CliError> {
    match raw.split_once('=') {
        Some((id, model)) if !id.trim().is_empty() && !model.trim().is_empty() => {
            Ok((id.trim().to_owned(), model.trim().to_owned()))
        }
        _ => Err(CliError::usage(format!(
            "--person {raw:?}: expected TRACKING_ID=MODEL_ID, for example 001=dm-stock-male-01"
        ))
        .hint("the tracking ids are those `motionkit people detect` prints")),
    }
}

/// The state file entry of one animation: the detection and the people.
fn state_key(detection: &str, people: &[(String, String)]) -> String {
    let chosen: Vec<String> = people.iter().map(|(id, m)| format!("{id}={m}")).collect();
    format!("people:{detection}:{}", chosen.join(","))
}

async fn animate(ctx: &Ctx, args: PeopleAnimateArgs) -> Result<(), CliError> {
    let people = args
        .people
        .iter()
        .map(|raw| person(raw))
        .collect::<Result<Vec<_>, _>>()?;
    let params = args
        .process
        .to_params(motionkit_validation::InputKind::Video)?;
    let dm = ctx.deepmotion().await?;
    let state = StateFile::open(&args.out)?;
    let key = state_key(&args.detection, &people);
    let entry = state.get(&key).unwrap_or_else(|| {
        let stamp = SourceStamp {
            size: 0,
            mtime_ms: 0,
        };
        VideoState::new(stamp, params.to_params(), args.out.clone())
    });
    state.put(&key, entry.clone())?;
    let bar = ctx.bars.item(&args.detection);
    let (events, recorder, record_key) = (bar.clone(), state.clone(), key.clone());
    let mut job = AnimatePeople::new(&args.detection, &args.out)
        .params(params)
        .wait_options(dm.wait)
        .unzip(args.unzip)
        .force(args.process.force)
        .on_existing(if args.clobber {
            OnExisting::Replace
        } else {
            OnExisting::KeepBoth
        })
        .rid(entry.rid.clone())
        .submission(entry.submitting.clone())
        .on_event(move |event| {
            let recorded = match &event {
                AnimateEvent::Submitting { since, upload_name } => {
                    let since_ms = since
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
                    let pending = motionkit_deepmotion::PendingSubmission {
                        upload_name: Some(upload_name.clone()),
                        rerun_of: None,
                        since_ms,
                    };
                    recorder.update(&record_key, |v| v.submitting = Some(pending))
                }
                AnimateEvent::Submitted { rid } => recorder.update(&record_key, |v| {
                    v.rid = Some(rid.clone());
                    v.submitting = None;
                }),
                _ => Ok(()),
            };
            if let Err(e) = recorded {
                tracing::warn!(error = %e.message, "cannot record the submission in the state file");
            }
            draw(&events, &event);
        });
    for (id, model) in &people {
        job = job.person(id, model);
    }
    let result = job.send(&dm.client).await;
    bar.finish(if result.is_ok() { "saved" } else { "failed" });
    let done = match result {
        Ok(done) => done,
        Err(Error::Validation(found)) => return Err(found.into()),
        Err(e) => return Err(e.into()),
    };
    state.update(&key, |v| v.done = true)?;
    let people: Vec<AnimatedPerson> = done
        .people
        .iter()
        .map(|(id, files)| AnimatedPerson {
            tracking_id: id.clone(),
            model_id: people
                .iter()
                .find(|(chosen, _)| chosen == id)
                .map(|(_, m)| m.clone())
                .unwrap_or_default(),
            files: files.clone(),
        })
        .collect();
    if ctx.json() {
        return ctx.print_json(&PeopleAnimateOutput {
            simulated: ctx.simulated(),
            rid: done.rid,
            detection: args.detection,
            people,
            all_characters: done.all_characters,
        });
    }
    ctx.out(format!("animation\t{}", safe(&done.rid)));
    let show = |p: &Path| safe(&p.display().to_string()).into_owned();
    for person in &people {
        let files: Vec<String> = person.files.iter().map(|p| show(p)).collect();
        ctx.out(format!(
            "{}\t{}",
            safe(&person.tracking_id),
            files.join("\t")
        ));
    }
    let archives: Vec<String> = done
        .all_characters
        .iter()
        .map(|p: &PathBuf| show(p))
        .collect();
    ctx.out(format!("all_characters\t{}", archives.join("\t")));
    Ok(())
}
