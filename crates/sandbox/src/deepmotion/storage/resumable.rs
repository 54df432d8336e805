//! Resumable uploads: a `POST` starts a session, `PUT`s with
//! `Content-Range` add chunks or ask how far it got, `DELETE` cancels it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncSeekExt as _;

use super::upload::{BodyEnd, Intake, copy_body, drain, upload_cut};
use super::{content_length, content_type, now_secs, object_resource, refused, xml_error};
use crate::deepmotion::store::{SessionState, UploadSession};
use crate::deepmotion::{Inner, now_ms};

/// Resumable chunks are kept in multiples of this many bytes.
const CHUNK_ALIGN: u64 = 256 * 1024;
/// Lifetime of a resumable session.
const SESSION_LIFETIME_MS: u64 = 7 * 24 * 3600 * 1000;

pub(super) fn start_session(
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
        crate::deepmotion::signing::encode_key(key),
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
    if committed > 0
        && let Ok(value) = HeaderValue::from_str(&format!("bytes=0-{}", committed - 1))
    {
        response.headers_mut().insert(header::RANGE, value);
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

pub(super) async fn cancel(inner: &Arc<Inner>, key: &str, id: &str) -> Response {
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

pub(super) async fn resumable_put(
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
            if let (Some(t), Some(known)) = (total, session.total)
                && t != known
            {
                return xml_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    "The total size differs from the one given before.",
                );
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
    if let (Some(t), Some(known)) = (total, session.total)
        && t != known
    {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "The total size differs from the one given before.",
        );
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
    fn kept_chunks_are_whole_multiples_of_256_kib() {
        assert_eq!(align_down(CHUNK_ALIGN * 2 + 5), CHUNK_ALIGN * 2);
    }
}
