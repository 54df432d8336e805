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
//!
//! `upload` reads request bodies (pacing, cut faults) and serves the
//! single `PUT`; `resumable` the session protocol; `download` `GET` and
//! `HEAD` with ranges. What they share is here.

mod download;
mod resumable;
mod upload;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::signing::{Refusal, query_value};
use super::store::Object;
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

/// Bytes per file read or write when moving objects: each one is a trip to
/// Tokio's blocking pool, so small ones made large transfers CPU-bound.
const IO_CHUNK: usize = 256 * 1024;
/// Storage bucket name shown in object resources.
const BUCKET: &str = "motionkit-sandbox";

/// A GCS-style XML error.
pub(super) fn xml_error(status: StatusCode, code: &str, message: &str) -> Response {
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
pub(super) async fn storage(
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
            download::download_object(&inner, &key, query, &headers, m == Method::HEAD).await
        }
        (Method::PUT, Some(id)) => {
            resumable::resumable_put(&inner, &key, &id, &headers, body).await
        }
        (Method::DELETE, Some(id)) => resumable::cancel(&inner, &key, &id).await,
        (Method::PUT, None) => upload::single_put(&inner, &key, query, &headers, body).await,
        (Method::POST, None) => resumable::start_session(&inner, &key, query, &headers),
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
