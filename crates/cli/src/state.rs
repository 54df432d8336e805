//! The batch state file, `OUT/.motionkit-state.json`.
//!
//! `motionkit animate` records every step of every video here, and the
//! file is rewritten atomically (temporary file + rename, mode 0600 since
//! it holds signed upload URLs and upload session URIs) after each one.
//! Running the same command again reads it and skips what is done: a video
//! whose source has the same size and modification time is not uploaded
//! again, an upload that was interrupted goes on in its resumable session
//! from the offset the storage has committed (`upload_session`, recorded
//! before the first byte is sent; dropped once the upload is complete), a
//! job that was
//! submitted is not submitted again (a submission interrupted before its
//! request id was recorded, or whose outcome was unknown, is looked up in
//! `/list` by the upload's unique name, and never sent again unless
//! `--resubmit-unconfirmed` says so), and an output already downloaded is
//! not downloaded again.
//!
//! ```json
//! {
//!   "version": 1,
//!   "videos": {
//!     "/abs/path/walk.mp4": {
//!       "source": { "size": 6824, "mtime_ms": 1732309800000 },
//!       "params": ["formats=bvh,fbx"],
//!       "out_dir": "out",
//!       "upload_session": {
//!         "name": "walk-k3x9q2m7a1.mp4",
//!         "upload_url": "https://…signed…",
//!         "session": "https://…?upload_id=…",
//!         "file": { "path": "/abs/path/walk.mp4", "size": 6824, "modified_ns": 1732309800000000000 }
//!       },
//!       "upload": { "url": "https://…signed…", "name": "walk-k3x9q2m7a1.mp4", "size": 6824 },
//!       "submitting": { "upload_name": "walk-k3x9q2m7a1.mp4", "since_ms": 1732309801000 },
//!       "rid": "1234567890-1234567890-1234",
//!       "job": "succeeded",
//!       "downloads": { "bvh": "out/walk.bvh", "fbx": "out/walk.fbx" },
//!       "done": true
//!     }
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use motionkit_deepmotion::{PendingSubmission, ResumeState};
use serde::{Deserialize, Serialize};

use crate::exit::{CliError, io_error};

/// File name of the state file inside the output folder.
pub const FILE_NAME: &str = ".motionkit-state.json";

/// Version of the format.
pub const VERSION: u32 = 1;

/// Size and modification time of a source file, to notice it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStamp {
    /// Bytes.
    pub size: u64,
    /// Modification time, milliseconds since the epoch.
    pub mtime_ms: u64,
}

impl SourceStamp {
    /// The stamp of `path` now.
    pub fn of(path: &Path) -> Result<SourceStamp, CliError> {
        let meta = std::fs::metadata(path).map_err(|e| io_error(path.display(), e))?;
        if !meta.is_file() {
            return Err(CliError::permanent(format!(
                "{}: not a file",
                path.display()
            )));
        }
        let mtime_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        Ok(SourceStamp {
            size: meta.len(),
            mtime_ms,
        })
    }
}

/// An upload that completed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// The signed URL the file went to.
    pub url: String,
    /// The name it was uploaded under.
    pub name: String,
    /// Bytes uploaded.
    pub size: u64,
}

impl std::fmt::Debug for UploadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRecord")
            .field("url", &motionkit_transport::redact_url(&self.url))
            .field("name", &self.name)
            .field("size", &self.size)
            .finish()
    }
}

/// Where a job stands, as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobPhase {
    /// Submitted, not finished.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with a failure.
    Failed,
}

/// Everything known about one video of the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoState {
    /// The source when it was uploaded.
    pub source: SourceStamp,
    /// The `/process` parameters the job was (or will be) submitted with.
    pub params: Vec<String>,
    /// Where its outputs go.
    pub out_dir: PathBuf,
    /// The resumable upload under way: the file's identity, the signed
    /// URL and the storage's session URI (secrets: `Debug` hides them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_session: Option<ResumeState>,
    /// The completed upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadRecord>,
    /// Recorded just before `POST /process` (the library's
    /// [`PendingSubmission`]: the upload's unique name and the time), and
    /// kept while the outcome is unknown, so that a later run finds the
    /// job in `/list` by that name instead of sending it twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitting: Option<PendingSubmission>,
    /// Written by motionkit versions before unique upload names: a
    /// submission interrupted at this time (milliseconds since the epoch),
    /// whose job cannot be told apart in `/list`. Never written now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitting_since_ms: Option<u64>,
    /// Jobs submitted earlier for the same upload and set aside (new
    /// options, `--retry-failed`): never adopted as the job of a later
    /// submission.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_rids: Vec<String>,
    /// The job's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rid: Option<String>,
    /// The job's phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobPhase>,
    /// Why the job failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Finished downloads: file type → path.
    #[serde(default)]
    pub downloads: BTreeMap<String, PathBuf>,
    /// Every output is downloaded.
    #[serde(default)]
    pub done: bool,
}

impl VideoState {
    /// A fresh entry.
    pub fn new(source: SourceStamp, params: Vec<String>, out_dir: PathBuf) -> Self {
        VideoState {
            source,
            params,
            out_dir,
            upload_session: None,
            upload: None,
            submitting: None,
            submitting_since_ms: None,
            earlier_rids: Vec::new(),
            rid: None,
            job: None,
            failure: None,
            downloads: BTreeMap::new(),
            done: false,
        }
    }

    /// Forgets the job (and its outputs) but keeps the upload.
    pub fn reset_job(&mut self) {
        self.earlier_rids.extend(self.rid.take());
        if let Some(pending) = self.submitting.take() {
            // A submission of unknown outcome stays unresolved: the job, if
            // it exists, is none of this entry's any more.
            tracing::debug!(%pending, "setting aside a submission of unknown outcome");
        }
        self.submitting_since_ms = None;
        self.rid = None;
        self.job = None;
        self.failure = None;
        self.downloads.clear();
        self.done = false;
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchState {
    /// Format version.
    pub version: u32,
    /// Videos by absolute source path.
    pub videos: BTreeMap<String, VideoState>,
}

impl Default for BatchState {
    fn default() -> Self {
        BatchState {
            version: VERSION,
            videos: BTreeMap::new(),
        }
    }
}

/// The state file of one output folder, shared by the batch's tasks (a
/// clone is the same file, for callbacks that outlive a borrow).
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
    state: Arc<Mutex<BatchState>>,
}

impl StateFile {
    /// Reads `DIR/.motionkit-state.json`, or starts empty. Creates `dir`.
    pub fn open(dir: &Path) -> Result<StateFile, CliError> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir.display(), e))?;
        let path = dir.join(FILE_NAME);
        // A link planted in the output folder is not followed: the state
        // is only ever a plain file motionkit wrote there itself.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
            return Err(CliError::permanent(format!(
                "state file {} is not a plain file (a link?); refusing to read or replace it. \
                 Remove it if you did not put it there",
                path.display()
            )));
        }
        let state = match std::fs::read(&path) {
            Ok(bytes) => {
                let state: BatchState = serde_json::from_slice(&bytes).map_err(|e| {
                    CliError::permanent(format!(
                        "state file {} is unreadable ({e}); delete it to start the batch over",
                        path.display()
                    ))
                })?;
                if state.version != VERSION {
                    return Err(CliError::permanent(format!(
                        "state file {} has version {}, this motionkit writes {VERSION}; delete it to start over",
                        path.display(),
                        state.version
                    )));
                }
                state
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BatchState::default(),
            Err(e) => return Err(io_error(path.display(), e)),
        };
        Ok(StateFile {
            path,
            state: Arc::new(Mutex::new(state)),
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A copy of one video's entry.
    pub fn get(&self, key: &str) -> Option<VideoState> {
        self.lock().videos.get(key).cloned()
    }

    /// A copy of everything.
    #[cfg(test)]
    pub fn snapshot(&self) -> BatchState {
        self.lock().clone()
    }

    /// Replaces (or inserts) one entry and saves.
    pub fn put(&self, key: &str, video: VideoState) -> Result<(), CliError> {
        let mut state = self.lock();
        state.videos.insert(key.to_owned(), video);
        self.save(&state)
    }

    /// Changes one entry and saves; does nothing if it does not exist.
    pub fn update(&self, key: &str, f: impl FnOnce(&mut VideoState)) -> Result<(), CliError> {
        let mut state = self.lock();
        match state.videos.get_mut(key) {
            Some(video) => f(video),
            None => return Ok(()),
        }
        self.save(&state)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BatchState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes atomically: a temporary file in the same folder, flushed and
    /// renamed over the old one.
    fn save(&self, state: &BatchState) -> Result<(), CliError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let context = || format!("writing {}", self.path.display());
        let bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| CliError::permanent(format!("{}: {e}", context())))?;
        let mut file = tempfile::Builder::new()
            .prefix(".motionkit-state.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| io_error(context(), e))?;
        file.write_all(&bytes)
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| io_error(context(), e))?;
        file.persist(&self.path)
            .map_err(|e| io_error(context(), e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_state_file_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("precious.json");
        std::fs::write(&target, "{}").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(FILE_NAME)).unwrap();
        let refused = StateFile::open(dir.path()).unwrap_err();
        assert!(
            refused.to_string().contains("not a plain file"),
            "{refused}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}");
    }

    #[test]
    fn round_trips_and_writes_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::open(dir.path()).unwrap();
        let mut video = VideoState::new(
            SourceStamp {
                size: 3,
                mtime_ms: 4,
            },
            vec!["formats=bvh".into()],
            dir.path().to_owned(),
        );
        video.rid = Some("r1".into());
        file.put("/a.mp4", video.clone()).unwrap();
        file.update("/a.mp4", |v| {
            v.downloads.insert("bvh".into(), "a.bvh".into());
        })
        .unwrap();
        let again = StateFile::open(dir.path()).unwrap();
        let read = again.get("/a.mp4").unwrap();
        assert_eq!(read.rid.as_deref(), Some("r1"));
        assert_eq!(read.downloads.len(), 1);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn the_upload_session_is_kept_private_and_out_of_debug() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::open(dir.path()).unwrap();
        let mut video = VideoState::new(
            SourceStamp {
                size: 3,
                mtime_ms: 4,
            },
            Vec::new(),
            dir.path().to_owned(),
        );
        video.upload_session = Some(ResumeState {
            name: "a.mp4".into(),
            upload_url: "https://storage.example/a.mp4?signature=SIGSECRET".into(),
            session: motionkit_transport::SessionUri::new(
                "https://storage.example/a.mp4?upload_id=IDSECRET",
            ),
            file: motionkit_deepmotion::FileIdentity {
                path: "/a.mp4".into(),
                size: 3,
                modified_ns: 4_000_000,
            },
        });
        video.upload = Some(UploadRecord {
            url: "https://storage.example/a.mp4?signature=SIGSECRET".into(),
            name: "a.mp4".into(),
            size: 3,
        });
        file.put("/a.mp4", video.clone()).unwrap();
        let shown = format!("{video:?} {:?}", file.snapshot());
        assert!(
            !shown.contains("SIGSECRET") && !shown.contains("IDSECRET"),
            "{shown}"
        );
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let saved = std::fs::read_to_string(file.path()).unwrap();
        assert!(saved.contains("IDSECRET"), "kept to resume: {saved}");
        let again = StateFile::open(dir.path()).unwrap();
        assert_eq!(again.get("/a.mp4"), Some(video));
    }

    #[test]
    fn a_broken_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let err = StateFile::open(dir.path()).unwrap_err();
        assert!(err.message.contains("delete it"), "{err}");
    }
}
