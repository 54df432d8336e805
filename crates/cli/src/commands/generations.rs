//! `motionkit generations get|wait|download ID`: a MotionDynamic
//! generation known by its id, for example one submitted with
//! `generate --timeout 0` or interrupted with Ctrl-C.
//!
//! These commands can only *read* the generation: a webhook reaches the
//! process that registered it (`generate` listens on its own callback URL,
//! with a secret only it knows), never a later process. So `wait` reads the
//! generation back until it is done. When the server does not let the
//! token read generations (PostgREST `42501`, HTTP 401/403), there is
//! nothing to read: `get` and `download` say the generation is unavailable
//! to this token, and `wait` says at once that it cannot tell, rather than
//! waiting for a webhook that cannot come here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use motionkit_motiondynamic::{
    DownloadOptions, Error, Generation, GenerationStatus, OnExisting, ReadyVia, Video,
};
use motionkit_transport::redact_url;

use super::{Ctx, MotionDynamic};
use crate::args::GenerationsCommand;
use crate::exit::{CliError, io_error};
use crate::output::GenerationOutput;
use crate::term::safe;

/// Runs `motionkit generations ...`.
pub async fn run(ctx: &Ctx, command: GenerationsCommand) -> Result<(), CliError> {
    let md = ctx.motiondynamic().await?;
    match command {
        GenerationsCommand::Get { id } => {
            let generation = read(md, &id).await?;
            print(ctx, &view(ctx, &generation))
        }
        GenerationsCommand::Wait {
            id,
            timeout,
            out,
            clobber,
        } => {
            let mut options = md.client.wait_options().timeout(timeout);
            if md.local {
                options = options
                    .interval_with_webhook(Duration::from_millis(500))
                    .every(Duration::from_millis(500));
            }
            let video = md
                .client
                .wait_for_id_with(&id, &options)
                .await
                .map_err(|e| unavailable(e, &id))?;
            let mut output = GenerationOutput {
                simulated: ctx.simulated(),
                generation_id: video.generation_id.clone().unwrap_or(id.clone()),
                theme_id: None,
                status: Some("done".to_owned()),
                video: Some(redact_url(&video.url)),
                created_at: None,
                path: None,
                bytes: None,
            };
            if let Some(out) = out {
                save(ctx, md, &video, &out, clobber, &mut output).await?;
            }
            print(ctx, &output)
        }
        GenerationsCommand::Download { id, out, clobber } => {
            let generation = read(md, &id).await?;
            let mut output = view(ctx, &generation);
            let video = match (&generation.status, &generation.video) {
                (Some(GenerationStatus::Done), Some(Some(url))) => Video {
                    generation_id: Some(generation.generation_id.clone()),
                    url: url.clone(),
                    via: ReadyVia::ReadBack,
                },
                (Some(GenerationStatus::Discarded), _) => {
                    return Err(Error::Discarded {
                        generation_id: generation.generation_id.clone(),
                    }
                    .into());
                }
                _ => {
                    return Err(CliError::temporary(format!(
                        "generation {} is not rendered yet (status {})",
                        safe(&generation.generation_id),
                        output.status.as_deref().unwrap_or("unknown")
                    ))
                    .hint(format!(
                        "wait for it with `motionkit generations wait {} --out {}`",
                        generation.generation_id,
                        out.display()
                    )));
                }
            };
            save(ctx, md, &video, &out, clobber, &mut output).await?;
            print(ctx, &output)
        }
    }
}

/// One read of the generation; a refused read is "unavailable".
async fn read(md: &MotionDynamic, id: &str) -> Result<Generation, CliError> {
    md.client
        .generation(id)
        .await
        .map_err(|e| unavailable(e, id))
}

/// A read refused by the server's permissions, said plainly; other errors
/// as usual.
fn unavailable(error: Error, id: &str) -> CliError {
    if error.is_permission_denied() {
        return CliError::permanent(format!(
            "generation {}: unavailable: the server does not let this token read generations \
             ({error})",
            safe(id)
        ))
        .hint(
            "its video is announced only through the webhook given when it was created; \
             `motionkit generate` waits for it itself (without --timeout 0)",
        );
    }
    if let Error::CannotWait { .. } = error {
        return CliError::permanent(error.to_string()).hint(
            "this process cannot receive the webhook registered by the one that created the \
             generation; `motionkit generate` waits for it itself (without --timeout 0)",
        );
    }
    error.into()
}

fn view(ctx: &Ctx, generation: &Generation) -> GenerationOutput {
    GenerationOutput {
        simulated: ctx.simulated(),
        generation_id: generation.generation_id.clone(),
        theme_id: generation.theme_id.clone(),
        status: generation.status.as_ref().map(|s| s.as_str().to_owned()),
        video: generation
            .video
            .clone()
            .flatten()
            .map(|url| redact_url(&url)),
        created_at: generation.created_at.clone(),
        path: None,
        bytes: None,
    }
}

/// Downloads the MP4 into `out` as `<id>.mp4`: a part file until complete,
/// and an existing file is never replaced without `--clobber`.
async fn save(
    ctx: &Ctx,
    md: &MotionDynamic,
    video: &Video,
    out: &Path,
    clobber: bool,
    output: &mut GenerationOutput,
) -> Result<(), CliError> {
    tokio::fs::create_dir_all(out)
        .await
        .map_err(|e| io_error(format!("creating {}", out.display()), e))?;
    let bar = ctx.bars.item(&output.generation_id);
    let progress_bar = bar.clone();
    let options = DownloadOptions::default()
        .file_name(Some(format!("{}.mp4", output.generation_id)))
        .progress(Some(Arc::new(move |p| progress_bar.bytes("get mp4", p))))
        .on_existing(if clobber {
            OnExisting::Replace
        } else {
            OnExisting::Fail
        });
    let result = md.client.download_with(video, out, &options).await;
    if let Ok(report) = &result {
        bar.transferred("get mp4", report.bytes);
    }
    bar.finish(if result.is_ok() { "saved" } else { "failed" });
    let report = match result {
        Ok(report) => report,
        Err(Error::Transport(motionkit_transport::Error::Io { source, .. }))
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            return Err(CliError::conflict(format!(
                "{} already exists",
                out.join(format!("{}.mp4", output.generation_id)).display()
            ))
            .hint("add --clobber to replace it, or choose another --out"));
        }
        Err(e) => return Err(e.into()),
    };
    output.path = Some(report.path);
    output.bytes = Some(report.bytes);
    Ok(())
}

fn print(ctx: &Ctx, output: &GenerationOutput) -> Result<(), CliError> {
    if ctx.json() {
        return ctx.print_json(output);
    }
    let mut line = format!(
        "{}\t{}",
        safe(&output.generation_id),
        safe(output.status.as_deref().unwrap_or("-"))
    );
    if let Some(path) = &output.path {
        line.push_str(&format!("\t{}", safe(&path.display().to_string())));
    } else if let Some(video) = &output.video {
        line.push_str(&format!("\t{}", safe(video)));
    }
    ctx.out(line);
    Ok(())
}
