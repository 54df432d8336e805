//! Reading response bodies into memory, bounded in size and in time.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

/// What to do when a body is longer than its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cap {
    /// The body is an answer the caller needs whole: longer is an error.
    Whole(u64),
    /// Only the first bytes matter (an error message, a file header): keep
    /// that many and stop reading.
    Head(u64),
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Longer than a [`Cap::Whole`] limit.
    TooLarge { limit: u64 },
    /// No byte arrived for the idle timeout.
    Idle,
    /// The connection failed.
    Network(reqwest::Error),
}

/// Reads `response`'s body up to `cap`, failing when no byte arrives for
/// `idle`. A [`Cap::Whole`] body whose `Content-Length` already exceeds the
/// cap is refused without reading it.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    cap: Cap,
    idle: Duration,
) -> Result<Bytes, ReadError> {
    let limit = match cap {
        Cap::Whole(limit) | Cap::Head(limit) => limit,
    };
    let announced = response.content_length();
    if let (Cap::Whole(limit), Some(length)) = (cap, announced)
        && length > limit
    {
        return Err(ReadError::TooLarge { limit });
    }
    let first = announced.unwrap_or(8 * 1024).min(limit).min(1024 * 1024);
    let mut body = BytesMut::with_capacity(usize::try_from(first).unwrap_or(0));
    loop {
        let chunk = match tokio::time::timeout(idle, response.chunk()).await {
            Err(_) => return Err(ReadError::Idle),
            Ok(Err(error)) => return Err(ReadError::Network(error)),
            Ok(Ok(None)) => return Ok(body.freeze()),
            Ok(Ok(Some(chunk))) => chunk,
        };
        let room = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_sub(body.len());
        if chunk.len() > room {
            match cap {
                Cap::Whole(limit) => return Err(ReadError::TooLarge { limit }),
                Cap::Head(_) => {
                    body.extend_from_slice(&chunk[..room]);
                    return Ok(body.freeze());
                }
            }
        }
        body.extend_from_slice(&chunk);
        if matches!(cap, Cap::Head(_)) && body.len() as u64 >= limit {
            return Ok(body.freeze());
        }
    }
}
