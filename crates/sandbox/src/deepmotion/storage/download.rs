//! `GET` and `HEAD` of a stored object, with a single `Range` (honouring
//! `If-Range`), and downloads cut part-way when the faults file says so.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::{IO_CHUNK, epoch, now_secs, refused, xml_error};
use crate::deepmotion::Inner;

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

pub(super) async fn download_object(
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
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=0-", 10), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=3-5", 10), Some(Ok((3, 5))));
        assert_eq!(byte_range("bytes=3-50", 10), Some(Ok((3, 9))));
        assert_eq!(byte_range("bytes=-4", 10), Some(Ok((6, 9))));
        assert_eq!(byte_range("bytes=-40", 10), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=10-", 10), Some(Err(())));
        assert_eq!(byte_range("bytes=0-1,3-4", 10), None);
        assert_eq!(byte_range("bytes=x-", 10), None);
    }
}
