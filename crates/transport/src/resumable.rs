//! The resumable-upload protocol's small pieces, shared by an upload in
//! progress ([`crate::upload`]) and one resumed from an earlier process
//! ([`crate::resume`]): the status query (`Content-Range: bytes */SIZE`),
//! the committed offset a `308` reports, and the final size check.

use motionkit_models::Method;
use reqwest::header::{CONTENT_RANGE, HeaderMap, HeaderValue, RANGE};
use url::Url;

use crate::body::Body;
use crate::call::Call;
use crate::error::{Error, Sent};
use crate::response::Response;

pub(crate) fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The next offset a `308` asks for: `Range: bytes=0-N` means N+1; no
/// `Range` means nothing is stored.
fn committed_offset(response: &Response) -> Option<u64> {
    let Some(range) = response.headers().get(RANGE) else {
        return Some(0);
    };
    let (start, end) = range
        .to_str()
        .ok()?
        .trim()
        .strip_prefix("bytes=")?
        .split_once('-')?;
    if start.trim() != "0" {
        return None;
    }
    end.trim().parse::<u64>().ok()?.checked_add(1)
}

/// The `size` a storage service reports in its final answer, if any.
fn reported_size(response: &Response) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(response.body()).ok()?;
    match value.get("size")? {
        serde_json::Value::String(text) => text.parse().ok(),
        serde_json::Value::Number(number) => number.as_u64(),
        _ => None,
    }
}

pub(crate) fn status_query(session: &Url, total: u64) -> Call {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_RANGE, header(&format!("bytes */{total}")));
    Call::absolute(Method::Put, session.clone(), headers, Body::empty())
}

/// Checks a final answer (`200`/`201`) against the file: the size the
/// storage reports must be the file's, and without one, every byte must
/// have been sent (`sent_end`).
pub(crate) fn check_final_size(
    request: &str,
    response: &Response,
    total: u64,
    sent_end: u64,
) -> Result<(), Error> {
    let claimed_end = sent_end;
    let stored = reported_size(response);
    match stored {
        Some(size) if size == total && claimed_end >= total => Ok(()),
        None if claimed_end >= total => Ok(()),
        _ => Err(Error::Protocol {
            request: request.to_owned(),
            message: format!(
                "upload finished with {} of {total} bytes stored",
                stored.map_or_else(|| format!("up to {claimed_end}"), |s| s.to_string())
            ),
            sent: Sent::Sent,
        }),
    }
}

/// The offset a `308` says the storage holds, checked against what it
/// held before (`committed`: a storage never forgets committed bytes within
/// a session) and what it can hold (`sent_end`: the end of the furthest
/// chunk sent; the whole file when going on with another process's
/// session).
///
/// # Errors
///
/// [`Error::Protocol`] when the `Range` header is missing its start at 0,
/// malformed, beyond `total`, beyond what was sent, or behind what the
/// storage had already committed.
pub(crate) fn committed_after_308(
    request: &str,
    response: &Response,
    total: u64,
    committed: u64,
    sent_end: u64,
) -> Result<u64, Error> {
    let protocol = |message: String| Error::Protocol {
        request: request.to_owned(),
        message,
        sent: Sent::Sent,
    };
    let next = committed_offset(response)
        .filter(|next| *next <= total)
        .ok_or_else(|| {
            protocol(format!(
                "308 with an invalid Range header for a {total}-byte upload"
            ))
        })?;
    if next > sent_end {
        return Err(protocol(format!(
            "308 claims {next} bytes stored but only {sent_end} were sent; the storage's \
             answer cannot be trusted and the upload is stopped"
        )));
    }
    if next < committed {
        return Err(protocol(format!(
            "308 says {next} bytes stored after it had confirmed {committed}; the storage lost \
             committed bytes and the upload is stopped"
        )));
    }
    Ok(next)
}
