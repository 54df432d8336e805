//! Uploads to signed storage URLs, streamed from disk in constant memory.
//!
//! - [`Transport::upload_file`]: one `PUT` of the whole file.
//! - [`Transport::upload_resumable`]: the resumable protocol of Google Cloud
//!   Storage signed URLs: `POST` with `x-goog-resumable: start` gives a
//!   session URI (`Location`); the file goes up in `PUT` chunks with
//!   `Content-Range`; `308` answers carry the committed range; after a
//!   fault the committed offset is queried with an empty `PUT` and
//!   `Content-Range: bytes */TOTAL`, and the upload resumes from there.
//!   A session started by another process goes on the same way
//!   ([`UploadOptions::resume`], see the `resume` module).
//!
//! Neither sends credentials or cookies: the signed URL carries its own.

use std::fmt;
use std::path::Path;

use motionkit_models::Method;
use reqwest::header::{CONTENT_RANGE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use url::Url;

use crate::auth::Credentials;
use crate::body::{Body, Meter, Progress, ProgressFn};
use crate::call::{Call, Timing, parse_absolute};
use crate::classify::is_transient_status;
use crate::client::Transport;
use crate::error::{Error, Sent};
use crate::redact::redact_parsed;
use crate::response::http_error;
use crate::resumable::{check_final_size, committed_after_308, header, status_query};
use crate::resume::{SessionFn, SessionUri};

/// Resumable chunks must be multiples of this size (256 KiB), except the
/// last one.
pub const RESUMABLE_CHUNK_ALIGN: u64 = 256 * 1024;

/// The most one upload session may send: twice the file, plus one chunk
/// for each attempt the retry policy allows (a dropped connection re-sends
/// at most the chunk in flight). A storage that asks for the same bytes
/// over and over is stopped here instead of being fed forever.
struct SendBudget {
    limit: u64,
}

impl SendBudget {
    fn new(total: u64, chunk_size: u64, attempts: u32) -> Self {
        let per_attempt = chunk_size.min(total);
        SendBudget {
            limit: total
                .saturating_mul(2)
                .saturating_add(per_attempt.saturating_mul(u64::from(attempts) + 1)),
        }
    }

    fn check(&self, session: &Url, sent: u64, next_chunk: u64) -> Result<(), Error> {
        if sent.saturating_add(next_chunk) <= self.limit {
            return Ok(());
        }
        Err(Error::Protocol {
            request: format!("PUT {}", redact_parsed(session)),
            message: format!(
                "the storage keeps asking for bytes it was sent: {sent} bytes sent in this \
                 session, and the next chunk would pass the bound of {} (twice the file plus \
                 a chunk per attempt); the upload is stopped",
                self.limit
            ),
            sent: Sent::Sent,
        })
    }
}

/// How to upload.
#[derive(Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// `Content-Type` of the object; must match what the URL was signed
    /// for, if it was signed with one.
    pub content_type: Option<String>,
    /// Resumable uploads: bytes per `PUT`, a multiple of
    /// [`RESUMABLE_CHUNK_ALIGN`]. Memory use does not depend on it.
    pub chunk_size: u64,
    /// Resumable uploads: how many upload sessions may be started, the
    /// first included (a `404`/`410` on a session starts a new one).
    pub max_sessions: u32,
    /// Called as bytes go out.
    pub progress: Option<ProgressFn>,
    /// Resumable uploads: go on with this session, started earlier (by
    /// another process, say), from the offset the storage has committed,
    /// instead of starting a new one. If the storage no longer knows it
    /// (`404`/`410`), a new session is started at the signed URL.
    pub resume: Option<SessionUri>,
    /// Resumable uploads: called with the URI of every session started,
    /// before its first byte is sent, so that it can be saved and given
    /// back as [`UploadOptions::resume`] after an interruption.
    pub on_session: Option<SessionFn>,
}

impl UploadOptions {
    /// Sets the `content_type` field.
    pub fn content_type(mut self, content_type: Option<String>) -> Self {
        self.content_type = content_type;
        self
    }

    /// Sets the `chunk_size` field.
    pub fn chunk_size(mut self, chunk_size: u64) -> Self {
        self.chunk_size = chunk_size;
        self
    }

    /// Sets the `max_sessions` field.
    pub fn max_sessions(mut self, max_sessions: u32) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// Sets the `progress` field.
    pub fn progress(mut self, progress: Option<ProgressFn>) -> Self {
        self.progress = progress;
        self
    }

    /// Sets the `resume` field.
    pub fn resume(mut self, resume: Option<SessionUri>) -> Self {
        self.resume = resume;
        self
    }

    /// Sets the `on_session` field.
    pub fn on_session(mut self, on_session: Option<SessionFn>) -> Self {
        self.on_session = on_session;
        self
    }
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            content_type: None,
            chunk_size: 8 * 1024 * 1024,
            max_sessions: 3,
            progress: None,
            resume: None,
            on_session: None,
        }
    }
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("content_type", &self.content_type)
            .field("chunk_size", &self.chunk_size)
            .field("max_sessions", &self.max_sessions)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .field("resume", &self.resume)
            .field("on_session", &self.on_session.as_ref().map(|_| "callback"))
            .finish()
    }
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadReport {
    /// Size of the file.
    pub bytes: u64,
    /// Bytes handed to the network, re-sent bytes included.
    pub bytes_sent: u64,
    /// Dropped connections, timeouts and transient statuses survived.
    pub faults: u32,
    /// Upload sessions started (resumable uploads; 0 for a single `PUT`,
    /// and for an upload that finished in the session it resumed).
    pub sessions: u32,
    /// With [`UploadOptions::resume`]: the bytes the storage already held
    /// when the upload went on with that session.
    pub resumed_from: Option<u64>,
    /// With [`UploadOptions::resume`]: the status (`404` or `410`) with
    /// which the storage refused that session; the upload started over in
    /// a new one.
    pub resume_gone: Option<u16>,
}

async fn file_len(path: &Path) -> Result<u64, Error> {
    let metadata = tokio::fs::metadata(path)
        .await
        .map_err(|e| Error::io(format!("reading {}", path.display()), e, Sent::NotSent))?;
    if !metadata.is_file() {
        return Err(Error::config(format!("{} is not a file", path.display())));
    }
    Ok(metadata.len())
}

impl Transport {
    /// Uploads the file at `path` with one `PUT` to the signed `url`,
    /// streaming it from disk. Retried after transient failures (PUT is
    /// idempotent); the file is re-opened for every attempt.
    pub async fn upload_file(
        &self,
        url: &str,
        path: &Path,
        options: &UploadOptions,
    ) -> Result<UploadReport, Error> {
        let url = parse_absolute(url)?;
        let len = file_len(path).await?;
        let mut body = Body::file_range(path, 0, len);
        if let Some(content_type) = &options.content_type {
            body = body.content_type(content_type.clone());
        }
        let mut call = Call::absolute(Method::Put, url, HeaderMap::new(), body);
        call.timing = Timing::Transfer;
        let meter = Meter::new(0, Some(len), options.progress.clone());
        self.execute(&call, &meter).await?;
        Ok(UploadReport {
            bytes: len,
            bytes_sent: meter.moved(),
            faults: meter.attempts().saturating_sub(1),
            ..UploadReport::default()
        })
    }

    /// Uploads the file at `path` to the signed `url` with the resumable
    /// protocol, in chunks of `options.chunk_size`, resuming from the
    /// server's committed offset after dropped connections, timeouts and
    /// 5xx answers, and starting a new session after a `404`/`410`.
    ///
    /// With `options.resume`, the upload goes on in that session from the
    /// offset the storage reports (see [`UploadReport::resumed_from`]).
    ///
    /// Gives up after `RetryPolicy::max_attempts` consecutive faults without
    /// progress, or when the retry budget is spent.
    pub async fn upload_resumable(
        &self,
        url: &str,
        path: &Path,
        options: &UploadOptions,
    ) -> Result<UploadReport, Error> {
        if options.chunk_size == 0 || !options.chunk_size.is_multiple_of(RESUMABLE_CHUNK_ALIGN) {
            return Err(Error::config(format!(
                "chunk size {} is not a positive multiple of {RESUMABLE_CHUNK_ALIGN} bytes",
                options.chunk_size
            )));
        }
        let start_url = parse_absolute(url)?;
        let total = file_len(path).await?;
        let mut report = UploadReport {
            bytes: total,
            ..UploadReport::default()
        };
        // Resuming: the first request asks the storage where it stands.
        let mut resuming = options.resume.is_some();
        let mut session = match &options.resume {
            Some(uri) => {
                let session = parse_absolute(uri.expose())?;
                tracing::debug!(session = %uri, "resuming an upload session");
                session
            }
            None => {
                report.sessions = 1;
                self.start_upload_session(&start_url, options).await?
            }
        };
        // `offset` is what the storage has committed (it never goes back
        // within a session); `sent_end` bounds what it can hold: the end of
        // the furthest chunk sent in this session (the whole file when going
        // on with a session another process may have finished).
        let mut offset = 0u64;
        let mut sent_end = if resuming { total } else { 0 };
        let budget = SendBudget::new(total, options.chunk_size, self.max_attempts());
        let mut sent_in_session = 0u64;
        let mut faults_in_row = 0u32;
        let mut query_status = resuming;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (call, meter) = if query_status || offset == total {
                (status_query(&session, total), Meter::default())
            } else {
                let len = options.chunk_size.min(total - offset);
                budget.check(&session, sent_in_session, len)?;
                sent_end = sent_end.max(offset + len);
                let mut headers = HeaderMap::new();
                let range = format!("bytes {offset}-{}/{total}", offset + len - 1);
                headers.insert(CONTENT_RANGE, header(&range));
                let body = Body::file_range(path, offset, len);
                let mut call = Call::absolute(Method::Put, session.clone(), headers, body);
                call.timing = Timing::Transfer;
                let meter = Meter::new(offset, Some(total), options.progress.clone());
                (call, meter)
            };
            let result = self
                .exchange(&call, &Credentials::None, attempt, None, &meter)
                .await?;
            report.bytes_sent += meter.moved();
            sent_in_session += meter.moved();
            let fault = match result {
                Ok(response) => match response.status().as_u16() {
                    200 | 201 => {
                        check_final_size(&call.label, &response, total, sent_end)?;
                        if resuming {
                            report.resumed_from = Some(total);
                        }
                        if let Some(progress) = &options.progress {
                            progress(Progress {
                                bytes: total,
                                total: Some(total),
                            });
                        }
                        return Ok(report);
                    }
                    308 => {
                        let next =
                            committed_after_308(&call.label, &response, total, offset, sent_end)?;
                        if resuming {
                            resuming = false;
                            report.resumed_from = Some(next);
                            tracing::info!(
                                request = %call.label,
                                committed = next,
                                total,
                                "resuming the upload where the storage stopped"
                            );
                        }
                        // Progress is judged in whole alignment units (or
                        // the rest of the file): a storage that keeps one
                        // more byte per answer is not making progress.
                        let progressed =
                            next == total || next - offset >= RESUMABLE_CHUNK_ALIGN.min(total);
                        let after_fault = query_status;
                        offset = next;
                        query_status = false;
                        if progressed {
                            faults_in_row = 0;
                            continue;
                        }
                        if after_fault && offset < total {
                            continue;
                        }
                        // The chunk was not kept, or everything is stored but
                        // not finalised: a fault, so that a server that never
                        // moves ends the upload.
                        Ok(response)
                    }
                    404 | 410 => {
                        if resuming {
                            resuming = false;
                            report.resume_gone = Some(response.status().as_u16());
                        }
                        if report.sessions >= options.max_sessions {
                            return Err(http_error(&call.label, &response));
                        }
                        tracing::info!(
                            request = %call.label,
                            status = response.status().as_u16(),
                            "upload session gone; starting a new one"
                        );
                        session = self.start_upload_session(&start_url, options).await?;
                        report.sessions += 1;
                        offset = 0;
                        sent_end = 0;
                        sent_in_session = 0;
                        query_status = false;
                        continue;
                    }
                    status if is_transient_status(status) => Ok(response),
                    _ => return Err(http_error(&call.label, &response)),
                },
                Err(failure) => Err(failure),
            };
            report.faults += 1;
            faults_in_row += 1;
            let delay = self.transfer_retry_delay(&fault, faults_in_row);
            let Some(delay) = delay else {
                return Err(match fault {
                    Ok(response) => http_error(&call.label, &response),
                    Err(failure) => failure.into_error(&call.label),
                });
            };
            tracing::debug!(
                request = %call.label,
                faults_in_row,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "upload fault; querying the committed offset"
            );
            tokio::time::sleep(delay).await;
            query_status = true;
        }
    }

    /// Starts a resumable session and returns its URI.
    async fn start_upload_session(
        &self,
        start_url: &Url,
        options: &UploadOptions,
    ) -> Result<Url, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-goog-resumable"),
            HeaderValue::from_static("start"),
        );
        let mut body = Body::empty();
        if let Some(content_type) = &options.content_type {
            body = body.content_type(content_type.clone());
        }
        let mut call = Call::absolute(Method::Post, start_url.clone(), headers, body);
        // Starting a session has no effect until data is sent: safe to retry.
        call.idempotent = true;
        let response = self.execute(&call, &Meter::default()).await?;
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| start_url.join(v).ok())
            .ok_or_else(|| Error::Protocol {
                request: call.label.clone(),
                message: format!(
                    "HTTP {} without a usable Location header; is this a resumable signed URL?",
                    response.status().as_u16()
                ),
                sent: Sent::Sent,
            })?;
        tracing::debug!(session = %redact_parsed(&location), "upload session started");
        if let Some(on_session) = &options.on_session {
            on_session(&SessionUri::new(location.as_str()));
        }
        Ok(location)
    }
}
