//! Upload bodies: counted and paced as they arrive, copied to a file, cut
//! part-way when the faults file says so; and the single `PUT` of a whole
//! object.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::StreamExt as _;
use tokio::io::AsyncWriteExt as _;

use super::{
    IO_CHUNK, content_length, content_type, now_secs, object_resource, refused, xml_error,
};
use crate::deepmotion::{Inner, now_ms};

/// Counts upload body bytes as they arrive and paces them to the upload
/// rate, when one is set.
pub(super) struct Intake<'a> {
    inner: &'a Inner,
    started: tokio::time::Instant,
}

impl<'a> Intake<'a> {
    pub(super) fn new(inner: &'a Inner) -> Self {
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

/// How a body copy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyEnd {
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
pub(super) async fn copy_body(
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
pub(super) fn upload_cut(inner: &Inner, len: Option<u64>) -> Option<u64> {
    let rate = inner.config.faults.file.upload_drop_rate;
    if rate <= 0.0 || inner.config.faults.draw() >= rate {
        return None;
    }
    Some(inner.config.faults.below(len.unwrap_or(64 * 1024).max(1)))
}

/// Reads and drops a request body (bounded), so the connection stays usable.
pub(super) async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > 64 * 1024 * 1024 {
            break;
        }
    }
}

pub(super) async fn single_put(
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
