//! Uploads that resume across runs.
//!
//! `GET /upload` hands out a resumable signed URL by default, and the
//! storage behind it keeps an upload session for days. [`UploadVideo`]
//! reports every session it starts as a [`ResumeState`] (through
//! [`UploadEvent::Session`]); save it, and give it back with
//! [`UploadVideo::resume`] after Ctrl-C or a crash: the upload asks the
//! storage how much it has committed and sends only the rest.
//!
//! The saved state is used only for the same file: same path, size and
//! modification time. Otherwise, or when the storage no longer knows the
//! session (`404`/`410`, for example once it expired), the upload starts
//! over and says why with [`UploadEvent::StartedOver`].
//!
//! ```no_run
//! # async fn demo(client: &motionkit_deepmotion::Client) -> Result<(), motionkit_deepmotion::Error> {
//! use motionkit_deepmotion::{ResumeState, UploadEvent, UploadVideo};
//!
//! let saved: Option<ResumeState> = std::fs::read("upload.json")
//!     .ok()
//!     .and_then(|bytes| serde_json::from_slice(&bytes).ok());
//! let upload = UploadVideo::new("big.mp4")
//!     .resume(saved)
//!     .on_event(|event| match event {
//!         // Holds the signed URLs: keep the file private.
//!         UploadEvent::Session(state) => {
//!             let _ = std::fs::write("upload.json", serde_json::to_vec(&state).unwrap());
//!         }
//!         UploadEvent::StartedOver(why) => eprintln!("warning: {why}; uploading from the start"),
//!         other => eprintln!("{other:?}"),
//!     })
//!     .send(client)
//!     .await?;
//! # let _ = upload; Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use motionkit_transport::{SessionStatus, SessionUri, UploadOptions, redact_url};
use motionkit_validation::InputKind;
use serde::{Deserialize, Serialize};

use crate::client::{Client, Upload, prepare_upload};
use crate::error::Error;

/// Which file an upload session belongs to: its absolute path, size and
/// modification time. A saved session is used only while all three match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    /// Absolute path, symbolic links resolved.
    pub path: PathBuf,
    /// Bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when the
    /// platform does not tell).
    pub modified_ns: u64,
}

impl FileIdentity {
    /// The identity of the file at `path` now.
    pub async fn of(path: &Path) -> Result<FileIdentity, Error> {
        let io = |source| Error::Io {
            context: format!("reading {}", path.display()),
            source,
        };
        let absolute = tokio::fs::canonicalize(path).await.map_err(io)?;
        let metadata = tokio::fs::metadata(&absolute).await.map_err(io)?;
        let modified_ns = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Ok(FileIdentity {
            path: absolute,
            size: metadata.len(),
            modified_ns,
        })
    }
}

/// What it takes to resume an upload in another run: the file, the signed
/// URL `/upload` gave for it (which `/process` needs), and the storage's
/// session URI.
///
/// Serialises with both URLs in full, so it can be saved; they let anyone
/// write the object, so keep the file private (the CLI's state file is
/// mode 0600). `Debug` shows neither the signed query nor the session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeState {
    /// The name the upload was requested with: the file's name with a
    /// random part of its own (`walk-k3x9q2m7a1.mp4`), which the job's
    /// `fileName` in `/list` will be.
    pub name: String,
    /// The signed URL `/upload` returned, as `/process` expects it.
    pub upload_url: String,
    /// The resumable session at that URL.
    pub session: SessionUri,
    /// The file being uploaded.
    pub file: FileIdentity,
}

impl fmt::Debug for ResumeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumeState")
            .field("name", &self.name)
            .field("upload_url", &redact_url(&self.upload_url))
            .field("session", &self.session)
            .field("file", &self.file)
            .finish()
    }
}

/// Why a saved [`ResumeState`] was not used and the upload started from
/// the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartOver {
    /// The file's path, size or modification time differ from the saved
    /// ones (or the name it is uploaded under does).
    FileChanged,
    /// The storage refused the session: `404`/`410` when it expired, was
    /// cancelled or never existed; another 4xx when it will not take it.
    SessionGone {
        /// The storage's answer.
        status: u16,
    },
    /// The saved session URI is not an http(s) URL (a damaged state).
    SessionUnusable,
}

impl fmt::Display for StartOver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartOver::FileChanged => f.write_str("the file changed since its upload started"),
            StartOver::SessionGone { status: 410 } => {
                f.write_str("the storage's upload session expired or was cancelled (HTTP 410)")
            }
            StartOver::SessionGone { status: 404 } => {
                f.write_str("the storage no longer knows the upload session (HTTP 404)")
            }
            StartOver::SessionGone { status } => {
                write!(f, "the storage refused the upload session (HTTP {status})")
            }
            StartOver::SessionUnusable => {
                f.write_str("the saved upload session is not a usable URL")
            }
        }
    }
}

/// What an [`UploadVideo`] tells as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadEvent {
    /// A session started, before its first byte is sent: save this to
    /// resume after an interruption.
    Session(ResumeState),
    /// The saved session goes on: the storage already has `committed` of
    /// the `total` bytes.
    Resumed {
        /// Bytes already stored.
        committed: u64,
        /// The file's size.
        total: u64,
    },
    /// The saved state was not used; the upload starts from the first byte.
    StartedOver(StartOver),
}

/// A callback receiving [`UploadEvent`]s, called from the upload task.
pub type UploadEventFn = Arc<dyn Fn(UploadEvent) + Send + Sync>;

/// Uploads a video or picture through a resumable signed URL, able to go
/// on from a session saved by an earlier run.
#[derive(Clone)]
pub struct UploadVideo {
    path: PathBuf,
    options: UploadOptions,
    resume: Option<ResumeState>,
    events: Option<UploadEventFn>,
}

impl fmt::Debug for UploadVideo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadVideo")
            .field("path", &self.path)
            .field("options", &self.options)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl UploadVideo {
    /// Uploads the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        UploadVideo {
            path: path.into(),
            options: UploadOptions::default(),
            resume: None,
            events: None,
        }
    }

    /// Chunk size, content type and progress callback. Its `resume` and
    /// `on_session` are set by [`UploadVideo::resume`] and the events.
    pub fn options(mut self, options: UploadOptions) -> Self {
        self.options = options;
        self
    }

    /// Goes on with a session an earlier run saved (`None`: start afresh).
    pub fn resume(mut self, state: impl Into<Option<ResumeState>>) -> Self {
        self.resume = state.into();
        self
    }

    /// Receives [`UploadEvent`]s.
    pub fn on_event(mut self, events: impl Fn(UploadEvent) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(events));
        self
    }

    pub(crate) fn on_event_fn(mut self, events: Option<UploadEventFn>) -> Self {
        self.events = events;
        self
    }

    fn emit(&self, event: UploadEvent) {
        if let Some(events) = &self.events {
            events(event);
        }
    }

    /// Checks the file, then uploads it: the rest of the saved session when
    /// there is one that still applies, else all of it in a new one.
    ///
    /// Dropping the future stops the upload at its next await and leaves
    /// only the storage's session: nothing is charged before `/process`,
    /// and the last [`UploadEvent::Session`] state resumes it.
    pub async fn send(&self, client: &Client) -> Result<Upload, Error> {
        let (name, input) = prepare_upload(&self.path).await?;
        let file = FileIdentity::of(&self.path).await?;
        if let Some(saved) = &self.resume {
            if saved.file != file || crate::submission::original_name(&saved.name) != name {
                self.emit(UploadEvent::StartedOver(StartOver::FileChanged));
            } else if let Some(upload) = self.go_on(client, saved, input).await? {
                return Ok(upload);
            }
        }
        let name = crate::submission::unique_upload_name(&name);
        let url = client.upload_url(&name, true).await?;
        let target = Target {
            url: &url,
            name: &name,
            file: &file,
            input,
        };
        self.upload_to(client, target, None).await
    }

    /// Resumes `saved`; `None` when the storage refused its session and
    /// the upload must start over.
    async fn go_on(
        &self,
        client: &Client,
        saved: &ResumeState,
        input: InputKind,
    ) -> Result<Option<Upload>, Error> {
        let total = saved.file.size;
        let usable = url::Url::parse(saved.session.expose())
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !usable {
            self.emit(UploadEvent::StartedOver(StartOver::SessionUnusable));
            return Ok(None);
        }
        let status = match client
            .transport()
            .upload_status(&saved.session, total)
            .await
        {
            Ok(status) => status,
            Err(motionkit_transport::Error::Http { status, .. })
                if (400..500).contains(&status)
                    && !motionkit_transport::is_transient_status(status) =>
            {
                SessionStatus::Gone { status }
            }
            Err(e) => return Err(e.into()),
        };
        let committed = match status {
            SessionStatus::Complete => total,
            SessionStatus::Incomplete { committed } => committed,
            SessionStatus::Gone { status } => {
                tracing::info!(status, session = %saved.session, "saved upload session refused");
                self.emit(UploadEvent::StartedOver(StartOver::SessionGone { status }));
                return Ok(None);
            }
            _ => return Ok(None),
        };
        self.emit(UploadEvent::Resumed { committed, total });
        if status == SessionStatus::Complete {
            if let Some(progress) = &self.options.progress {
                progress(motionkit_transport::Progress {
                    bytes: total,
                    total: Some(total),
                });
            }
            return Ok(Some(Upload {
                url: saved.upload_url.clone(),
                name: saved.name.clone(),
                size: total,
                input,
            }));
        }
        let target = Target {
            url: &saved.upload_url,
            name: &saved.name,
            file: &saved.file,
            input,
        };
        let upload = self
            .upload_to(client, target, Some(saved.session.clone()))
            .await?;
        Ok(Some(upload))
    }

    async fn upload_to(
        &self,
        client: &Client,
        target: Target<'_>,
        resume: Option<SessionUri>,
    ) -> Result<Upload, Error> {
        let Target {
            url,
            name,
            file,
            input,
        } = target;
        let mut options = self.options.clone();
        options.resume = resume;
        options.on_session = self.events.clone().map(|events| {
            let (url, name, file) = (url.to_owned(), name.to_owned(), file.clone());
            Arc::new(move |session: &SessionUri| {
                events(UploadEvent::Session(ResumeState {
                    name: name.clone(),
                    upload_url: url.clone(),
                    session: session.clone(),
                    file: file.clone(),
                }))
            }) as motionkit_transport::SessionFn
        });
        let report = client
            .transport()
            .upload_resumable(url, &self.path, &options)
            .await?;
        if let Some(status) = report.resume_gone {
            self.emit(UploadEvent::StartedOver(StartOver::SessionGone { status }));
        }
        Ok(Upload {
            url: url.to_owned(),
            name: name.to_owned(),
            size: report.bytes,
            input,
        })
    }
}

/// Where an upload goes, and what it is.
struct Target<'a> {
    url: &'a str,
    name: &'a str,
    file: &'a FileIdentity,
    input: InputKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_signed_url_and_the_session() {
        let state = ResumeState {
            name: "walk.mp4".into(),
            upload_url: "https://storage.example/b/walk.mp4?X-Goog-Signature=SIGSECRET".into(),
            session: SessionUri::new("https://storage.example/b/walk.mp4?upload_id=IDSECRET"),
            file: FileIdentity {
                path: "/videos/walk.mp4".into(),
                size: 10,
                modified_ns: 7,
            },
        };
        let shown = format!("{state:?} {:?}", UploadEvent::Session(state.clone()));
        assert!(!shown.contains("SIGSECRET"), "{shown}");
        assert!(!shown.contains("IDSECRET"), "{shown}");
        assert!(shown.contains("walk.mp4"), "{shown}");
        let saved = serde_json::to_string(&state).unwrap();
        assert!(saved.contains("SIGSECRET") && saved.contains("IDSECRET"));
        assert_eq!(serde_json::from_str::<ResumeState>(&saved).unwrap(), state);
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            StartOver::SessionGone { status: 410 }.to_string(),
            "the storage's upload session expired or was cancelled (HTTP 410)"
        );
        assert!(StartOver::FileChanged.to_string().contains("changed"));
    }
}
