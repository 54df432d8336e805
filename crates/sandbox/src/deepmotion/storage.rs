//! The signed storage URLs, served the way Google Cloud Storage serves them.
//!
//! - `PUT {url}` (URL signed for `PUT`, from `resumable=0`): the whole
//!   object in one request. Streamed to a file; stored only when complete.
//! - `POST {url}` with `x-goog-resumable: start` (URL signed for `POST`,
//!   from `resumable=1`, the default): `201` with `Location: {base}/storage/{key}?upload_id={id}`,
//!   the session URI.
//! - `PUT {session URI}` with `Content-Range: bytes START-END/TOTAL` (or
//!   `/*` while the total is unknown): a chunk. Answers `308` with
//!   `Range: bytes=0-N` (no `Range` while nothing is stored) until the last
//!   chunk, which answers `200` with the object resource. Bytes already
//!   stored are skipped when a chunk overlaps them; a chunk that starts
//!   past the stored bytes stores nothing and gets `308`. As on GCS, only
//!   whole multiples of 256 KiB are kept from a chunk that is not the last.
//! - `PUT {session URI}` with an empty body and `Content-Range: bytes */TOTAL`
//!   (or `*/*`): the status query: `308` (with `Range` when something is
//!   stored), or `200` once complete.
//! - `DELETE {session URI}`: cancels the session (`499`); afterwards, and
//!   after the session's 7 days, the URI answers `410`. An unknown
//!   `upload_id` answers `404`.
//! - `GET`/`HEAD {url}` (URL signed for `GET`): the object, with
//!   `Content-Length`, `ETag`, `Last-Modified`, `Accept-Ranges` and
//!   `Content-Disposition`; a single `Range` (honouring `If-Range`) answers
//!   `206` with `Content-Range`, an unsatisfiable one `416`.
//!
//! Signed URLs bind no `Content-Type`, and `Authorization` and `Cookie`
//! headers are ignored. A bad signature answers `403`, an expired URL
//! `400` (`ExpiredToken`), as GCS does.
//!
//! Faults: `upload_drop_rate` cuts an upload `PUT` part-way (a resumable
//! chunk keeps the received bytes rounded down to 256 KiB) and drops the
//! connection; `download_drop_rate` ends a download body part-way with an
//! error, so the connection closes before `Content-Length` bytes. Faults
//! of the faults file apply under the names `storage_upload` and
//! `storage_download` when named explicitly. `upload_bytes_per_sec` (or
//! [`DeepMotion::set_upload_rate`]) reads upload bodies no faster than
//! that, so that a test can interrupt a large upload half-way.
//!
//! For tests: [`DeepMotion::storage_bytes_received`] counts every upload
//! body byte received, [`DeepMotion::expire_upload_sessions`] ends every
//! open session, and [`DeepMotion::stored_upload`] finds the stored object
//! of a signed upload URL.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use super::signing::{Refusal, query_value};
use super::store::{Object, SessionState, UploadSession};
use super::{DeepMotion, Inner, now_ms};

impl DeepMotion {
    /// Body bytes storage uploads have received since start (single and
    /// resumable `PUT`s, re-sent, skipped and cut-off bytes included).
    pub fn storage_bytes_received(&self) -> u64 {
        self.inner.counters.upload_bytes.load(Ordering::Relaxed)
    }

    /// Reads storage upload bodies at most `bytes_per_sec` fast from now on
    /// (`None`: no limit), as `upload_bytes_per_sec` in the faults file.
    pub fn set_upload_rate(&self, bytes_per_sec: Option<u64>) {
        self.inner
            .upload_rate
            .store(bytes_per_sec.unwrap_or(0), Ordering::Relaxed);
    }

    /// Ends every open resumable upload session now, as if its 7 days had
    /// passed: its URI answers `410 Gone`. Returns how many were open.
    pub fn expire_upload_sessions(&self) -> usize {
        self.inner.store.expire_upload_sessions(now_ms())
    }

    /// Where the complete object uploaded to `upload_url` (a URL `/upload`
    /// gave out) is stored, to compare its bytes.
    pub fn stored_upload(&self, upload_url: &str) -> Option<PathBuf> {
        let url = url::Url::parse(upload_url).ok()?;
        let key = url.path().strip_prefix("/storage/")?;
        let key = super::signing::decode_component(key, false);
        let object = self.inner.store.object(&key).filter(|o| o.complete)?;
        Some(self.inner.store.path(object.file.as_deref()?))
    }
}

/// Counts upload body bytes as they arrive and paces them to the upload
/// rate, when one is set.
struct Intake<'a> {
    inner: &'a Inner,
    started: tokio::time::Instant,
}

impl<'a> Intake<'a> {
    fn new(inner: &'a Inner) -> Self {
        Intake {
            inner,
            started: tokio::time::Instant::now(),
        }
    }

    /// `bytes` more arrived, `so_far` in this body.
    async fn arrived(&self, bytes: u64, so_far: u64) {
        self.inner
            .counters
            .upload_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        let rate = self.inner.upload_rate.load(Ordering::Relaxed);
        if rate > 0 {
            let due = Duration::from_secs_f64(so_far as f64 / rate as f64);
            tokio::time::sleep_until(self.started + due).await;
        }
    }
}

/// Resumable chunks are kept in multiples of this many bytes.
pub const CHUNK_ALIGN: u64 = 256 * 1024;
/// Bytes per file read or write when moving objects: each one is a trip to
/// Tokio's blocking pool, so small ones made large transfers CPU-bound.
const IO_CHUNK: usize = 256 * 1024;
/// Lifetime of a resumable session.
pub const SESSION_LIFETIME_MS: u64 = 7 * 24 * 3600 * 1000;
/// Storage bucket name shown in object resources.
pub const BUCKET: &str = "motionkit-sandbox";

/// A GCS-style XML error.
pub fn xml_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")],
        body,
    )
        .into_response()
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Expired => xml_error(
            StatusCode::BAD_REQUEST,
            "ExpiredToken",
            "The provided token has expired.",
        ),
        Refusal::Missing | Refusal::Mismatch => xml_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
    }
}

fn object_resource(object: &Object) -> Response {
    let body = serde_json::json!({
        "kind": "storage#object",
        "id": format!("{BUCKET}/{}", object.key),
        "name": object.key,
        "bucket": BUCKET,
        "size": object.size.to_string(),
        "contentType": object.content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
        "etag": object.etag,
        "timeCreated": httpdate::fmt_http_date(epoch(object.ctime)),
        "updated": httpdate::fmt_http_date(epoch(object.mtime)),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn epoch(ms: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)
}

fn now_secs() -> u64 {
    now_ms() / 1000
}

/// Every `/storage/{key}` request.
pub async fn storage(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Body,
) -> Response {
    let query = uri.query();
    let download = method == Method::GET || method == Method::HEAD;
    let name = if download {
        "storage_download"
    } else {
        "storage_upload"
    };
    inner.count(name);
    if let Some(response) = inner.inject(name, false).await {
        return response;
    }
    let upload_id = query_value(query, "upload_id");
    match (method, upload_id) {
        (m, _) if m == Method::GET || m == Method::HEAD => {
            download_object(&inner, &key, query, &headers, m == Method::HEAD).await
        }
        (Method::PUT, Some(id)) => resumable_put(&inner, &key, &id, &headers, body).await,
        (Method::DELETE, Some(id)) => cancel(&inner, &key, &id).await,
        (Method::PUT, None) => single_put(&inner, &key, query, &headers, body).await,
        (Method::POST, None) => start_session(&inner, &key, query, &headers),
        _ => xml_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    }
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// How a body copy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyEnd {
    /// The body ended.
    Complete,
    /// Stopped on purpose (fault injection).
    Cut,
    /// The client's stream broke, or sent more than announced.
    Broken,
}

/// Copies the request body into `file` (already positioned), dropping the
/// first `skip` body bytes, stopping after `cut_at` body bytes when set
/// and after more than `max` bytes. Returns the body bytes consumed.
/// Writes are gathered into [`IO_CHUNK`] blocks: each write to a
/// `tokio::fs::File` is a trip to the blocking pool.
async fn copy_body(
    intake: &Intake<'_>,
    body: Body,
    file: &mut tokio::fs::File,
    skip: u64,
    cut_at: Option<u64>,
    max: Option<u64>,
) -> std::io::Result<(u64, BodyEnd)> {
    let mut out = tokio::io::BufWriter::with_capacity(IO_CHUNK, file);
    let copied = copy_chunks(intake, body, &mut out, skip, cut_at, max).await;
    out.flush().await?;
    copied
}

async fn copy_chunks(
    intake: &Intake<'_>,
    body: Body,
    out: &mut (impl tokio::io::AsyncWrite + Unpin),
    skip: u64,
    cut_at: Option<u64>,
    max: Option<u64>,
) -> std::io::Result<(u64, BodyEnd)> {
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    while let Some(chunk) = stream.next().await {
        let Ok(mut chunk) = chunk else {
            return Ok((read, BodyEnd::Broken));
        };
        intake
            .arrived(chunk.len() as u64, read + chunk.len() as u64)
            .await;
        let mut cut = false;
        if let Some(limit) = cut_at {
            let room = limit.saturating_sub(read);
            if (chunk.len() as u64) >= room {
                chunk = chunk.slice(..room as usize);
                cut = true;
            }
        }
        let start = read;
        read += chunk.len() as u64;
        if max.is_some_and(|max| read > max) {
            return Ok((start, BodyEnd::Broken));
        }
        if read > skip {
            let from = skip.saturating_sub(start) as usize;
            out.write_all(&chunk[from..]).await?;
        }
        if cut {
            return Ok((read, BodyEnd::Cut));
        }
    }
    Ok((read, BodyEnd::Complete))
}

/// Where to cut an upload of `len` bytes, when the dice say so.
fn upload_cut(inner: &Inner, len: Option<u64>) -> Option<u64> {
    let rate = inner.config.faults.file.upload_drop_rate;
    if rate <= 0.0 || inner.config.faults.draw() >= rate {
        return None;
    }
    Some(inner.config.faults.below(len.unwrap_or(64 * 1024).max(1)))
}

async fn single_put(
    inner: &Arc<Inner>,
    key: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    if let Err(refusal) = inner.signer.verify("PUT", key, query, now_secs()) {
        return refused(refusal);
    }
    let Some(object) = inner.store.object(key) else {
        return xml_error(StatusCode::NOT_FOUND, "NoSuchKey", "No such upload target.");
    };
    let declared = content_length(headers);
    let cut_at = upload_cut(inner, declared);
    let file_name = inner.store.new_file();
    let path = inner.store.path(&file_name);
    let copied = async {
        let mut file = tokio::fs::File::create(&path).await?;
        let result = copy_body(&Intake::new(inner), body, &mut file, 0, cut_at, declared).await?;
        file.sync_all().await?;
        Ok::<_, std::io::Error>(result)
    }
    .await;
    let outcome = match copied {
        Ok((read, BodyEnd::Complete)) if declared.is_none_or(|d| d == read) => Ok(read),
        Ok((_, BodyEnd::Cut)) => Err(None),
        Ok(_) => Err(Some(xml_error(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        ))),
        Err(e) => Err(Some(xml_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("cannot store the upload: {e}"),
        ))),
    };
    let size = match outcome {
        Ok(size) => size,
        Err(response) => {
            let _ = tokio::fs::remove_file(&path).await;
            return response.unwrap_or_else(|| {
                inner.counters.faults.fetch_add(1, Ordering::Relaxed);
                crate::server::reset()
            });
        }
    };
    let old = inner.store.complete_object(
        key,
        &object.name,
        &file_name,
        size,
        content_type(headers).as_deref(),
        now_ms(),
    );
    if let Some(old) = old {
        let _ = tokio::fs::remove_file(inner.store.path(&old)).await;
    }
    match inner.store.object(key) {
        Some(object) => object_resource(&object),
        None => xml_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "lost"),
    }
}

fn start_session(
    inner: &Arc<Inner>,
    key: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    if let Err(refusal) = inner.signer.verify("POST", key, query, now_secs()) {
        return refused(refusal);
    }
    let starting = headers
        .get("x-goog-resumable")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("start"));
    if !starting {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "A resumable upload starts with a POST carrying the header x-goog-resumable: start.",
        );
    }
    if inner.store.object(key).is_none() {
        return xml_error(StatusCode::NOT_FOUND, "NoSuchKey", "No such upload target.");
    }
    let session = UploadSession {
        id: format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
        key: key.to_owned(),
        file: inner.store.new_file(),
        committed: 0,
        total: None,
        state: SessionState::Active,
        content_type: headers
            .get("x-upload-content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| content_type(headers)),
        expires_ms: now_ms() + SESSION_LIFETIME_MS,
    };
    if let Err(e) = std::fs::File::create(inner.store.path(&session.file)) {
        return xml_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("cannot start the session: {e}"),
        );
    }
    inner.store.insert_upload_session(&session);
    let location = format!(
        "{}/storage/{}?upload_id={}",
        inner.base_url,
        super::signing::encode_key(key),
        session.id
    );
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&session.id) {
        response.headers_mut().insert("x-guploader-uploadid", value);
    }
    response
}

/// A parsed `Content-Range` of a resumable `PUT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentRange {
    /// `bytes */TOTAL` or `bytes */*`.
    Query { total: Option<u64> },
    /// `bytes START-END/TOTAL` or `bytes START-END/*`.
    Chunk {
        start: u64,
        end: u64,
        total: Option<u64>,
    },
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    if range.trim() == "*" {
        return Some(ContentRange::Query { total });
    }
    let (start, end) = range.trim().split_once('-')?;
    let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    if end < start || total.is_some_and(|t| end >= t) {
        return None;
    }
    Some(ContentRange::Chunk { start, end, total })
}

/// `308 Resume Incomplete` with the committed range.
fn incomplete(committed: u64) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
    if committed > 0 {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes=0-{}", committed - 1)) {
            response.headers_mut().insert(header::RANGE, value);
        }
    }
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}

/// Why a session URI no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionProblem {
    /// Never existed: 404.
    Unknown,
    /// Cancelled or expired: 410.
    Gone,
}

impl IntoResponse for SessionProblem {
    fn into_response(self) -> Response {
        match self {
            SessionProblem::Unknown => xml_error(
                StatusCode::NOT_FOUND,
                "NoSuchUpload",
                "No such upload session.",
            ),
            SessionProblem::Gone => xml_error(
                StatusCode::GONE,
                "Gone",
                "The upload session was cancelled or has expired; start a new one.",
            ),
        }
    }
}

fn session_gone(inner: &Inner, key: &str, id: &str) -> Result<UploadSession, SessionProblem> {
    let Some(session) = inner.store.upload_session(id).filter(|s| s.key == key) else {
        return Err(SessionProblem::Unknown);
    };
    if session.state == SessionState::Cancelled
        || (session.state == SessionState::Active && session.expires_ms < now_ms())
    {
        return Err(SessionProblem::Gone);
    }
    Ok(session)
}

async fn cancel(inner: &Arc<Inner>, key: &str, id: &str) -> Response {
    let session = match session_gone(inner, key, id) {
        Ok(session) => session,
        Err(problem) => return problem.into_response(),
    };
    let lock = inner.lock_for(id);
    let _guard = lock.lock().await;
    if session.state == SessionState::Active {
        inner.store.update_upload_session(
            id,
            session.committed,
            session.total,
            SessionState::Cancelled,
        );
        let _ = tokio::fs::remove_file(inner.store.path(&session.file)).await;
    }
    StatusCode::from_u16(499)
        .unwrap_or(StatusCode::BAD_REQUEST)
        .into_response()
}

fn align_down(offset: u64) -> u64 {
    offset / CHUNK_ALIGN * CHUNK_ALIGN
}

async fn resumable_put(
    inner: &Arc<Inner>,
    key: &str,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    if let Err(problem) = session_gone(inner, key, id) {
        return problem.into_response();
    }
    let lock = inner.lock_for(id);
    let _guard = lock.lock().await;
    let session = match session_gone(inner, key, id) {
        Ok(session) => session,
        Err(problem) => return problem.into_response(),
    };
    if session.state == SessionState::Complete {
        drain(body).await;
        return match inner.store.object(key) {
            Some(object) => object_resource(&object),
            None => xml_error(StatusCode::NOT_FOUND, "NoSuchKey", "No such object."),
        };
    }
    let declared = content_length(headers);
    let range = match headers.get(header::CONTENT_RANGE) {
        Some(value) => value.to_str().ok().and_then(parse_content_range),
        // No Content-Range: the whole object in this one request.
        None => match declared {
            Some(0) => Some(ContentRange::Query { total: Some(0) }),
            Some(len) => Some(ContentRange::Chunk {
                start: 0,
                end: len - 1,
                total: Some(len),
            }),
            None => None,
        },
    };
    let Some(range) = range else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Content-Range must be `bytes START-END/TOTAL`, `bytes START-END/*` or `bytes */TOTAL`.",
        );
    };
    let (start, end, total) = match range {
        ContentRange::Query { total } => {
            drain(body).await;
            if let (Some(t), Some(known)) = (total, session.total) {
                if t != known {
                    return xml_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidArgument",
                        "The total size differs from the one given before.",
                    );
                }
            }
            return match total.or(session.total) {
                Some(t) if session.committed >= t => finalize(inner, &session, t).await,
                _ => incomplete(session.committed),
            };
        }
        ContentRange::Chunk { start, end, total } => (start, end, total),
    };
    let len = end - start + 1;
    if declared.is_some_and(|d| d != len) {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Content-Length does not match Content-Range.",
        );
    }
    if let (Some(t), Some(known)) = (total, session.total) {
        if t != known {
            return xml_error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "The total size differs from the one given before.",
            );
        }
    }
    let total = total.or(session.total);
    let committed = session.committed;
    if start > committed {
        // A gap: nothing can be stored; tell the client where to resume.
        drain(body).await;
        return incomplete(committed);
    }
    let skip = committed - start;
    let cut_at = upload_cut(inner, Some(len));
    let copied = async {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(inner.store.path(&session.file))
            .await?;
        file.seek(std::io::SeekFrom::Start(committed)).await?;
        let intake = Intake::new(inner);
        let result = copy_body(&intake, body, &mut file, skip, cut_at, Some(len)).await?;
        file.sync_data().await?;
        Ok::<_, std::io::Error>(result)
    }
    .await;
    let (read, end_kind) = match copied {
        Ok(result) => result,
        Err(e) => {
            return xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("cannot store the chunk: {e}"),
            );
        }
    };
    let received_end = start + read;
    let whole = end_kind == BodyEnd::Complete && read == len;
    if whole && total == Some(end + 1) {
        inner
            .store
            .update_upload_session(id, end + 1, total, SessionState::Active);
        let session = UploadSession {
            committed: end + 1,
            total,
            ..session
        };
        return finalize(inner, &session, end + 1).await;
    }
    let new_committed = align_down(received_end).max(committed);
    inner
        .store
        .update_upload_session(id, new_committed, total, SessionState::Active);
    match end_kind {
        _ if whole => incomplete(new_committed),
        BodyEnd::Cut => {
            inner.counters.faults.fetch_add(1, Ordering::Relaxed);
            crate::server::reset()
        }
        _ => xml_error(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "The chunk ended before Content-Range said it would.",
        ),
    }
}

async fn finalize(inner: &Arc<Inner>, session: &UploadSession, total: u64) -> Response {
    let source = inner.store.path(&session.file);
    let done = async {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&source)
            .await?;
        file.set_len(total).await?;
        file.sync_all().await?;
        let object_file = inner.store.new_file();
        tokio::fs::rename(&source, inner.store.path(&object_file)).await?;
        Ok::<_, std::io::Error>(object_file)
    }
    .await;
    let object_file = match done {
        Ok(file) => file,
        Err(e) => {
            return xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("cannot finish the upload: {e}"),
            );
        }
    };
    let name = inner
        .store
        .object(&session.key)
        .map(|o| o.name)
        .unwrap_or_else(|| session.key.rsplit('/').next().unwrap_or("").to_owned());
    let old = inner.store.complete_object(
        &session.key,
        &name,
        &object_file,
        total,
        session.content_type.as_deref(),
        now_ms(),
    );
    if let Some(old) = old {
        let _ = tokio::fs::remove_file(inner.store.path(&old)).await;
    }
    inner
        .store
        .update_upload_session(&session.id, total, Some(total), SessionState::Complete);
    match inner.store.object(&session.key) {
        Some(object) => object_resource(&object),
        None => xml_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "lost"),
    }
}

/// Reads and drops a request body (bounded), so the connection stays usable.
async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > 64 * 1024 * 1024 {
            break;
        }
    }
}

/// A `Range` header's single range over `size` bytes: `None` to serve the
/// whole object, `Some(Err(()))` when unsatisfiable.
fn byte_range(value: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 || size == 0 {
            return Some(Err(()));
        }
        return Some(Ok((size.saturating_sub(suffix), size - 1)));
    }
    let start: u64 = first.parse().ok()?;
    let end: Option<u64> = if last.is_empty() {
        None
    } else {
        Some(last.parse().ok()?)
    };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    if start >= size {
        return Some(Err(()));
    }
    Some(Ok((start, end.unwrap_or(size - 1).min(size - 1))))
}

fn guess_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("mp4") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("avi") => "video/x-msvideo",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("glb") => "model/gltf-binary",
        Some("gltf") => "model/gltf+json",
        _ => "application/octet-stream",
    }
}

async fn download_object(
    inner: &Arc<Inner>,
    key: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    head: bool,
) -> Response {
    if let Err(refusal) = inner.signer.verify("GET", key, query, now_secs()) {
        return refused(refusal);
    }
    let Some((object, file)) = inner
        .store
        .object(key)
        .filter(|o| o.complete)
        .and_then(|o| o.file.clone().map(|f| (o, f)))
    else {
        return xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let size = object.size;
    let etag = format!("\"{}\"", object.etag.clone().unwrap_or_default());
    let last_modified = httpdate::fmt_http_date(epoch(object.mtime));
    let if_range_ok = match headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(validator) => validator.trim() == etag || validator.trim() == last_modified,
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .and_then(|v| byte_range(v, size));
    let mut response = Response::new(Body::empty());
    let (start, len) = match range {
        None => {
            *response.status_mut() = StatusCode::OK;
            (0, size)
        }
        Some(Ok((start, end))) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            (start, end - start + 1)
        }
        Some(Err(())) => {
            let mut response = xml_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range cannot be satisfied.",
            );
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let content_type = object
        .content_type
        .clone()
        .unwrap_or_else(|| guess_type(&object.name).to_owned());
    let file_name = object.name.replace(['"', '\\', '\r', '\n'], "_");
    let headers_out = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_LENGTH, len.to_string()),
        (header::ETAG, etag),
        (header::LAST_MODIFIED, last_modified),
        (header::ACCEPT_RANGES, "bytes".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers_out.insert(name, value);
        }
    }
    if head {
        return response;
    }
    let mut opened = match tokio::fs::File::open(inner.store.path(&file)).await {
        Ok(file) => file,
        Err(e) => {
            return xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("cannot read the object: {e}"),
            );
        }
    };
    if opened.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return xml_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "seek");
    }
    let rate = inner.config.faults.file.download_drop_rate;
    let cut = (len > 0 && rate > 0.0 && inner.config.faults.draw() < rate)
        .then(|| inner.config.faults.below(len));
    let stream = match cut {
        None => tokio_util::io::ReaderStream::with_capacity(opened.take(len), IO_CHUNK).boxed(),
        Some(at) => {
            inner.counters.faults.fetch_add(1, Ordering::Relaxed);
            tokio_util::io::ReaderStream::with_capacity(opened.take(at), IO_CHUNK)
                .chain(futures::stream::once(async {
                    Err::<Bytes, _>(std::io::Error::other("sandbox: download cut on purpose"))
                }))
                .boxed()
        }
    };
    *response.body_mut() = Body::from_stream(stream);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 0-9/20"),
            Some(ContentRange::Chunk {
                start: 0,
                end: 9,
                total: Some(20)
            })
        );
        assert_eq!(
            parse_content_range("bytes 10-19/*"),
            Some(ContentRange::Chunk {
                start: 10,
                end: 19,
                total: None
            })
        );
        assert_eq!(
            parse_content_range("bytes */20"),
            Some(ContentRange::Query { total: Some(20) })
        );
        assert_eq!(
            parse_content_range("bytes */*"),
            Some(ContentRange::Query { total: None })
        );
        assert_eq!(parse_content_range("bytes 5-4/20"), None);
        assert_eq!(parse_content_range("bytes 0-20/20"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=0-", 10), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=3-5", 10), Some(Ok((3, 5))));
        assert_eq!(byte_range("bytes=3-50", 10), Some(Ok((3, 9))));
        assert_eq!(byte_range("bytes=-4", 10), Some(Ok((6, 9))));
        assert_eq!(byte_range("bytes=-40", 10), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=10-", 10), Some(Err(())));
        assert_eq!(byte_range("bytes=0-1,3-4", 10), None);
        assert_eq!(byte_range("bytes=x-", 10), None);
        assert_eq!(align_down(CHUNK_ALIGN * 2 + 5), CHUNK_ALIGN * 2);
    }
}
