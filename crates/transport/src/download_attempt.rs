//! One attempt of a download: ask for the bytes not yet written, judge the
//! answer's head (a fresh `200`, a `206` at the right offset, a `416` for a
//! file already complete, an error page), then stream the body into the
//! part file within the stall, rate, size and deadline bounds.
//! `download.rs` runs the attempts and saves the result.

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_DISPOSITION, CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use url::Url;

use crate::body::{Progress, ProgressFn};
use crate::call::Failure;
use crate::classify::{Outcome, is_transient_status};
use crate::client::Transport;
use crate::error::{Error, Sent};
use crate::instant::later;
use crate::limits::RateWatch;
use crate::partial::{Partial, parse_content_range};
use crate::read::{Cap, read_body};
use crate::response::{Response, http_error};
use crate::save::{content_disposition_name, sanitize_file_name};

/// How one attempt ended.
pub(crate) enum AttemptEnd {
    Complete,
    /// Worth retrying; `Err` holds the error to report when giving up.
    Transient(Result<Response, Failure>),
    /// Slower than the minimum rate: retried, but without the fresh
    /// attempts that progress earns.
    TooSlow(Failure),
    /// The whole download's deadline passed.
    PastDeadline(Failure),
}

/// What an answer's head means for the attempt.
enum Head {
    /// Its body is the bytes to write next.
    Body(reqwest::Response),
    /// The attempt is over without reading a body.
    End(AttemptEnd),
}

/// What a download attempt needs to know besides the part file.
pub(crate) struct Attempt<'a> {
    pub(crate) url: &'a Url,
    pub(crate) label: &'a str,
    pub(crate) progress: Option<&'a ProgressFn>,
    pub(crate) deadline: Option<Instant>,
}

impl Transport {
    /// Checks the size a server announces or sends against the limit.
    fn within_download_limit(
        &self,
        label: &str,
        status: u16,
        bytes: Option<u64>,
    ) -> Result<(), Error> {
        let limit = self.limits().download_bytes;
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

    /// One request for the rest of the file, written into `partial`.
    pub(crate) async fn download_attempt(
        &self,
        attempt: &Attempt<'_>,
        partial: &mut Partial,
    ) -> Result<AttemptEnd, Error> {
        let started = Instant::now();
        let response = match self.request_rest(attempt, partial, started).await? {
            Ok(response) => response,
            Err(end) => return Ok(end),
        };
        let status = response.status();
        tracing::Span::current().record("status", status.as_u16());
        match self.judge_head(attempt.label, response, partial).await? {
            Head::End(end) => Ok(end),
            Head::Body(response) => self.stream_body(attempt, response, partial, started).await,
        }
    }

    /// Sends the `GET` (with `Range` and `If-Range` when resuming) and waits
    /// for the answer's head within the attempt's timeout and the deadline.
    async fn request_rest(
        &self,
        attempt: &Attempt<'_>,
        partial: &Partial,
        started: Instant,
    ) -> Result<Result<reqwest::Response, AttemptEnd>, Error> {
        let mut request = self.download_client().get(attempt.url.clone());
        if partial.written > 0 {
            request = request.header(RANGE, format!("bytes={}-", partial.written));
            if let Some(validator) = &partial.validator {
                request = request.header(IF_RANGE, validator.clone());
            }
        }
        let mut head_limit = later(self.timeouts().attempt);
        if let Some(deadline) = attempt.deadline {
            head_limit = head_limit.min(deadline);
        }
        match tokio::time::timeout_at(head_limit, request.send()).await {
            Err(_) => Ok(Err(timed_out(started, attempt.deadline))),
            Ok(Err(error)) => {
                let failure = Failure::from_reqwest(error, started.elapsed(), false);
                if failure.outcome == Outcome::Refused {
                    return Err(failure.into_error(attempt.label));
                }
                Ok(Err(transient(failure)))
            }
            Ok(Ok(response)) => Ok(Ok(response)),
        }
    }

    /// What the status and headers say: start over, go on at the offset,
    /// already complete, retry later, or fail with the error page.
    async fn judge_head(
        &self,
        label: &str,
        response: reqwest::Response,
        partial: &mut Partial,
    ) -> Result<Head, Error> {
        let status = response.status();
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
                return Ok(Head::End(AttemptEnd::Complete));
            }
            StatusCode::RANGE_NOT_SATISFIABLE if partial.written > 0 => {
                partial.truncate(label).await?;
                partial.restarted += 1;
                return Ok(Head::End(AttemptEnd::Transient(Ok(buffer_head(
                    status, headers,
                )))));
            }
            _ if is_transient_status(status.as_u16()) => {
                return Ok(Head::End(AttemptEnd::Transient(Ok(buffer_head(
                    status, headers,
                )))));
            }
            _ => {
                // The error page is read for its message only: a bounded
                // head, given up on when the server goes quiet. The link's
                // query values are masked in it.
                let url = response.url().clone();
                let cap = Cap::Head(self.limits().error_body_bytes);
                let timeouts = self.timeouts();
                let idle = timeouts.transfer_stall.min(timeouts.attempt);
                let body = read_body(response, cap, idle).await.unwrap_or_else(|e| {
                    tracing::debug!(error = ?e, "the error body could not be read");
                    bytes::Bytes::new()
                });
                let response = self.scrubbed(status, headers, body, Some(&url));
                return Err(http_error(label, &response));
            }
        }
        if partial.name.is_none() {
            partial.name = headers
                .get(CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .and_then(content_disposition_name)
                .and_then(|n| sanitize_file_name(&n).ok());
        }
        Ok(Head::Body(response))
    }

    /// Writes the body into `partial` until it ends, stalls, trickles or
    /// passes the deadline.
    async fn stream_body(
        &self,
        attempt: &Attempt<'_>,
        response: reqwest::Response,
        partial: &mut Partial,
        started: Instant,
    ) -> Result<AttemptEnd, Error> {
        let deadline = attempt.deadline;
        let status = response.status().as_u16();
        let mut stream = response.bytes_stream();
        let mut pace = RateWatch::new(self.timeouts().transfer_min_rate, partial.written);
        let stall = self.timeouts().transfer_stall;
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
                    self.write_chunk(attempt, status, &chunk, partial).await?;
                }
            }
        }
        tracing::Span::current().record(
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

    /// Appends one received chunk, within the size limit and the announced
    /// length, and reports progress.
    async fn write_chunk(
        &self,
        attempt: &Attempt<'_>,
        status: u16,
        chunk: &[u8],
        partial: &mut Partial,
    ) -> Result<(), Error> {
        let label = attempt.label;
        let received = partial
            .written
            .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        self.within_download_limit(label, status, Some(received))?;
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
            .write_all(chunk)
            .await
            .map_err(|e| Error::io("writing the download", e, Sent::Sent))?;
        partial.written = received;
        partial.write_behind().await?;
        if let Some(progress) = attempt.progress {
            progress(Progress {
                bytes: partial.written,
                total: partial.total,
            });
        }
        Ok(())
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

fn transient(failure: Failure) -> AttemptEnd {
    AttemptEnd::Transient(Err(failure))
}

fn buffer_head(status: StatusCode, headers: HeaderMap) -> Response {
    Response::new(status, headers, bytes::Bytes::new())
}
