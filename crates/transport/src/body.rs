//! Request bodies and transfer progress.
//!
//! A body is either replayable (bytes, or a byte range of a file that is
//! re-opened and seeked for every attempt) or a one-shot stream. A one-shot
//! stream is sent at most once: the transport never retries it, rather than
//! re-sending it empty.

use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{Stream, TryStreamExt};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::error::{Error, Sent};

/// Size of the reads that feed a file upload; with the socket's
/// backpressure this bounds the memory an upload uses.
///
/// Every read of a `tokio::fs::File` is a trip to the blocking thread
/// pool: at 64 KiB a 1 GiB upload took 16,384 of them and about 45,000
/// context switches. 256 KiB makes four times fewer trips (about 17,000
/// context switches) and still reports progress often on slow links.
pub const FILE_READ_CHUNK: usize = 256 * 1024;

/// How far a transfer has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file handed to the network (uploads) or written to
    /// disk (downloads). After a fault an upload may go back to the offset
    /// the server has committed.
    pub bytes: u64,
    /// Total size, when known.
    pub total: Option<u64>,
}

/// A progress callback. It is called from the transfer task for every read
/// of up to 256 KiB, so it must be cheap (update an
/// atomic, send on a channel with `try_send`, ...).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

type OneShotStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A request body.
pub struct Body {
    kind: Kind,
    content_type: Option<String>,
}

enum Kind {
    Empty,
    Bytes(Bytes),
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    OneShot(Mutex<Option<OneShotStream>>),
}

impl Body {
    /// No body.
    pub fn empty() -> Self {
        Body {
            kind: Kind::Empty,
            content_type: None,
        }
    }

    /// Bytes held in memory (replayable).
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Body {
            kind: Kind::Bytes(bytes.into()),
            content_type: None,
        }
    }

    /// `value` as JSON, with `Content-Type: application/json` (replayable).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::config(format!("request body cannot be encoded as JSON: {e}")))?;
        Ok(Body::bytes(bytes).content_type("application/json"))
    }

    /// `len` bytes of the file at `path` starting at `offset`, streamed
    /// from disk; the file is re-opened and seeked for every attempt.
    pub fn file_range(path: impl AsRef<Path>, offset: u64, len: u64) -> Self {
        Body {
            kind: Kind::File {
                path: path.as_ref().to_owned(),
                offset,
                len,
            },
            content_type: None,
        }
    }

    /// A stream that can be sent only once. Requests with such a body are
    /// never retried.
    pub fn one_shot<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        Body {
            kind: Kind::OneShot(Mutex::new(Some(Box::pin(stream)))),
            content_type: None,
        }
    }

    /// Sets the `Content-Type` header sent with this body.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Whether the body can be sent again after a failed attempt.
    pub fn is_replayable(&self) -> bool {
        match &self.kind {
            Kind::Empty | Kind::Bytes(_) | Kind::File { .. } => true,
            Kind::OneShot(stream) => stream.lock().unwrap_or_else(|p| p.into_inner()).is_some(),
        }
    }

    /// Length in bytes, when known in advance.
    pub fn len(&self) -> Option<u64> {
        match &self.kind {
            Kind::Empty => Some(0),
            Kind::Bytes(bytes) => u64::try_from(bytes.len()).ok(),
            Kind::File { len, .. } => Some(*len),
            Kind::OneShot(_) => None,
        }
    }

    /// True for a body of known length zero.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    pub(crate) fn content_type_header(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body for one attempt; `None` when a one-shot stream was already
    /// used.
    pub(crate) async fn for_attempt(&self, meter: &Meter) -> Result<Option<reqwest::Body>, Error> {
        meter.start_attempt();
        match &self.kind {
            Kind::Empty => Ok(Some(reqwest::Body::from(Bytes::new()))),
            Kind::Bytes(bytes) => Ok(Some(reqwest::Body::from(bytes.clone()))),
            Kind::File { path, offset, len } => {
                let mut file = tokio::fs::File::open(path).await.map_err(|e| {
                    Error::io(format!("opening {}", path.display()), e, Sent::NotSent)
                })?;
                file.seek(SeekFrom::Start(*offset)).await.map_err(|e| {
                    Error::io(format!("seeking {}", path.display()), e, Sent::NotSent)
                })?;
                let meter = meter.clone();
                let stream = ReaderStream::with_capacity(file.take(*len), FILE_READ_CHUNK)
                    .inspect_ok(move |chunk| meter.advance(chunk.len()));
                Ok(Some(reqwest::Body::wrap_stream(stream)))
            }
            Kind::OneShot(slot) => {
                let stream = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                Ok(stream.map(|s| {
                    let meter = meter.clone();
                    reqwest::Body::wrap_stream(
                        s.inspect_ok(move |chunk| meter.advance(chunk.len())),
                    )
                }))
            }
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Empty => "empty".to_owned(),
            Kind::Bytes(bytes) => format!("{} bytes", bytes.len()),
            Kind::File { path, offset, len } => {
                format!("{} [{offset}..{})", path.display(), offset + len)
            }
            Kind::OneShot(_) => "one-shot stream".to_owned(),
        };
        f.debug_struct("Body")
            .field("kind", &kind)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Counts bytes handed to the network: feeds the progress callback and the
/// stall watchdog.
#[derive(Clone, Default)]
pub(crate) struct Meter {
    /// Bytes of the current attempt.
    attempt: Arc<AtomicU64>,
    /// Bytes of all attempts; only grows, so the stall watchdog sees any
    /// movement.
    all: Arc<AtomicU64>,
    /// Attempts that built a body from this meter.
    attempts: Arc<AtomicU32>,
    base: u64,
    total: Option<u64>,
    progress: Option<ProgressFn>,
}

impl Meter {
    /// A meter whose progress reports start at `base` bytes of `total`.
    pub(crate) fn new(base: u64, total: Option<u64>, progress: Option<ProgressFn>) -> Self {
        Meter {
            base,
            total,
            progress,
            ..Meter::default()
        }
    }

    fn start_attempt(&self) {
        self.attempt.store(0, Ordering::Relaxed);
        self.attempts.fetch_add(1, Ordering::Relaxed);
    }

    /// How many attempts built a body from this meter.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    pub(crate) fn advance(&self, bytes: usize) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        self.all.fetch_add(bytes, Ordering::Relaxed);
        let moved = self.attempt.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(progress) = &self.progress {
            progress(Progress {
                bytes: self.base + moved,
                total: self.total,
            });
        }
    }

    /// Bytes moved so far, over all attempts.
    pub(crate) fn moved(&self) -> u64 {
        self.all.load(Ordering::Relaxed)
    }
}
