//! The per-user (or, in a folder of the user's choice, system-wide)
//! backend: the shared GCRA state in a small file, read and rewritten under
//! an exclusive OS advisory lock (`flock` on Unix, tried with backoff for
//! at most [`RATE_LIMIT_FILE_LOCK_WAIT`]; `LockFileEx` on Windows, through
//! `fd-lock`).
//!
//! The lock belongs to an open file, not to a lock file on disk: when a
//! holder exits or crashes the OS releases it, so no process can leave the
//! others blocked. A holder keeps it for one read and one write of a few
//! dozen bytes. A file that does not parse (a holder killed in the middle
//! of a write) is read as "the burst is used up", the cautious reading.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::gcra::{Admission, Cell, State, micros, wall_clock_us};

const MAGIC: &str = "motionkit-rate-limit-v1";

/// One origin's state file.
#[derive(Debug)]
pub(crate) struct FileBackend {
    path: PathBuf,
}

impl FileBackend {
    /// The backend for `origin` in `dir`; nothing is touched until the
    /// first request.
    pub(crate) fn new(dir: &Path, origin: &str) -> FileBackend {
        FileBackend {
            path: dir.join(file_name(origin)),
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!("machine-wide rate limit file {}", self.path.display())
    }

    pub(crate) async fn acquire(&self, cell: Cell) -> Result<Admission, String> {
        let path = self.path.clone();
        run_locked(path, move |state, now| state.admit(now, cell)).await
    }

    pub(crate) async fn pause(&self, pause: Duration) -> Result<(), String> {
        let path = self.path.clone();
        run_locked(path, move |state, now| state.pause(now, pause)).await
    }
}

/// `https://api.example.com:8443` → `https_api.example.com_8443.state`:
/// only ASCII letters, digits, `.` and `-` survive, so no origin can name
/// another folder.
fn file_name(origin: &str) -> String {
    let mut name: String = origin
        .replace("://", "_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    name.push_str(".state");
    name
}

async fn run_locked<T: Send + 'static>(
    path: PathBuf,
    step: impl FnOnce(&mut State, u64) -> T + Send + 'static,
) -> Result<T, String> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || locked(&path, step))
        .await
        .map_err(|e| format!("{shown}: {e}"))?
        .map_err(|e| format!("{shown}: {e}"))
}

/// Opens (creating it and its folder when missing), locks, reads, applies
/// `step` at the current wall-clock time, writes back, unlocks.
fn locked<T>(path: &Path, step: impl FnOnce(&mut State, u64) -> T) -> std::io::Result<T> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Never through a link, and only a plain file of this user: the state
    // is rewritten in place, which would truncate whatever a planted link
    // points at.
    let file = crate::save::open_no_follow(path)?;
    if !crate::save::is_own_regular_file(&file.metadata()?) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a plain file of this user (a link, or another user's file); refused",
        ));
    }
    #[cfg(unix)]
    let mut file = {
        lock_within(&file, LOCK_WAIT)?;
        file
    };
    #[cfg(not(unix))]
    let mut lock = fd_lock::RwLock::new(file);
    #[cfg(not(unix))]
    let mut file = lock.write()?;
    let mut text = String::new();
    // A state is one short line; anything longer is not ours.
    let reader: &std::fs::File = &file;
    let _ = reader.take(256).read_to_string(&mut text);
    let now = wall_clock_us();
    let mut state = parse(&text, now);
    let before = state;
    let out = step(&mut state, now);
    if state != before || text.is_empty() {
        let line = format!("{MAGIC} {} {}\n", state.tat_us, state.paused_until_us);
        file.seek(SeekFrom::Start(0))?;
        file.set_len(0)?;
        file.write_all(line.as_bytes())?;
    }
    Ok(out)
}

/// How long a request waits for another process's lock on the state file
/// before treating the store as unavailable. A holder keeps it for a read
/// and a write of a few dozen bytes; one that keeps it longer is stopped
/// (Ctrl-Z, a debugger) or stalled (a network file system).
pub const RATE_LIMIT_FILE_LOCK_WAIT: Duration = Duration::from_secs(2);
const LOCK_WAIT: Duration = RATE_LIMIT_FILE_LOCK_WAIT;

/// Takes the exclusive advisory lock on `file` (released when it is
/// closed), trying with backoff for at most `wait`.
#[cfg(unix)]
fn lock_within(file: &std::fs::File, wait: Duration) -> std::io::Result<()> {
    use rustix::fs::{FlockOperation, flock};
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(1);
    loop {
        match flock(file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                if started.elapsed() >= wait {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::WouldBlock,
                        format!(
                            "another process has held the lock for over {:.0}s (stopped or \
                             stalled?)",
                            wait.as_secs_f64()
                        ),
                    ));
                }
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads a state line; an empty file is a fresh state, anything else that
/// does not parse is a used-up burst.
fn parse(text: &str, now_us: u64) -> State {
    if text.is_empty() {
        return State::default();
    }
    let mut words = text.split_whitespace();
    let parsed = (|| {
        if words.next()? != MAGIC {
            return None;
        }
        let tat_us = words.next()?.parse().ok()?;
        let paused_until_us = words.next()?.parse().ok()?;
        Some(State {
            tat_us,
            paused_until_us,
        })
    })();
    parsed.unwrap_or(State {
        // `admit` clamps this to one interval past a full burst.
        tat_us: now_us.saturating_add(micros(Duration::from_secs(3600))),
        paused_until_us: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CELL: Cell = Cell {
        interval_us: 100_000,
        tolerance_us: 100_000,
    };

    #[test]
    fn file_names_stay_in_their_folder() {
        assert_eq!(
            file_name("https://api.motiondynamic.tech"),
            "https_api.motiondynamic.tech.state"
        );
        assert_eq!(
            file_name("http://127.0.0.1:8080"),
            "http_127.0.0.1_8080.state"
        );
        let odd = file_name("http://../..//etc/passwd");
        assert!(!odd.contains('/'), "{odd}");
    }

    #[tokio::test]
    async fn two_handles_share_one_budget_and_one_pause() {
        let dir = tempfile::tempdir().unwrap();
        let a = FileBackend::new(&dir.path().join("nested"), "http://h:1");
        let b = FileBackend::new(&dir.path().join("nested"), "http://h:1");
        let other = FileBackend::new(&dir.path().join("nested"), "http://h:2");
        assert_eq!(a.acquire(CELL).await.unwrap(), Admission::Go);
        assert_eq!(b.acquire(CELL).await.unwrap(), Admission::Go);
        assert!(matches!(a.acquire(CELL).await.unwrap(), Admission::Wait(_)));
        assert!(matches!(b.acquire(CELL).await.unwrap(), Admission::Wait(_)));
        assert_eq!(other.acquire(CELL).await.unwrap(), Admission::Go);
        a.pause(Duration::from_secs(30)).await.unwrap();
        match b.acquire(CELL).await.unwrap() {
            Admission::Wait(wait) => assert!(wait > Duration::from_secs(29), "{wait:?}"),
            Admission::Go => panic!("the pause was not shared"),
        }
        assert_eq!(other.acquire(CELL).await.unwrap(), Admission::Go);
    }

    #[tokio::test]
    async fn a_torn_file_is_read_cautiously_and_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let backend = FileBackend::new(dir.path(), "http://h:1");
        std::fs::write(
            dir.path().join(file_name("http://h:1")),
            "motionkit-rate-li",
        )
        .unwrap();
        match backend.acquire(CELL).await.unwrap() {
            Admission::Wait(wait) => assert!(wait <= Duration::from_millis(200), "{wait:?}"),
            Admission::Go => panic!("a torn file must not grant a fresh burst"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(backend.acquire(CELL).await.unwrap(), Admission::Go);
        let text = std::fs::read_to_string(dir.path().join(file_name("http://h:1"))).unwrap();
        assert!(text.starts_with(MAGIC), "{text}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_holder_that_never_lets_go_makes_the_store_unavailable_not_hung() {
        let dir = tempfile::tempdir().unwrap();
        let backend = FileBackend::new(dir.path(), "http://h:1");
        assert_eq!(backend.acquire(CELL).await.unwrap(), Admission::Go);
        // Another process, stopped while holding the lock.
        let held = std::fs::File::open(dir.path().join(file_name("http://h:1"))).unwrap();
        rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
        let started = std::time::Instant::now();
        let refused = backend.acquire(CELL).await.unwrap_err();
        let took = started.elapsed();
        assert!(refused.contains("held the lock"), "{refused}");
        assert!(took >= LOCK_WAIT && took < LOCK_WAIT * 3, "{took:?}");
        drop(held);
        assert!(backend.acquire(CELL).await.is_ok());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_link_planted_at_the_state_file_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("precious.txt");
        std::fs::write(&target, "the user's data").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(file_name("http://h:1"))).unwrap();
        let backend = FileBackend::new(dir.path(), "http://h:1");
        let refused = backend.acquire(CELL).await.unwrap_err();
        assert!(refused.contains("h_1.state"), "{refused}");
        backend.pause(Duration::from_secs(30)).await.unwrap_err();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "the user's data");
    }

    #[tokio::test]
    async fn an_unwritable_folder_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let backend = FileBackend::new(&blocker.join("sub"), "http://h:1");
        assert!(backend.acquire(CELL).await.is_err());
    }
}
