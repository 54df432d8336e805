//! The state of a download across attempts: the part file being written
//! (handed to the disk in the background as it grows), how much is there,
//! and what the server said about the whole.

use std::io::SeekFrom;

use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::error::{Error, Sent};

/// Received bytes between two write-behind hints (see [`Writeback`]).
const WRITE_BEHIND_BYTES: u64 = 32 * 1024 * 1024;

/// State of a download across attempts.
pub(crate) struct Partial {
    /// Flushed before every truncation, resume and the final sync.
    pub(crate) file: BufWriter<tokio::fs::File>,
    pub(crate) written: u64,
    pub(crate) total: Option<u64>,
    pub(crate) validator: Option<reqwest::header::HeaderValue>,
    pub(crate) name: Option<String>,
    pub(crate) resumed: u32,
    pub(crate) restarted: u32,
    pub(crate) writeback: Writeback,
}

/// Starts writing what has been received to the disk while the transfer
/// goes on, so that the final fsync waits for the last few MiB rather than
/// for the whole file (on a machine with much memory the kernel would
/// otherwise keep a 1 GiB download dirty in its cache until that fsync).
///
/// On Linux the hint is `posix_fadvise(POSIX_FADV_DONTNEED)` over the range
/// written since the last one: the kernel starts writing those pages back
/// without waiting for them and without a journal commit, and drops pages
/// already on disk from its cache. An `fdatasync` every 32 MiB did the
/// same job but stalled the writes behind it, by up to 1 s per GiB (see
/// docs/BENCHMARKS.md, "Downloads at the speed of curl"). Elsewhere there
/// is no hint and the final fsync does all the work.
#[derive(Default)]
pub(crate) struct Writeback {
    running: Option<tokio::task::JoinHandle<()>>,
    started_at: u64,
}

impl Partial {
    /// Hints every [`WRITE_BEHIND_BYTES`] that the range written since the
    /// last hint can go to the disk (see [`Writeback`]); one hint at a
    /// time, on the blocking pool. A hint that fails changes nothing: the
    /// final, awaited fsync makes the file durable.
    pub(crate) async fn write_behind(&mut self) -> Result<(), Error> {
        let writeback = &mut self.writeback;
        if !cfg!(target_os = "linux")
            || self.written < writeback.started_at + WRITE_BEHIND_BYTES
            || writeback.running.as_ref().is_some_and(|r| !r.is_finished())
        {
            return Ok(());
        }
        let io = |e| Error::io("writing the download", e, Sent::Sent);
        // Hands the buffered bytes to the kernel (no disk wait), so that
        // the hinted range is all there.
        self.file.flush().await.map_err(io)?;
        let file = self.file.get_ref().try_clone().await.map_err(io)?;
        let file = file.into_std().await;
        let (from, to) = (writeback.started_at, self.written);
        writeback.running = Some(tokio::task::spawn_blocking(move || {
            hint_write_behind(&file, from, to);
        }));
        writeback.started_at = self.written;
        Ok(())
    }

    pub(crate) async fn truncate(&mut self, context: &str) -> Result<(), Error> {
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

/// Asks the kernel to start writing `[from, to)` of `file` to the disk.
#[cfg(target_os = "linux")]
fn hint_write_behind(file: &std::fs::File, from: u64, to: u64) {
    let Some(len) = std::num::NonZeroU64::new(to.saturating_sub(from)) else {
        return;
    };
    if let Err(e) = rustix::fs::fadvise(file, from, Some(len), rustix::fs::Advice::DontNeed) {
        tracing::debug!(error = %e, "write-behind hint for the download failed");
    }
}

#[cfg(not(target_os = "linux"))]
fn hint_write_behind(_file: &std::fs::File, _from: u64, _to: u64) {}

/// `Content-Range: bytes START-END/TOTAL` → (START, TOTAL if known).
pub(crate) fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = if total.trim() == "*" {
        None
    } else {
        Some(total.trim().parse().ok()?)
    };
    Some((start.trim().parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

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
