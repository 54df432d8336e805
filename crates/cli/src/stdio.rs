//! Writing to stdout and stderr without panicking when they are closed.
//!
//! `println!` and `eprintln!` panic when the other end of a pipe has gone
//! (`motionkit list | head -1`: EPIPE). Every line of the CLI goes through
//! [`out`] and [`err`] instead. The first write that finds its stream
//! closed marks the run as cut off ([`closed`]); the command is then
//! dropped (see [`crate::main`], which waits on [`wait_closed`]) and the
//! process exits quietly with [`CLOSED_EXIT`], the status a shell reports
//! for a program that SIGPIPE ended (128 + 13), as `cat` or `grep` would.
//! Other write errors are ignored: there is nowhere left to report them.

use std::io::Write as _;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// The exit code when stdout or stderr was closed: 128 + SIGPIPE.
pub const CLOSED_EXIT: u8 = 141;

static CLOSED: AtomicBool = AtomicBool::new(false);
static CLOSED_NOTIFY: LazyLock<Notify> = LazyLock::new(Notify::new);

/// True once a write found stdout or stderr closed.
pub fn closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Resolves once a write found stdout or stderr closed.
pub async fn wait_closed() {
    if !closed() {
        CLOSED_NOTIFY.notified().await;
    }
}

fn mark(result: std::io::Result<()>) {
    if let Err(e) = result
        && e.kind() == std::io::ErrorKind::BrokenPipe
        && !CLOSED.swap(true, Ordering::SeqCst)
    {
        // A permit for the one waiter, even if it is not waiting yet.
        CLOSED_NOTIFY.notify_one();
    }
}

/// Writes `text` and a newline on stdout.
pub fn out(text: impl std::fmt::Display) {
    out_bytes(format!("{text}\n").as_bytes());
}

/// Writes `bytes` as they are on stdout (completions, man pages).
pub fn out_bytes(bytes: &[u8]) {
    if closed() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    mark(stdout.write_all(bytes).and_then(|()| stdout.flush()));
}

/// Writes `text` and a newline on stderr.
pub fn err(text: impl std::fmt::Display) {
    err_raw(format_args!("{text}\n"));
}

/// Writes `text` on stderr without a newline (a prompt).
pub fn err_raw(text: std::fmt::Arguments<'_>) {
    if closed() {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    mark(stderr.write_fmt(text).and_then(|()| stderr.flush()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_errors_do_not_mark_the_run_cut_off() {
        mark(Err(std::io::Error::other("disk full")));
        assert!(!closed());
        mark(Ok(()));
        assert!(!closed());
    }
}
