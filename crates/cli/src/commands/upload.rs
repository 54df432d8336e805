//! `animate`'s upload, resumable across runs: the storage's session is
//! recorded in the state file before the first byte is sent, so a run
//! after Ctrl-C or a crash asks the storage how much it has and sends only
//! the rest. When the file changed or the session expired, the upload
//! starts over with a warning (on stderr, and in `--json` output).

use std::path::Path;
use std::sync::{Arc, Mutex};

use motionkit_deepmotion::{Client, ResumeState, Upload, UploadEvent, UploadVideo};
use motionkit_transport::UploadOptions;

use super::Ctx;
use crate::exit::CliError;
use crate::progress::{Bars, ItemBar};
use crate::state::StateFile;
use crate::term::safe;

/// One input's warnings: printed on stderr as they happen (unless
/// `--quiet`) and kept for the `--json` output.
#[derive(Debug, Clone)]
pub struct Warnings {
    bars: Bars,
    quiet: bool,
    label: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Warnings {
    /// Warnings about the input `label`.
    pub fn new(ctx: &Ctx, label: &str) -> Self {
        Warnings {
            bars: ctx.bars.clone(),
            quiet: ctx.global.quiet,
            label: label.to_owned(),
            seen: Arc::default(),
        }
    }

    /// Reports a warning.
    pub fn warn(&self, text: impl Into<String>) {
        let text = text.into();
        self.print(&format!("warning: {}: {text}", self.label));
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }

    /// Reports something that is not a warning (stderr only).
    pub fn note(&self, text: &str) {
        self.print(&format!("{}: {text}", self.label));
    }

    fn print(&self, line: &str) {
        if !self.quiet {
            let line = safe(line).into_owned();
            self.bars
                .suspend(|| crate::stdio::err(format_args!("motionkit: {line}")));
        }
    }

    /// Every warning so far, oldest first.
    pub fn list(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What to resume and where to record it.
pub struct Resumable<'a> {
    /// The batch's state file.
    pub state: &'a StateFile,
    /// The video's key in it.
    pub key: &'a str,
    /// The session an earlier run recorded, if any.
    pub saved: Option<ResumeState>,
}

/// Uploads `path`, going on with `resumable.saved` when it still applies,
/// and records every new session in the state file.
pub async fn upload_resuming(
    client: &Client,
    path: &Path,
    resumable: Resumable<'_>,
    bar: &ItemBar,
    warnings: &Warnings,
) -> Result<Upload, CliError> {
    let progress_bar = bar.clone();
    let options =
        UploadOptions::default().progress(Some(Arc::new(move |p| progress_bar.bytes("upload", p))));
    let (state, key, warnings) = (
        resumable.state.clone(),
        resumable.key.to_owned(),
        warnings.clone(),
    );
    let upload = UploadVideo::new(path)
        .options(options)
        .resume(resumable.saved)
        .on_event(move |event| match event {
            UploadEvent::Session(session) => {
                let recorded = state.update(&key, |v| v.upload_session = Some(session));
                if let Err(e) = recorded {
                    warnings.warn(format!(
                        "cannot record the upload session ({e}); if interrupted, \
                         the upload will start over"
                    ));
                }
            }
            UploadEvent::Resumed { committed, total } => warnings.note(&format!(
                "resuming the upload at {} of {total} bytes ({:.0}%)",
                committed,
                percent(committed, total)
            )),
            UploadEvent::StartedOver(why) => {
                warnings.warn(format!("{why}; uploading it from the start"));
            }
            _ => {}
        })
        .send(client)
        .await?;
    Ok(upload)
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}
