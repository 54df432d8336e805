//! State of the DeepMotion emulator: one SQLite database plus a folder of
//! stored files.
//!
//! Without `--data-dir` the database is SQLite `:memory:` and the files live
//! in a temporary folder that disappears with the emulator, so memory mode
//! and persistent mode share every line of code. With `--data-dir` the
//! database is `deepmotion.sqlite3` and the files are under
//! `deepmotion-files/`, so a restarted sandbox keeps its uploads, jobs,
//! models, webhooks, sessions, credits and signing key (old links stay
//! valid). Every time is stored as milliseconds since the Unix epoch.
//!
//! This module opens the database and holds what every table shares; the
//! tables' rows and queries live with their resource, as the handlers do:
//! `session`, `storage` (objects and resumable upload sessions), `jobs`
//! (with the credits they are charged), `characters` (custom models) and
//! `webhooks` (endpoints).

mod characters;
mod jobs;
mod session;
mod storage;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

pub(super) use characters::Model;
use jobs::INITIAL_CREDITS;
pub(super) use jobs::{Job, Output};
pub(super) use storage::{Object, SessionState, UploadSession};
pub(super) use webhooks::Webhook;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    file TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    content_type TEXT,
    etag TEXT,
    ctime INTEGER NOT NULL,
    mtime INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS upload_sessions (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    file TEXT NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    state TEXT NOT NULL,
    content_type TEXT,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    rid TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    input_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    duration REAL,
    fps REAL,
    params TEXT NOT NULL,
    outputs TEXT NOT NULL,
    failure_code INTEGER,
    failure_message TEXT,
    ctime INTEGER NOT NULL,
    sim_total REAL NOT NULL,
    credits REAL NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    model_key TEXT NOT NULL,
    thumb_key TEXT,
    rig_id TEXT NOT NULL,
    ctime INTEGER NOT NULL,
    mtime INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL
);
";

/// The database and the files folder.
pub(super) struct Store {
    conn: Mutex<Connection>,
    files: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

type Db<T> = Result<T, rusqlite::Error>;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

fn from_json<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens the persistent store under `data_dir`, or a fresh memory store.
    pub(super) fn open(data_dir: Option<&Path>) -> Result<Store, String> {
        let (conn, files, temp) = match data_dir {
            Some(dir) => {
                let files = dir.join("deepmotion-files");
                std::fs::create_dir_all(&files)
                    .map_err(|e| format!("cannot create {}: {e}", files.display()))?;
                let db = dir.join("deepmotion.sqlite3");
                let conn = Connection::open(&db)
                    .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
                conn.pragma_update(None, "journal_mode", "WAL")
                    .map_err(|e| format!("{}: {e}", db.display()))?;
                (conn, files, None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("motionkit-sandbox-deepmotion-")
                    .tempdir()
                    .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
                let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
                (conn, temp.path().to_owned(), Some(temp))
            }
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| format!("cannot create the tables: {e}"))?;
        let store = Store {
            conn: Mutex::new(conn),
            files,
            _temp: temp,
        };
        if store.meta("credits").is_none() {
            store.set_meta("credits", &INITIAL_CREDITS.to_string());
        }
        Ok(store)
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run<T>(&self, what: &str, f: impl FnOnce(&Connection) -> Db<T>) -> Option<T> {
        match f(&self.db()) {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::error!(error = %e, "deepmotion store: {what}");
                None
            }
        }
    }

    /// Path of a stored file.
    pub(super) fn path(&self, file: &str) -> PathBuf {
        self.files.join(file)
    }

    /// A fresh file name in the files folder.
    pub(super) fn new_file(&self) -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// A value of the key-value table.
    pub(super) fn meta(&self, key: &str) -> Option<String> {
        self.run("meta", |c| {
            c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
        .flatten()
    }

    /// Sets a value of the key-value table.
    pub(super) fn set_meta(&self, key: &str, value: &str) {
        self.run("set meta", |c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::jobs::Insufficient;
    use super::*;

    fn job(rid: &str, credits: f64) -> Job {
        Job {
            rid: rid.into(),
            seq: 0,
            input_key: "uploads/x/a.mp4".into(),
            file_name: "a.mp4".into(),
            file_size: 10,
            duration: Some(2.0),
            fps: Some(30.0),
            params: vec!["formats=bvh".into()],
            outputs: vec![Output {
                format: "bvh".into(),
                key: "outputs/r/a.bvh".into(),
                group: None,
            }],
            failure_code: None,
            failure_message: None,
            ctime: 5,
            sim_total: 3.0,
            credits,
            notified: false,
        }
    }

    #[test]
    fn jobs_are_charged_atomically_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(Some(dir.path())).unwrap();
            assert_eq!(store.credits(), INITIAL_CREDITS);
            store.insert_job_charged(&job("r1", 2.0)).unwrap();
            store.set_credits(3.0);
            assert_eq!(
                store.insert_job_charged(&job("r2", 4.0)),
                Err(Insufficient { balance: 3.0 })
            );
            store.issue_object("uploads/x/a.mp4", "a.mp4", 1);
            assert!(!store.object("uploads/x/a.mp4").unwrap().complete);
            assert_eq!(
                store.complete_object("uploads/x/a.mp4", "a.mp4", "f1", 10, None, 2),
                None
            );
        }
        let store = Store::open(Some(dir.path())).unwrap();
        assert_eq!(store.credits(), 3.0);
        let jobs = store.jobs();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].seq, 1);
        assert_eq!(jobs[0].outputs[0].format, "bvh");
        let object = store.object("uploads/x/a.mp4").unwrap();
        assert!(object.complete);
        assert_eq!(object.size, 10);
    }
}
