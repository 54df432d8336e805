//! The whole job in one call: upload, process, wait, download.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use motionkit_transport::{DownloadOptions, OnExisting, Progress, UploadOptions};
use motionkit_validation::ProcessParams;

use crate::client::{Client, Upload};
use crate::error::Error;
use crate::process::Process;
use crate::resume::{ResumeState, UploadEvent, UploadVideo};
use crate::submission::{Adoption, PendingSubmission};
use motionkit_transport::WaitOptions;

use crate::tracker::JobEvent;

/// Progress of an [`Animate`] run, for a UI to draw.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnimateEvent {
    /// Bytes of the video uploaded so far.
    Upload(Progress),
    /// The upload started a session (save its [`ResumeState`] to resume
    /// after an interruption), resumed one, or started over.
    UploadSession(UploadEvent),
    /// `POST /process` is about to be sent for the upload `upload_name`.
    /// Save it (as a [`PendingSubmission`], with the upload's
    /// [`ResumeState`]): a run interrupted from here on gives it back with
    /// [`Animate::submission`], and the job is looked up instead of being
    /// submitted again.
    Submitting {
        /// When the request was about to go out.
        since: SystemTime,
        /// The unique name the video was uploaded under, its job's
        /// `fileName` in `/list`.
        upload_name: String,
    },
    /// The job was accepted.
    Submitted {
        /// Its request id.
        rid: String,
    },
    /// The job moved.
    Job(JobEvent),
    /// Bytes of one output file written so far.
    Download {
        /// The file's type as the server names it (bvh, fbx, mp4, ...).
        kind: String,
        /// Bytes written.
        progress: Progress,
    },
    /// One output file is complete.
    Saved {
        /// Where it is.
        path: PathBuf,
        /// The path it would have had, when a file was already there and
        /// it was saved under a `-2`, `-3`, ... name instead.
        renamed_from: Option<PathBuf>,
    },
}

/// A callback receiving [`AnimateEvent`]s. It is called from the transfer
/// tasks, so it must be cheap.
pub type EventFn = Arc<dyn Fn(AnimateEvent) + Send + Sync>;

/// How outputs are saved: what to do when a name is taken, and whether a
/// ZIP archive (the `all_characters` group of a multi-person job) is
/// extracted into a folder rather than saved with `.zip` appended.
/// `OnExisting` converts into it (no extraction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaveOutputs {
    /// What to do when a name is taken.
    pub on_existing: OnExisting,
    /// Extract ZIP archives (cargo feature `unzip`, on by default).
    pub unzip: bool,
}

impl From<OnExisting> for SaveOutputs {
    fn from(on_existing: OnExisting) -> Self {
        SaveOutputs {
            on_existing,
            unzip: false,
        }
    }
}

impl SaveOutputs {
    /// Sets [`SaveOutputs::on_existing`].
    pub fn on_existing(mut self, on_existing: OnExisting) -> Self {
        self.on_existing = on_existing;
        self
    }

    /// Sets [`SaveOutputs::unzip`].
    pub fn unzip(mut self, unzip: bool) -> Self {
        self.unzip = unzip;
        self
    }

    pub(crate) fn options(self, file_name: Option<String>) -> DownloadOptions {
        DownloadOptions::default()
            .on_existing(self.on_existing)
            .unzip(self.unzip)
            .file_name(file_name)
    }
}

/// A finished animation.
#[derive(Debug, Clone, PartialEq)]
pub struct Animation {
    /// The job's request id.
    pub rid: String,
    /// The output files, in server order.
    pub files: Vec<PathBuf>,
}

/// Upload a video, process it, wait for the job and download every output
/// into a folder.
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::Animate;
/// use motionkit_validation::{OutputFormat, ProcessParams};
///
/// let animation = Animate::new("walk.mp4", "out/")
///     .params(ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx]))
///     .on_event(|event| eprintln!("{event:?}"))
///     .send(client)
///     .await?;
/// println!("{} -> {:?}", animation.rid, animation.files);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Animate {
    video: PathBuf,
    out_dir: PathBuf,
    params: ProcessParams,
    wait: Option<WaitOptions>,
    upload: UploadOptions,
    events: Option<EventFn>,
    save: SaveOutputs,
    resume: Option<ResumeState>,
    submission: Option<PendingSubmission>,
    force: bool,
}

impl std::fmt::Debug for Animate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Animate")
            .field("video", &self.video)
            .field("out_dir", &self.out_dir)
            .field("params", &self.params)
            .field("wait", &self.wait)
            .field("resume", &self.resume)
            .field("submission", &self.submission)
            .finish_non_exhaustive()
    }
}

impl Animate {
    /// Animate `video`, saving outputs under `out_dir`.
    pub fn new(video: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        Animate {
            video: video.into(),
            out_dir: out_dir.into(),
            params: ProcessParams::default(),
            wait: None,
            upload: UploadOptions::default(),
            events: None,
            save: SaveOutputs::default(),
            resume: None,
            submission: None,
            force: false,
        }
    }

    /// Sends what the documents say fails anyway (see [`Process::force`]).
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Processing parameters.
    pub fn params(mut self, params: ProcessParams) -> Self {
        self.params = params;
        self
    }

    /// How to wait for the job (default: the client's,
    /// [`ClientBuilder::wait`](crate::ClientBuilder::wait)).
    pub fn wait_options(mut self, wait: WaitOptions) -> Self {
        self.wait = Some(wait);
        self
    }

    /// Upload chunk size and content type.
    pub fn upload_options(mut self, upload: UploadOptions) -> Self {
        self.upload = upload;
        self
    }

    /// What to do when an output's name is taken in the folder (default:
    /// keep both; the new file gets a `-2`, `-3`, ... suffix).
    pub fn on_existing(mut self, on_existing: OnExisting) -> Self {
        self.save = self.save.on_existing(on_existing);
        self
    }

    /// Extracts an output that arrives as a ZIP archive into a folder
    /// (sanitised names, nothing replaced, zip bombs and `../` entries
    /// refused) instead of saving it with `.zip` appended.
    pub fn unzip(mut self, unzip: bool) -> Self {
        self.save = self.save.unzip(unzip);
        self
    }

    /// Goes on with an upload an earlier run started, from the state an
    /// [`AnimateEvent::UploadSession`] gave it (see [`UploadVideo`](crate::UploadVideo)).
    pub fn resume(mut self, state: impl Into<Option<ResumeState>>) -> Self {
        self.resume = state.into();
        self
    }

    /// The submission an earlier run announced with
    /// [`AnimateEvent::Submitting`] and did not see accepted: its job is
    /// looked up in `/list` by the upload's unique name
    /// ([`Process::adopt`]) and followed; it is never submitted again.
    /// When `/list` does not show it, [`Animate::send`] ends with
    /// [`Error::SubmissionUnknown`]; drop the saved submission to submit
    /// anew (a second job, charged again, if the first one exists).
    pub fn submission(mut self, pending: impl Into<Option<PendingSubmission>>) -> Self {
        self.submission = pending.into();
        self
    }

    /// Receives progress events.
    pub fn on_event(mut self, events: impl Fn(AnimateEvent) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(events));
        self
    }

    /// Runs the whole job. Parameters are checked before the upload starts.
    ///
    /// **Dropping the future** (a timeout, a `select!`, an aborted task)
    /// stops the run at its next await: no task keeps running, no lock is
    /// held, and no part file stays behind (downloads remove theirs). What
    /// it may leave, and how a later run goes on without a second charge:
    ///
    /// - during the upload, the storage's session: give the last
    ///   [`AnimateEvent::UploadSession`] state to [`Animate::resume`];
    /// - from [`AnimateEvent::Submitting`] until
    ///   [`AnimateEvent::Submitted`], a `POST /process` that may have
    ///   created a job: give its name and time, as a [`PendingSubmission`],
    ///   to [`Animate::submission`] (with the upload's state), and the job
    ///   is looked up in `/list` instead of being submitted again;
    /// - after [`AnimateEvent::Submitted`], a job: follow it by its rid
    ///   ([`Client::wait`], [`download_outputs`]).
    pub async fn send(&self, client: &Client) -> Result<Animation, Error> {
        let rid = self.run_job(client).await?;
        let events = self.events.clone();
        let files = download_outputs(client, &rid, &self.out_dir, self.save, events).await?;
        Ok(Animation { rid, files })
    }

    /// Upload, process and wait: the rid of the successful job.
    pub(crate) async fn run_job(&self, client: &Client) -> Result<String, Error> {
        let kind = crate::client::check_local_media(&self.video).await?;
        let probe = Upload {
            url: String::new(),
            name: self
                .video
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned(),
            size: 0,
            input: kind.into(),
        };
        Process::new(&probe)
            .params(self.params.clone())
            .force(self.force)
            .to_request()?;

        let mut upload_options = self.upload.clone();
        if let Some(events) = self.events.clone() {
            upload_options.progress = Some(Arc::new(move |p| events(AnimateEvent::Upload(p))));
        }
        let upload_events = self.events.clone().map(|events| {
            Arc::new(move |event| events(AnimateEvent::UploadSession(event)))
                as crate::resume::UploadEventFn
        });
        let upload = UploadVideo::new(&self.video)
            .options(upload_options)
            .resume(self.resume.clone())
            .on_event_fn(upload_events)
            .send(client)
            .await?;
        let rid = match &self.submission {
            Some(pending) => adopt(client, pending).await?,
            None => {
                Process::new(&upload)
                    .params(self.params.clone())
                    .force(self.force)
                    .on_submitting(announce(self.events.clone()))
                    .send(client)
                    .await?
                    .rid
            }
        };
        follow(client, &rid, self.wait.as_ref(), self.events.as_ref()).await?;
        Ok(rid)
    }
}

/// The [`Process::on_submitting`] callback that reports
/// [`AnimateEvent::Submitting`].
pub(crate) fn announce(
    events: Option<EventFn>,
) -> impl Fn(&PendingSubmission) + Send + Sync + 'static {
    move |pending| {
        if let (Some(events), Some(name)) = (&events, &pending.upload_name) {
            events(AnimateEvent::Submitting {
                since: pending.since(),
                upload_name: name.clone(),
            });
        }
    }
}

/// Reports [`AnimateEvent::Submitted`], then waits for the job `rid`,
/// reporting its moves; a failed job is [`Error::JobFailed`].
/// `wait`: `None` for the client's own ([`Client::wait_options`]).
pub(crate) async fn follow(
    client: &Client,
    rid: &str,
    wait: Option<&WaitOptions>,
    events: Option<&EventFn>,
) -> Result<(), Error> {
    let wait = wait.unwrap_or(client.wait_options());
    let emit = |event| {
        if let Some(events) = events {
            events(event);
        }
    };
    emit(AnimateEvent::Submitted {
        rid: rid.to_owned(),
    });
    let rids = [rid.to_owned()];
    let outcomes = client
        .wait_with(&rids, wait, |event| emit(AnimateEvent::Job(event)))
        .await?;
    if let Some(Err(failure)) = outcomes.into_iter().next().map(|o| o.result) {
        return Err(Error::JobFailed(failure));
    }
    Ok(())
}

/// The job of a submission an earlier run started: found in `/list`, or
/// [`Error::SubmissionUnknown`].
pub(crate) async fn adopt(client: &Client, pending: &PendingSubmission) -> Result<String, Error> {
    match Process::adopt(client, pending).await? {
        Adoption::Found(rid) => Ok(rid),
        other => {
            tracing::warn!(found = ?other, "the earlier submission's job is not in /list");
            let message = match other {
                Adoption::Several(rids) => format!(
                    "several jobs have the upload's name ({}); none is adopted",
                    rids.join(", ")
                ),
                _ => "/list shows no job of the upload (yet)".to_owned(),
            };
            Err(Error::SubmissionUnknown {
                pending: pending.clone(),
                cause: Box::new(motionkit_transport::Error::Protocol {
                    request: "GET /list".to_owned(),
                    message,
                    sent: motionkit_transport::Sent::Sent,
                }),
            })
        }
    }
}

/// Downloads every output of the finished job `rid` into `out_dir`. A name
/// the server chose never replaces an existing file unless `save` says
/// [`OnExisting::Replace`]: by default a clash is saved as `name-2.ext`
/// and reported in [`AnimateEvent::Saved`]. Every file is judged by its
/// first bytes: a ZIP archive gets `.zip` appended (or is extracted with
/// [`SaveOutputs::unzip`]), and HTML or JSON under a `.fbx`, `.bvh`, ...
/// name is an error.
///
/// An output the server named after the input's unique upload name is
/// saved under the input's own stem (`walk.bvh`, see
/// [`output_file_name`](crate::output_file_name)).
///
/// Dropping the future removes the part file of the output being written
/// (as its aborted transfer task stops, moments after the drop);
/// the files already saved stay, and downloading again costs nothing.
pub async fn download_outputs(
    client: &Client,
    rid: &str,
    out_dir: &Path,
    save: impl Into<SaveOutputs>,
    events: Option<EventFn>,
) -> Result<Vec<PathBuf>, Error> {
    let save = save.into();
    tokio::fs::create_dir_all(out_dir)
        .await
        .map_err(|source| Error::Io {
            context: format!("creating {}", out_dir.display()),
            source,
        })?;
    let outputs = client.job_outputs(rid).await?;
    let mut saved = Vec::with_capacity(outputs.files.len());
    for (kind, url) in &outputs.files {
        let (kind, url) = (kind.clone(), url.as_str());
        let mut options = save.options(outputs.file_name(url));
        if let Some(events) = events.clone() {
            let kind = kind.clone();
            options.progress = Some(Arc::new(move |progress| {
                events(AnimateEvent::Download {
                    kind: kind.clone(),
                    progress,
                })
            }));
        }
        let report = client.transport().download(url, out_dir, &options).await?;
        if let Some(events) = &events {
            events(AnimateEvent::Saved {
                path: report.path.clone(),
                renamed_from: report.renamed_from.clone(),
            });
        }
        saved.push(report.path);
    }
    Ok(saved)
}
