//! The state of a download across attempts: the part file being written
//! (synced in the background as it grows), how much is there, and what the
//! server said about the whole.

use std::io::SeekFrom;

use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::error::{Error, Sent};

/// Received bytes between two background syncs (see [`Writeback`]).
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

/// Syncs what has been received while the transfer goes on, so that the
/// final fsync only waits for the last few MiB rather than for the whole
/// file, which for 1 GiB on a fast link took longer than the transfer.
#[derive(Default)]
pub(crate) struct Writeback {
    running: Option<tokio::task::JoinHandle<()>>,
    started_at: u64,
}

impl Partial {
    /// Starts a background `fdatasync` every [`WRITE_BEHIND_BYTES`], one
    /// at a time. Its errors are left to the final, awaited sync.
    pub(crate) async fn write_behind(&mut self) -> Result<(), Error> {
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
