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

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_DISPOSITION, CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::time::Instant;
use tracing::Instrument as _;
use url::Url;

use crate::body::{Progress, ProgressFn};
use crate::call::{Failure, parse_absolute};
use crate::classify::{Outcome, is_transient_status};
use crate::client::Transport;
use crate::error::{Error, Sent};
use crate::guard::Origin;
use crate::limits::RateWatch;
use crate::orchestrator::later;
use crate::partial::{Partial, Writeback, parse_content_range};
use crate::read::{Cap, read_body};
use crate::redact::redact_parsed;
use crate::response::{Response, http_error};
use crate::save::{
    OnExisting, content_disposition_name, name_from_url, open_part_file, sanitize_file_name, save,
};

/// Received bytes are gathered into writes of this size. Every write to a
/// `tokio::fs::File` is a trip to the blocking thread pool; writing each
/// network chunk (often a few KiB) on its own made downloads spend their
/// time switching threads, well below the speed of `curl -o`.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// How to download.
#[derive(Clone, Default)]
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
}

impl fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("file_name", &self.file_name)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .field("on_existing", &self.on_existing)
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
}

/// How one attempt ended.
enum AttemptEnd {
    Complete,
    /// Worth retrying; `Err` holds the error to report when giving up.
    Transient(Result<Response, Failure>),
    /// Slower than the minimum rate: retried, but without the fresh
    /// attempts that progress earns.
    TooSlow(Failure),
    /// The whole download's deadline passed.
    PastDeadline(Failure),
}

impl Transport {
    /// Downloads `url` (a signed storage URL: no credentials are sent) into
    /// `dir`, atomically: the file appears under its final name only when
    /// complete and flushed to disk. Returns where it was saved.
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

    /// [`Transport::download`], in the caller's task.
    async fn download_here(
        &self,
        url: &str,
        dir: &Path,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error> {
        let url = parse_absolute(url)?;
        let label = format!("GET {}", redact_parsed(&url));
        self.inner
            .policy
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
        let (part_dir, part_url, part_name) = (dir.to_owned(), url.clone(), name.clone());
        let part = tokio::task::spawn_blocking(move || {
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
        let part_path = part.path;
        let mut partial = Partial {
            file: BufWriter::with_capacity(
                WRITE_BUFFER_BYTES,
                tokio::fs::File::from_std(part.file),
            ),
            written: 0,
            total: None,
            validator: None,
            name,
            resumed: 0,
            restarted: 0,
            writeback: Writeback::default(),
        };
        let deadline = self.inner.timeouts.transfer_deadline.map(later);
        let mut attempt = 0u32;
        let mut faults_in_row = 0u32;
        loop {
            attempt += 1;
            let written_before = partial.written;
            let span = tracing::info_span!(
                "http_request",
                method = "GET",
                path = %redact_parsed(&url),
                attempt,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let end = self
                .download_attempt(&url, &label, &mut partial, options, deadline)
                .instrument(span)
                .await?;
            let (fault, slow) = match end {
                AttemptEnd::Complete => break,
                AttemptEnd::Transient(fault) => (fault, false),
                AttemptEnd::TooSlow(fault) => (Err(fault), true),
                AttemptEnd::PastDeadline(fault) => return Err(fault.into_error(&label)),
            };
            // Progress earns fresh attempts, but a trickle does not: a server
            // that sends a little on every attempt would otherwise never end.
            if partial.written > written_before && !slow {
                faults_in_row = 0;
            }
            faults_in_row += 1;
            let Some(delay) = self.transfer_retry_delay(&fault, faults_in_row) else {
                return Err(match fault {
                    Ok(response) => http_error(&label, &response),
                    Err(failure) => failure.into_error(&label),
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
            None => name_from_url(&url)
                .and_then(|n| sanitize_file_name(&n).ok())
                .unwrap_or_else(|| "download".to_owned()),
        };
        let (dir_owned, on_existing) = (dir.to_owned(), options.on_existing);
        let saved_name = name.clone();
        let (path, renamed_from) = tokio::task::spawn_blocking(move || {
            save(part_path, &dir_owned, &saved_name, on_existing)
        })
        .await
        .map_err(|e| Error::io("saving the download", std::io::Error::other(e), Sent::Sent))?
        .map_err(|e| {
            Error::io(
                format!("saving the download as {}", dir.join(&name).display()),
                e,
                Sent::Sent,
            )
        })?;
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
        })
    }

    /// Checks the size a server announces or sends against the limit.
    fn within_download_limit(
        &self,
        label: &str,
        status: u16,
        bytes: Option<u64>,
    ) -> Result<(), Error> {
        let limit = self.inner.limits.download_bytes;
        match bytes {
            Some(bytes) if bytes > limit => Err(Error::TooLarge {
                request: label.to_owned(),
                status,
                limit,
                what: "Limits::download_bytes",
            }),
            _ => Ok(()),
        }
    }

    async fn download_attempt(
        &self,
        url: &Url,
        label: &str,
        partial: &mut Partial,
        options: &DownloadOptions,
        deadline: Option<Instant>,
    ) -> Result<AttemptEnd, Error> {
        let inner = &*self.inner;
        let started = Instant::now();
        let span = tracing::Span::current();
        let mut request = inner.download_http.get(url.clone());
        if partial.written > 0 {
            request = request.header(RANGE, format!("bytes={}-", partial.written));
            if let Some(validator) = &partial.validator {
                request = request.header(IF_RANGE, validator.clone());
            }
        }
        let mut head_limit = later(inner.timeouts.attempt);
        if let Some(deadline) = deadline {
            head_limit = head_limit.min(deadline);
        }
        let sent = tokio::time::timeout_at(head_limit, request.send()).await;
        let response = match sent {
            Err(_) => return Ok(timed_out(started, deadline)),
            Ok(Err(error)) => {
                let failure = Failure::from_reqwest(error, started.elapsed(), false);
                if failure.outcome == Outcome::Refused {
                    return Err(failure.into_error(label));
                }
                return Ok(transient(failure));
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        span.record("status", status.as_u16());
        let headers = response.headers().clone();
        match status {
            StatusCode::OK => {
                if partial.written > 0 {
                    partial.truncate(label).await?;
                    partial.restarted += 1;
                }
                partial.total = response.content_length();
                self.within_download_limit(label, 200, partial.total)?;
                partial.validator = headers
                    .get(ETAG)
                    .or_else(|| headers.get(LAST_MODIFIED))
                    .cloned();
            }
            StatusCode::PARTIAL_CONTENT => {
                let range = headers
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range);
                match range {
                    Some((start, total)) if start == partial.written => {
                        partial.total = total.or(partial.total);
                        self.within_download_limit(label, 206, partial.total)?;
                        partial.resumed += 1;
                    }
                    _ => {
                        return Err(Error::Protocol {
                            request: label.to_owned(),
                            message: format!(
                                "206 answer does not start at the requested offset {}",
                                partial.written
                            ),
                            sent: Sent::Sent,
                        });
                    }
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE
                if partial.written > 0 && partial.total == Some(partial.written) =>
            {
                return Ok(AttemptEnd::Complete);
            }
            StatusCode::RANGE_NOT_SATISFIABLE if partial.written > 0 => {
                partial.truncate(label).await?;
                partial.restarted += 1;
                return Ok(AttemptEnd::Transient(Ok(buffer_head(status, headers))));
            }
            _ if is_transient_status(status.as_u16()) => {
                return Ok(AttemptEnd::Transient(Ok(buffer_head(status, headers))));
            }
            _ => {
                // The error page is read for its message only: a bounded
                // head, given up on when the server goes quiet.
                let cap = Cap::Head(inner.limits.error_body_bytes);
                let idle = inner.timeouts.transfer_stall.min(inner.timeouts.attempt);
                let body = read_body(response, cap, idle).await.unwrap_or_else(|e| {
                    tracing::debug!(error = ?e, "the error body could not be read");
                    bytes::Bytes::new()
                });
                return Err(http_error(label, &Response::new(status, headers, body)));
            }
        }
        if partial.name.is_none() {
            partial.name = headers
                .get(CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .and_then(content_disposition_name)
                .and_then(|n| sanitize_file_name(&n).ok());
        }
        let mut stream = response.bytes_stream();
        let mut pace = RateWatch::new(inner.timeouts.transfer_min_rate, partial.written);
        let stall = inner.timeouts.transfer_stall;
        let mut last_chunk = Instant::now();
        // The stall, the rate and the deadline are judged when this timer
        // fires (or a chunk arrives after it should have), not on every
        // chunk: per-chunk timers made a fast download measurably slower.
        let wake_at = |last_chunk: Instant, pace: &RateWatch| {
            let mut wake = last_chunk
                .checked_add(stall)
                .unwrap_or_else(|| later(stall));
            if let Some(check) = pace.next_check() {
                wake = wake.min(check);
            }
            if let Some(deadline) = deadline {
                wake = wake.min(deadline);
            }
            wake
        };
        let mut wake = wake_at(last_chunk, &pace);
        let timer = tokio::time::sleep_until(wake);
        tokio::pin!(timer);
        loop {
            let next = tokio::select! {
                biased;
                next = stream.next() => Some(next),
                () = &mut timer => None,
            };
            let now = Instant::now();
            if next.is_none() || now >= wake {
                if deadline.is_some_and(|d| now >= d) {
                    return Ok(timed_out(started, deadline));
                }
                if !pace.keeps_pace(partial.written) {
                    let mut failure = Failure::timed_out(started.elapsed());
                    failure.message =
                        "the transfer was slower than Timeouts::transfer_min_rate".into();
                    failure.sent = Sent::Sent;
                    return Ok(AttemptEnd::TooSlow(failure));
                }
                if next.is_none() && now >= last_chunk.checked_add(stall).unwrap_or(now) {
                    let mut failure = Failure::timed_out(started.elapsed());
                    failure.sent = Sent::Sent;
                    return Ok(transient(failure));
                }
                wake = wake_at(if next.is_some() { now } else { last_chunk }, &pace);
                timer.as_mut().reset(wake);
            }
            let Some(next) = next else {
                continue;
            };
            match next {
                None => break,
                Some(Err(error)) => {
                    let mut failure = Failure::from_reqwest(error, started.elapsed(), false);
                    failure.sent = Sent::Sent;
                    return Ok(transient(failure));
                }
                Some(Ok(chunk)) => {
                    last_chunk = now;
                    let received = partial
                        .written
                        .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
                    self.within_download_limit(label, status.as_u16(), Some(received))?;
                    if partial.total.is_some_and(|total| received > total) {
                        return Err(Error::Protocol {
                            request: label.to_owned(),
                            message: format!(
                                "received {received} bytes, more than the announced {}",
                                partial.total.unwrap_or_default()
                            ),
                            sent: Sent::Sent,
                        });
                    }
                    partial
                        .file
                        .write_all(&chunk)
                        .await
                        .map_err(|e| Error::io("writing the download", e, Sent::Sent))?;
                    partial.written = received;
                    partial.write_behind().await?;
                    if let Some(progress) = &options.progress {
                        progress(Progress {
                            bytes: partial.written,
                            total: partial.total,
                        });
                    }
                }
            }
        }
        span.record(
            "elapsed_ms",
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        match partial.total {
            Some(total) if partial.written < total => {
                let mut failure = Failure::timed_out(started.elapsed());
                failure.outcome = Outcome::ConnectionLost;
                failure.message = format!("body ended at {} of {total} bytes", partial.written);
                failure.sent = Sent::Sent;
                Ok(transient(failure))
            }
            _ => {
                tracing::debug!(bytes = partial.written, "download complete");
                Ok(AttemptEnd::Complete)
            }
        }
    }
}

/// The end of an attempt that ran out of time: past the whole download's
/// deadline, or only this attempt's.
fn timed_out(started: Instant, deadline: Option<Instant>) -> AttemptEnd {
    let mut failure = Failure::timed_out(started.elapsed());
    failure.sent = Sent::Sent;
    if deadline.is_some_and(|d| Instant::now() >= d) {
        failure.message = "the download passed Timeouts::transfer_deadline".into();
        AttemptEnd::PastDeadline(failure)
    } else {
        transient(failure)
    }
}

/// Aborts the task when dropped, so that dropping a download stops it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn transient(failure: Failure) -> AttemptEnd {
    AttemptEnd::Transient(Err(failure))
}

fn buffer_head(status: StatusCode, headers: HeaderMap) -> Response {
    Response::new(status, headers, bytes::Bytes::new())
}

#[cfg(test)]
mod tests {
    use super::*;

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
