//! Downloads streamed to disk, atomically.
//!
//! Bytes go to a temporary file in the target directory; only a complete,
//! fsynced file is renamed to its final name, so an interrupted download
//! never leaves anything at the final path. A broken transfer resumes with
//! `Range` when the server answers `206`, and starts over on `200`.
//!
//! Names given by a server go through [`sanitize_file_name`], so nothing is
//! written outside the target directory.

use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use motionkit_validation::{Rule, Violation, Violations};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_DISPOSITION, CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio::time::Instant;
use tracing::Instrument as _;
use url::Url;

use crate::body::{Progress, ProgressFn};
use crate::client::{Failure, Response, Transport, http_error, parse_absolute};
use crate::error::{Error, Sent};
use crate::redact::redact_parsed;
use crate::retry::is_transient_status;

/// Longest file name produced by [`sanitize_file_name`], in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 200;

/// Received bytes are gathered into writes of this size. Every write to a
/// `tokio::fs::File` is a trip to the blocking thread pool; writing each
/// network chunk (often a few KiB) on its own made downloads spend their
/// time switching threads, well below the speed of `curl -o`.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// Received bytes between two background syncs (see [`Writeback`]).
const WRITE_BEHIND_BYTES: u64 = 32 * 1024 * 1024;

/// Names Windows reserves for devices, with or without an extension.
const WINDOWS_RESERVED: [&str; 28] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "COM¹", "COM²",
    "COM³", "LPT¹", "LPT²", "LPT³",
];

/// Turns a name chosen by a server into a safe file name.
///
/// Keeps the last path component only; drops control, NUL and bidi
/// formatting characters; replaces characters Windows forbids
/// (`<>:"|?*`) with `_`; collapses runs of dots (so no `..` remains);
/// trims dots and spaces from both ends; prefixes Windows device names
/// (`CON`, `NUL`, `COM1`, ...) with `_`; and bounds the result to
/// [`MAX_FILE_NAME_BYTES`], keeping a short extension. The result is never
/// empty, `.` or `..`, and contains no separator: joined to a directory it
/// stays inside it. A name with nothing usable left is an
/// [`Error::Validation`].
pub fn sanitize_file_name(name: &str) -> Result<String, Error> {
    let last = name
        .split(['/', '\\'])
        .rev()
        .find(|part| {
            !part
                .trim_matches(|c: char| c == '.' || c.is_whitespace())
                .is_empty()
        })
        .unwrap_or("");
    let mut cleaned = String::with_capacity(last.len());
    for ch in last.chars() {
        if ch.is_control() || is_invisible_format(ch) {
            continue;
        }
        let ch = if matches!(ch, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
            '_'
        } else {
            ch
        };
        if ch == '.' && cleaned.ends_with('.') {
            continue;
        }
        cleaned.push(ch);
    }
    let mut cleaned = trim_name(&cleaned).to_owned();
    if cleaned.is_empty() {
        return Err(invalid_name(name));
    }
    if is_device_name(&cleaned) {
        cleaned.insert(0, '_');
    }
    if cleaned.len() > MAX_FILE_NAME_BYTES {
        cleaned = shorten(&cleaned);
        // Cutting and trimming can leave a device name (`LPT2` + spaces + more);
        // such a result is short, so the prefix keeps it within the bound.
        if is_device_name(&cleaned) {
            cleaned.insert(0, '_');
        }
    }
    Ok(cleaned)
}

/// True when `name`, before its first dot, is a Windows device name.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end();
    WINDOWS_RESERVED
        .iter()
        .any(|reserved| stem.eq_ignore_ascii_case(reserved) || stem == *reserved)
}

fn trim_name(name: &str) -> &str {
    name.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Zero-width and bidirectional formatting characters that make a name
/// display differently from what it is.
fn is_invisible_format(ch: char) -> bool {
    matches!(ch, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Cuts `name` to [`MAX_FILE_NAME_BYTES`] on a character boundary,
/// keeping an extension of up to 16 bytes.
fn shorten(name: &str) -> String {
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16 && ext.len() < name.len());
    let extension = extension.unwrap_or("");
    let budget = MAX_FILE_NAME_BYTES - extension.len();
    let mut stem_end = budget.min(name.len() - extension.len());
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    let stem = trim_name(&name[..stem_end]);
    let stem = if stem.is_empty() { "_" } else { stem };
    format!("{stem}{extension}")
}

fn invalid_name(name: &str) -> Error {
    Error::Validation(Violations::from(Violation::new(
        "file_name",
        Rule::Syntax,
        name,
        "a file name with at least one character other than dots, spaces, separators and \
         control characters",
    )))
}

/// The name a `Content-Disposition` header suggests (`filename*=` first).
fn content_disposition_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in value.split(';').skip(1) {
        let Some((key, raw)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let raw = raw.trim();
        if key == "filename*" {
            if let Some(encoded) = raw.splitn(3, '\'').nth(2) {
                extended = Some(
                    percent_encoding::percent_decode_str(encoded)
                        .decode_utf8_lossy()
                        .into_owned(),
                );
            }
        } else if key == "filename" {
            plain = Some(raw.trim_matches('"').to_owned());
        }
    }
    extended.or(plain)
}

fn name_from_url(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.rfind(|s| !s.is_empty())?;
    Some(
        percent_encoding::percent_decode_str(segment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// How to download.
#[derive(Clone, Default)]
pub struct DownloadOptions {
    /// File name to save under (sanitised). When `None`: the server's
    /// `Content-Disposition`, then the URL's last path segment, then
    /// `download`, all sanitised.
    pub file_name: Option<String>,
    /// Called as bytes are written.
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("file_name", &self.file_name)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
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
}

/// State of a download across attempts.
struct Partial {
    /// Flushed before every truncation, resume and the final sync.
    file: BufWriter<tokio::fs::File>,
    written: u64,
    total: Option<u64>,
    validator: Option<reqwest::header::HeaderValue>,
    name: Option<String>,
    resumed: u32,
    restarted: u32,
    writeback: Writeback,
}

/// How one attempt ended.
enum AttemptEnd {
    Complete,
    /// Worth retrying; `Err` holds the error to report when giving up.
    Transient(Result<Response, Failure>),
}

/// Syncs what has been received while the transfer goes on, so that the
/// final fsync only waits for the last few MiB rather than for the whole
/// file, which for 1 GiB on a fast link took longer than the transfer.
#[derive(Default)]
struct Writeback {
    running: Option<tokio::task::JoinHandle<()>>,
    started_at: u64,
}

impl Partial {
    /// Starts a background `fdatasync` every [`WRITE_BEHIND_BYTES`], one
    /// at a time. Its errors are left to the final, awaited sync.
    async fn write_behind(&mut self) -> Result<(), Error> {
        let writeback = &mut self.writeback;
        if self.written < writeback.started_at + WRITE_BEHIND_BYTES
            || writeback.running.as_ref().is_some_and(|r| !r.is_finished())
        {
            return Ok(());
        }
        let io = |e| Error::io("writing the download", e, Sent::Sent);
        self.file.flush().await.map_err(io)?;
        let file = self.file.get_ref().try_clone().await.map_err(io)?;
        let file = file.into_std().await;
        writeback.running = Some(tokio::task::spawn_blocking(move || {
            if let Err(e) = file.sync_data() {
                tracing::debug!(error = %e, "background sync of the download failed");
            }
        }));
        writeback.started_at = self.written;
        Ok(())
    }

    async fn truncate(&mut self, context: &str) -> Result<(), Error> {
        let io = |e| Error::io(format!("truncating {context}"), e, Sent::Sent);
        self.file.flush().await.map_err(io)?;
        let file = self.file.get_mut();
        file.set_len(0).await.map_err(io)?;
        file.seek(SeekFrom::Start(0)).await.map_err(io)?;
        self.written = 0;
        self.validator = None;
        self.writeback.started_at = 0;
        Ok(())
    }
}

/// `Content-Range: bytes START-END/TOTAL` → (START, TOTAL if known).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = if total.trim() == "*" {
        None
    } else {
        Some(total.trim().parse().ok()?)
    };
    Some((start.trim().parse().ok()?, total))
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
        let name = options
            .file_name
            .as_deref()
            .map(sanitize_file_name)
            .transpose()?;
        let temp_dir = dir.to_owned();
        let temp = tokio::task::spawn_blocking(move || {
            let mut builder = tempfile::Builder::new();
            builder.prefix(".motionkit-").suffix(".part");
            // Temporary files are private by default; the download is an
            // ordinary file, so it gets the mode the umask gives new files.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            builder.tempfile_in(temp_dir)
        })
        .await
        .map_err(|e| {
            Error::io(
                "creating a temporary file",
                std::io::Error::other(e),
                Sent::NotSent,
            )
        })?
        .map_err(|e| {
            Error::io(
                format!("creating a temporary file in {}", dir.display()),
                e,
                Sent::NotSent,
            )
        })?;
        let (std_file, temp_path) = temp.into_parts();
        let mut partial = Partial {
            file: BufWriter::with_capacity(WRITE_BUFFER_BYTES, tokio::fs::File::from_std(std_file)),
            written: 0,
            total: None,
            validator: None,
            name,
            resumed: 0,
            restarted: 0,
            writeback: Writeback::default(),
        };
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
                .download_attempt(&url, &label, &mut partial, options)
                .instrument(span)
                .await?;
            let fault = match end {
                AttemptEnd::Complete => break,
                AttemptEnd::Transient(fault) => fault,
            };
            if partial.written > written_before {
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
        let final_path = dir.join(&name);
        let target = final_path.clone();
        let dir_owned = dir.to_owned();
        tokio::task::spawn_blocking(move || {
            temp_path.persist(&target).map_err(|e| e.error)?;
            sync_dir(&dir_owned)
        })
        .await
        .map_err(|e| Error::io("saving the download", std::io::Error::other(e), Sent::Sent))?
        .map_err(|e| {
            Error::io(
                format!("moving the download to {}", final_path.display()),
                e,
                Sent::Sent,
            )
        })?;
        Ok(DownloadReport {
            path: final_path,
            bytes: partial.written,
            resumed: partial.resumed,
            restarted: partial.restarted,
        })
    }

    async fn download_attempt(
        &self,
        url: &Url,
        label: &str,
        partial: &mut Partial,
        options: &DownloadOptions,
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
        let sent = tokio::time::timeout(inner.timeouts.attempt, request.send()).await;
        let response = match sent {
            Err(_) => return Ok(transient(Failure::timed_out(started.elapsed()))),
            Ok(Err(error)) => {
                return Ok(transient(Failure::from_reqwest(
                    error,
                    started.elapsed(),
                    false,
                )));
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
                let body = response.bytes().await.unwrap_or_default();
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
        loop {
            let next = tokio::time::timeout(inner.timeouts.transfer_stall, stream.next()).await;
            match next {
                Err(_) => {
                    let mut failure = Failure::timed_out(started.elapsed());
                    failure.sent = Sent::Sent;
                    return Ok(transient(failure));
                }
                Ok(None) => break,
                Ok(Some(Err(error))) => {
                    let mut failure = Failure::from_reqwest(error, started.elapsed(), false);
                    failure.sent = Sent::Sent;
                    return Ok(transient(failure));
                }
                Ok(Some(Ok(chunk))) => {
                    partial
                        .file
                        .write_all(&chunk)
                        .await
                        .map_err(|e| Error::io("writing the download", e, Sent::Sent))?;
                    partial.written += u64::try_from(chunk.len()).unwrap_or(u64::MAX);
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
                failure.outcome = crate::retry::Outcome::ConnectionLost;
                failure.message = format!("body ended at {} of {total} bytes", partial.written);
                failure.sent = Sent::Sent;
                Ok(transient(failure))
            }
            Some(total) if partial.written > total => Err(Error::Protocol {
                request: label.to_owned(),
                message: format!(
                    "received {} bytes, more than the announced {total}",
                    partial.written
                ),
                sent: Sent::Sent,
            }),
            _ => {
                tracing::debug!(bytes = partial.written, "download complete");
                Ok(AttemptEnd::Complete)
            }
        }
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

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names() {
        let ok = |name: &str| sanitize_file_name(name).unwrap();
        assert_eq!(ok("../../etc/passwd"), "passwd");
        assert_eq!(ok("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(ok("/abs/path/out.fbx"), "out.fbx");
        assert_eq!(ok("a..b...fbx"), "a.b.fbx");
        assert_eq!(ok("  .hidden. "), "hidden");
        assert_eq!(ok("CON"), "_CON");
        assert_eq!(ok("nul.txt"), "_nul.txt");
        assert_eq!(ok("com1.tar.gz"), "_com1.tar.gz");
        assert_eq!(ok("console.log"), "console.log");
        assert_eq!(ok("a\0b\u{7}c\u{202E}d.bvh"), "abcd.bvh");
        assert_eq!(ok("what?<is>:this*|\".fbx"), "what__is__this___.fbx");
        assert_eq!(ok("dir/"), "dir");
        for bad in ["", "..", ".", "/", "\\..\\", " . ", "\0\0", "../.."] {
            assert!(sanitize_file_name(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}.fbx", "é".repeat(300));
        let short = ok(&long);
        assert!(short.len() <= MAX_FILE_NAME_BYTES);
        assert!(short.ends_with(".fbx"));
    }

    #[test]
    fn content_disposition_forms() {
        assert_eq!(
            content_disposition_name("attachment; filename=\"a b.fbx\"").as_deref(),
            Some("a b.fbx")
        );
        assert_eq!(
            content_disposition_name(
                "attachment; filename=\"fallback.fbx\"; filename*=UTF-8''%C3%A9t%C3%A9.fbx"
            )
            .as_deref(),
            Some("été.fbx")
        );
        assert_eq!(content_disposition_name("inline"), None);
    }

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

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
