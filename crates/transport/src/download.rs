//! Downloads streamed to disk, atomically.
//!
//! Bytes go to a part file in the target directory (see [`crate::save`]);
//! only a complete, fsynced file is moved to its final name, without
//! replacing an existing file unless asked, so an interrupted download
//! never leaves anything at the final path. A broken transfer resumes with
//! `Range` when the server answers `206`, and starts over on `200`.
//!
//! Every byte and second is bounded: the announced and received size by
//! `Limits::download_bytes`, an error page by `Limits::error_body_bytes`,
//! silence by `Timeouts::transfer_stall`, a trickle by
//! `Timeouts::transfer_min_rate`, and the whole download by
//! `Timeouts::transfer_deadline` when set.

use std::fmt;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncWriteExt, BufWriter};
use tracing::Instrument as _;
use url::Url;

use crate::body::ProgressFn;
use crate::call::parse_absolute;
use crate::client::Transport;
use crate::content::{Content, HEAD_BYTES, Verdict, judge, zip_name};
use crate::download_attempt::{Attempt, AttemptEnd};
use crate::error::{Error, Sent};
use crate::guard::Origin;
use crate::instant::later;
use crate::partial::{Partial, Writeback};
use crate::redact::redact_parsed;
use crate::response::http_error;
use crate::save::{OnExisting, PartPath, name_from_url, open_part_file, sanitize_file_name, save};

/// Received bytes are gathered into writes of this size. Every write to a
/// `tokio::fs::File` is a trip to the blocking thread pool; writing each
/// network chunk (often a few KiB) on its own made downloads spend their
/// time switching threads, well below the speed of `curl -o`.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// How to download.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// File name to save under (sanitised). When `None`: the server's
    /// `Content-Disposition`, then the URL's last path segment, then
    /// `download`, all sanitised.
    pub file_name: Option<String>,
    /// Called as bytes are written.
    pub progress: Option<ProgressFn>,
    /// What to do when the final name is taken (default: keep both, with a
    /// `-2`, `-3`, ... suffix on the new file).
    pub on_existing: OnExisting,
    /// Extract a ZIP archive into a folder (`all_characters.fbx` arriving
    /// as a ZIP → `all_characters-fbx/`) instead of saving it with `.zip`
    /// appended. Needs the cargo feature `unzip`; without it a ZIP asked to
    /// be extracted is an [`Error::Config`]. See [`Content`] for what every
    /// download is checked for.
    pub unzip: bool,
}

impl DownloadOptions {
    /// Sets the `file_name` field.
    pub fn file_name(mut self, file_name: Option<String>) -> Self {
        self.file_name = file_name;
        self
    }

    /// Sets the `progress` field.
    pub fn progress(mut self, progress: Option<ProgressFn>) -> Self {
        self.progress = progress;
        self
    }

    /// Sets the `on_existing` field.
    pub fn on_existing(mut self, on_existing: OnExisting) -> Self {
        self.on_existing = on_existing;
        self
    }

    /// Sets the `unzip` field.
    pub fn unzip(mut self, unzip: bool) -> Self {
        self.unzip = unzip;
        self
    }
}

impl fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("file_name", &self.file_name)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .field("on_existing", &self.on_existing)
            .field("unzip", &self.unzip)
            .finish()
    }
}

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadReport {
    /// Where the file is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Transfers resumed with `Range` (answered `206`).
    pub resumed: u32,
    /// Transfers that had to start over (a `200` answer to a `Range`).
    pub restarted: u32,
    /// The path the file would have had, when that name was taken and the
    /// file was saved under a suffixed name instead.
    pub renamed_from: Option<PathBuf>,
    /// What the first bytes said the file is.
    pub content: Content,
    /// The files extracted from a ZIP archive with
    /// [`DownloadOptions::unzip`] (then [`DownloadReport::path`] is their
    /// folder); empty otherwise.
    pub extracted: Vec<PathBuf>,
}

impl Transport {
    /// Downloads `url` (a signed storage URL: no credentials are sent) into
    /// `dir` (created when missing), atomically: the file appears under its
    /// final name only when complete and flushed to disk. Returns where it
    /// was saved.
    ///
    /// The transfer runs as a task of its own on the current Tokio runtime
    /// (stopped if this future is dropped), so that every received chunk is
    /// handed over between runtime tasks rather than waking the caller's
    /// thread, such as the one `#[tokio::main]` blocks on.
    pub async fn download(
        &self,
        url: &str,
        dir: &Path,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error> {
        let transport = self.clone();
        let (url, dir, options) = (url.to_owned(), dir.to_owned(), options.clone());
        let mut task = AbortOnDrop(tokio::spawn(
            async move { transport.download_here(&url, &dir, &options).await }.in_current_span(),
        ));
        match (&mut task.0).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(join) => Err(Error::io(
                "downloading",
                std::io::Error::other(join),
                Sent::MaybeSent,
            )),
        }
    }

    /// [`Transport::download`], in the caller's task: a part file, the
    /// attempts, then the move to the final name.
    async fn download_here(
        &self,
        url: &str,
        dir: &Path,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error> {
        let url = parse_absolute(url)?;
        let label = format!("GET {}", redact_parsed(&url));
        self.address_policy()
            .check_url(&url, Origin::Server)
            .map_err(|blocked| Error::Refused {
                request: label.clone(),
                message: blocked.to_string(),
                sent: Sent::NotSent,
            })?;
        let name = options
            .file_name
            .as_deref()
            .map(sanitize_file_name)
            .transpose()?;
        let (mut partial, part_path) = start_part(dir, &url, name).await?;
        let attempt = Attempt {
            url: &url,
            label: &label,
            progress: options.progress.as_ref(),
            deadline: self.timeouts().transfer_deadline.map(later),
        };
        self.download_attempts(&attempt, &mut partial).await?;
        let save_as = SaveAs {
            on_existing: options.on_existing,
            unzip: options.unzip,
            byte_limit: self.limits().download_bytes,
        };
        finish(partial, part_path, &url, dir, save_as).await
    }

    /// Runs attempts until the file is complete, resuming after transient
    /// faults as long as the retry policy allows.
    async fn download_attempts(
        &self,
        attempt: &Attempt<'_>,
        partial: &mut Partial,
    ) -> Result<(), Error> {
        let label = attempt.label;
        let mut number = 0u32;
        let mut faults_in_row = 0u32;
        loop {
            number += 1;
            let written_before = partial.written;
            let span = tracing::info_span!(
                "http_request",
                method = "GET",
                path = %redact_parsed(attempt.url),
                attempt = number,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let end = self
                .download_attempt(attempt, partial)
                .instrument(span)
                .await?;
            let (fault, slow) = match end {
                AttemptEnd::Complete => return Ok(()),
                AttemptEnd::Transient(fault) => (fault, false),
                AttemptEnd::TooSlow(fault) => (Err(fault), true),
                AttemptEnd::PastDeadline(fault) => return Err(fault.into_error(label)),
            };
            // Progress earns fresh attempts, but a trickle does not: a server
            // that sends a little on every attempt would otherwise never end.
            if partial.written > written_before && !slow {
                faults_in_row = 0;
            }
            faults_in_row += 1;
            let Some(delay) = self.transfer_retry_delay(&fault, faults_in_row) else {
                return Err(match fault {
                    Ok(response) => http_error(label, &response),
                    Err(failure) => failure.into_error(label),
                });
            };
            partial
                .file
                .flush()
                .await
                .map_err(|e| Error::io("writing the download", e, Sent::Sent))?;
            tracing::debug!(
                request = %label,
                written = partial.written,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "download interrupted; resuming"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

/// Opens a fresh part file in `dir`, creating the folder when missing (on
/// the blocking pool).
async fn start_part(
    dir: &Path,
    url: &Url,
    name: Option<String>,
) -> Result<(Partial, PartPath), Error> {
    let (part_dir, part_url, part_name) = (dir.to_owned(), url.clone(), name.clone());
    let part = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&part_dir)?;
        open_part_file(&part_dir, &part_url, part_name.as_deref())
    })
    .await
    .map_err(|e| {
        Error::io(
            "creating a part file",
            std::io::Error::other(e),
            Sent::NotSent,
        )
    })?
    .map_err(|e| {
        Error::io(
            format!("creating a part file in {}", dir.display()),
            e,
            Sent::NotSent,
        )
    })?;
    let partial = Partial {
        file: BufWriter::with_capacity(WRITE_BUFFER_BYTES, tokio::fs::File::from_std(part.file)),
        written: 0,
        total: None,
        validator: None,
        name,
        resumed: 0,
        restarted: 0,
        writeback: Writeback::default(),
    };
    Ok((partial, part.path))
}

/// How a complete download is saved.
#[derive(Debug, Clone, Copy)]
struct SaveAs {
    on_existing: OnExisting,
    unzip: bool,
    #[cfg_attr(not(feature = "unzip"), allow(dead_code))]
    byte_limit: u64,
}

/// Where a judged download went.
struct Placed {
    path: PathBuf,
    renamed_from: Option<PathBuf>,
    content: Content,
    extracted: Vec<PathBuf>,
}

/// Judges the complete part file by its first bytes (see [`Content`]) and
/// saves it: under `name`, as `name.zip`, or extracted.
fn place(part: PartPath, dir: &Path, name: &str, how: SaveAs) -> Result<Placed, Error> {
    let io = |what: String| move |e| Error::io(what, e, Sent::Sent);
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(&*part)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, HEAD_BYTES as u64), &mut head)
        })
        .map_err(io("reading the download back".to_owned()))?;
    let (content, verdict) = judge(name, &head).map_err(|message| Error::Protocol {
        request: format!("saving {}", dir.join(name).display()),
        message,
        sent: Sent::Sent,
    })?;
    let name = match verdict {
        Verdict::Zip if how.unzip => return unzip_part(part, dir, name, how),
        Verdict::Zip => zip_name(name),
        Verdict::Keep => name.to_owned(),
    };
    let (path, renamed_from) = save(part, dir, &name, how.on_existing).map_err(io(format!(
        "saving the download as {}",
        dir.join(&name).display()
    )))?;
    Ok(Placed {
        path,
        renamed_from,
        content,
        extracted: Vec::new(),
    })
}

#[cfg(feature = "unzip")]
fn unzip_part(part: PartPath, dir: &Path, name: &str, how: SaveAs) -> Result<Placed, Error> {
    use crate::unzip::{UnzipError, extract, folder_name};
    let folder = folder_name(name);
    match extract(&part, dir, &folder, how.on_existing, how.byte_limit) {
        Ok(done) => Ok(Placed {
            path: done.folder,
            renamed_from: done.renamed_from,
            content: Content::Zip,
            extracted: done.files,
        }),
        Err(UnzipError::Refused(message)) => Err(Error::Protocol {
            request: format!(
                "extracting {name} (a ZIP archive) into {}",
                dir.join(&folder).display()
            ),
            message,
            sent: Sent::Sent,
        }),
        Err(UnzipError::Io(e)) => Err(Error::io(
            format!("extracting {name} into {}", dir.join(&folder).display()),
            e,
            Sent::Sent,
        )),
    }
}

#[cfg(not(feature = "unzip"))]
fn unzip_part(_part: PartPath, _dir: &Path, name: &str, _how: SaveAs) -> Result<Placed, Error> {
    Err(Error::Config {
        message: format!(
            "{name} is a ZIP archive and extraction was asked for, but motionkit-transport was \
             built without its `unzip` feature; download without unzip to save it as {}",
            zip_name(name)
        ),
    })
}

/// Flushes and syncs the complete part file, judges it by its first bytes
/// and moves it to its final name in `dir` (never over an existing file
/// unless `on_existing` says so), or extracts it.
async fn finish(
    mut partial: Partial,
    part_path: PartPath,
    url: &Url,
    dir: &Path,
    how: SaveAs,
) -> Result<DownloadReport, Error> {
    let io = |what: &str| {
        let what = what.to_owned();
        move |e| Error::io(what, e, Sent::Sent)
    };
    partial
        .file
        .flush()
        .await
        .map_err(io("writing the download"))?;
    partial
        .file
        .get_ref()
        .sync_all()
        .await
        .map_err(io("syncing the download"))?;
    drop(partial.file);
    let name = match partial.name {
        Some(name) => name,
        None => name_from_url(url)
            .and_then(|n| sanitize_file_name(&n).ok())
            .unwrap_or_else(|| "download".to_owned()),
    };
    let dir_owned = dir.to_owned();
    let saved_name = name;
    let placed =
        tokio::task::spawn_blocking(move || place(part_path, &dir_owned, &saved_name, how))
            .await
            .map_err(|e| {
                Error::io("saving the download", std::io::Error::other(e), Sent::Sent)
            })??;
    let Placed {
        path,
        renamed_from,
        content,
        extracted,
    } = placed;
    if let Some(wanted) = &renamed_from {
        tracing::info!(
            wanted = %wanted.display(),
            saved = %path.display(),
            "the file name was taken; saved under a new name"
        );
    }
    Ok(DownloadReport {
        path,
        bytes: partial.written,
        resumed: partial.resumed,
        restarted: partial.restarted,
        renamed_from,
        content,
        extracted,
    })
}

/// Aborts the task when dropped, so that dropping a download stops it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    /// Serves `router` on 127.0.0.1 and returns its base URL.
    async fn serve(router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        base
    }

    fn transport() -> Transport {
        Transport::builder("http://127.0.0.1:1").build().unwrap()
    }

    #[tokio::test]
    async fn dropping_a_download_stops_it_and_removes_the_partial_file() {
        let router = axum::Router::new().route(
            "/stuck.bin",
            axum::routing::get(|| async {
                let first = futures::stream::once(async {
                    Ok::<_, std::io::Error>(bytes::Bytes::from(vec![1u8; 1000]))
                });
                axum::response::Response::builder()
                    .header("content-length", "1000000")
                    .body(axum::body::Body::from_stream(
                        first.chain(futures::stream::pending()),
                    ))
                    .unwrap()
            }),
        );
        let base = serve(router).await;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("{base}/stuck.bin");
        let transport = transport();
        let options = DownloadOptions::default();
        let download = transport.download(&url, dir.path(), &options);
        let stopped = tokio::time::timeout(std::time::Duration::from_millis(300), download).await;
        assert!(stopped.is_err(), "the download cannot finish");
        for _ in 0..100 {
            if std::fs::read_dir(dir.path()).unwrap().next().is_none() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the partial file is still there: the transfer task kept running");
    }
}
