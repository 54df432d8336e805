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

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

/// Credits of a fresh account.
pub const INITIAL_CREDITS: f64 = 1000.0;

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

/// A stored object (an upload target, an output, a thumbnail).
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Object key, such as `uploads/<id>/walk.mp4`.
    pub key: String,
    /// The file name the client gave (or the output's name).
    pub name: String,
    /// File under the files folder, once bytes are stored.
    pub file: Option<String>,
    /// Stored size in bytes.
    pub size: u64,
    /// True once the whole object is stored.
    pub complete: bool,
    /// `Content-Type` the uploader sent, if any.
    pub content_type: Option<String>,
    /// Entity tag of the stored bytes.
    pub etag: Option<String>,
    /// Creation time.
    pub ctime: u64,
    /// Last change.
    pub mtime: u64,
}

/// State of a resumable upload session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Accepting chunks.
    Active,
    /// Finished; the object is stored.
    Complete,
    /// Cancelled with `DELETE`.
    Cancelled,
}

impl SessionState {
    fn as_str(self) -> &'static str {
        match self {
            SessionState::Active => "active",
            SessionState::Complete => "complete",
            SessionState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> SessionState {
        match text {
            "complete" => SessionState::Complete,
            "cancelled" => SessionState::Cancelled,
            _ => SessionState::Active,
        }
    }
}

/// A resumable upload session.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadSession {
    /// The `upload_id` of the session URI.
    pub id: String,
    /// Object being uploaded.
    pub key: String,
    /// File receiving the bytes.
    pub file: String,
    /// Bytes committed (persisted) so far, from offset 0.
    pub committed: u64,
    /// Total size, once a client has said it.
    pub total: Option<u64>,
    /// State.
    pub state: SessionState,
    /// `Content-Type` given when the session started.
    pub content_type: Option<String>,
    /// When the session URI stops working.
    pub expires_ms: u64,
}

/// One output file of a job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Output {
    /// Key in the download links (`bvh`, `fbx`, `dmpe`, ...).
    pub format: String,
    /// Object key of the file.
    pub key: String,
}

/// A processing job, with its whole future decided at submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Request id.
    pub rid: String,
    /// Submission order.
    pub seq: i64,
    /// Object key of the input.
    pub input_key: String,
    /// Input file name.
    pub file_name: String,
    /// Input size in bytes.
    pub file_size: u64,
    /// Input duration in seconds (videos).
    pub duration: Option<f64>,
    /// Input frame rate (videos).
    pub fps: Option<f64>,
    /// `params` as submitted.
    pub params: Vec<String>,
    /// Output files (empty for a job that will fail).
    pub outputs: Vec<Output>,
    /// Documented error code the job ends with, if it fails.
    pub failure_code: Option<u32>,
    /// `exc_message` of the failure.
    pub failure_message: Option<String>,
    /// Submission time.
    pub ctime: u64,
    /// Simulated seconds from submission to the end (success or failure).
    pub sim_total: f64,
    /// Credits charged.
    pub credits: f64,
    /// True once the `job.completed` event was handled.
    pub notified: bool,
}

/// A custom character model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Model id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Object key of the model file.
    pub model_key: String,
    /// Object key of the thumbnail.
    pub thumb_key: Option<String>,
    /// Rig template id.
    pub rig_id: String,
    /// Creation time.
    pub ctime: u64,
    /// Last change.
    pub mtime: u64,
}

/// A registered webhook endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Endpoint id.
    pub id: String,
    /// Target URL.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
}

/// Why the balance could not be charged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Insufficient {
    /// The balance.
    pub balance: f64,
}

/// The database and the files folder.
pub struct Store {
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
    pub fn open(data_dir: Option<&Path>) -> Result<Store, String> {
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
    pub fn path(&self, file: &str) -> PathBuf {
        self.files.join(file)
    }

    /// A fresh file name in the files folder.
    pub fn new_file(&self) -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// A value of the key-value table.
    pub fn meta(&self, key: &str) -> Option<String> {
        self.run("meta", |c| {
            c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
        .flatten()
    }

    /// Sets a value of the key-value table.
    pub fn set_meta(&self, key: &str, value: &str) {
        self.run("set meta", |c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
        });
    }

    // Sessions -------------------------------------------------------------

    /// Stores a session token.
    pub fn insert_session(&self, token: &str, expires_ms: u64) {
        self.run("insert session", |c| {
            c.execute(
                "DELETE FROM sessions WHERE expires_ms < ?1",
                [to_i64(crate::clock::Clock::epoch_millis())],
            )?;
            c.execute(
                "INSERT OR REPLACE INTO sessions (token, expires_ms) VALUES (?1, ?2)",
                params![token, to_i64(expires_ms)],
            )
        });
    }

    /// Expiry of a session token, if it exists.
    pub fn session_expiry(&self, token: &str) -> Option<u64> {
        self.run("session", |c| {
            c.query_row(
                "SELECT expires_ms FROM sessions WHERE token = ?1",
                [token],
                |r| r.get::<_, i64>(0),
            )
            .optional()
        })
        .flatten()
        .map(to_u64)
    }

    // Objects --------------------------------------------------------------

    /// Records an object that may now be uploaded (no bytes yet). Keeps an
    /// existing object untouched.
    pub fn issue_object(&self, key: &str, name: &str, now: u64) {
        self.run("issue object", |c| {
            c.execute(
                "INSERT OR IGNORE INTO objects (key, name, ctime, mtime) VALUES (?1, ?2, ?3, ?3)",
                params![key, name, to_i64(now)],
            )
        });
    }

    /// An object by key.
    pub fn object(&self, key: &str) -> Option<Object> {
        self.run("object", |c| {
            c.query_row(
                "SELECT key, name, file, size, complete, content_type, etag, ctime, mtime
                 FROM objects WHERE key = ?1",
                [key],
                |r| {
                    Ok(Object {
                        key: r.get(0)?,
                        name: r.get(1)?,
                        file: r.get(2)?,
                        size: to_u64(r.get(3)?),
                        complete: r.get::<_, i64>(4)? != 0,
                        content_type: r.get(5)?,
                        etag: r.get(6)?,
                        ctime: to_u64(r.get(7)?),
                        mtime: to_u64(r.get(8)?),
                    })
                },
            )
            .optional()
        })
        .flatten()
    }

    /// Marks an object complete with the bytes in `file`; returns the file it
    /// replaces, which the caller deletes.
    pub fn complete_object(
        &self,
        key: &str,
        name: &str,
        file: &str,
        size: u64,
        content_type: Option<&str>,
        now: u64,
    ) -> Option<String> {
        let etag = uuid::Uuid::new_v4().simple().to_string();
        self.run("complete object", |c| {
            let old: Option<String> = c
                .query_row("SELECT file FROM objects WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?
                .flatten();
            c.execute(
                "INSERT INTO objects (key, name, file, size, complete, content_type, etag, ctime, mtime)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?7)
                 ON CONFLICT(key) DO UPDATE SET file = excluded.file, size = excluded.size,
                   complete = 1, content_type = excluded.content_type, etag = excluded.etag,
                   mtime = excluded.mtime",
                params![key, name, file, to_i64(size), content_type, etag, to_i64(now)],
            )?;
            Ok(old.filter(|old| old != file))
        })
        .flatten()
    }

    // Upload sessions ------------------------------------------------------

    /// Starts a resumable session.
    pub fn insert_upload_session(&self, session: &UploadSession) {
        self.run("insert upload session", |c| {
            c.execute(
                "INSERT INTO upload_sessions (id, key, file, committed, total, state, content_type, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    session.id,
                    session.key,
                    session.file,
                    to_i64(session.committed),
                    session.total.map(to_i64),
                    session.state.as_str(),
                    session.content_type,
                    to_i64(session.expires_ms)
                ],
            )
        });
    }

    /// A resumable session by id.
    pub fn upload_session(&self, id: &str) -> Option<UploadSession> {
        self.run("upload session", |c| {
            c.query_row(
                "SELECT id, key, file, committed, total, state, content_type, expires_ms
                 FROM upload_sessions WHERE id = ?1",
                [id],
                |r| {
                    Ok(UploadSession {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        file: r.get(2)?,
                        committed: to_u64(r.get(3)?),
                        total: r.get::<_, Option<i64>>(4)?.map(to_u64),
                        state: SessionState::parse(&r.get::<_, String>(5)?),
                        content_type: r.get(6)?,
                        expires_ms: to_u64(r.get(7)?),
                    })
                },
            )
            .optional()
        })
        .flatten()
    }

    /// Saves the progress of a resumable session.
    pub fn update_upload_session(
        &self,
        id: &str,
        committed: u64,
        total: Option<u64>,
        state: SessionState,
    ) {
        self.run("update upload session", |c| {
            c.execute(
                "UPDATE upload_sessions SET committed = ?2, total = ?3, state = ?4 WHERE id = ?1",
                params![id, to_i64(committed), total.map(to_i64), state.as_str()],
            )
        });
    }

    /// Ends every active resumable session now, as if its lifetime had run
    /// out (their URIs answer `410`); returns how many.
    pub fn expire_upload_sessions(&self, now: u64) -> usize {
        let past = to_i64(now.saturating_sub(1));
        self.run("expire upload sessions", |c| {
            c.execute(
                "UPDATE upload_sessions SET expires_ms = ?1 WHERE state = 'active' AND expires_ms > ?1",
                params![past],
            )
        })
        .unwrap_or(0)
    }

    // Credits --------------------------------------------------------------

    /// The credit balance.
    pub fn credits(&self) -> f64 {
        self.meta("credits")
            .and_then(|v| v.parse().ok())
            .unwrap_or(INITIAL_CREDITS)
    }

    /// Sets the credit balance.
    pub fn set_credits(&self, credits: f64) {
        self.set_meta("credits", &credits.to_string());
    }

    // Jobs -----------------------------------------------------------------

    /// Charges `cost` credits and stores the job, atomically. The job's
    /// `seq` is assigned here.
    pub fn insert_job_charged(&self, job: &Job) -> Result<(), Insufficient> {
        let mut conn = self.db();
        let result = (|| -> Db<Result<(), Insufficient>> {
            let tx = conn.transaction()?;
            let balance: f64 = tx
                .query_row("SELECT value FROM meta WHERE key = 'credits'", [], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(INITIAL_CREDITS);
            if balance < job.credits {
                return Ok(Err(Insufficient { balance }));
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('credits', ?1)",
                [(balance - job.credits).to_string()],
            )?;
            let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs", [], |r| {
                r.get(0)
            })?;
            tx.execute(
                "INSERT INTO jobs (rid, seq, input_key, file_name, file_size, duration, fps, params,
                   outputs, failure_code, failure_message, ctime, sim_total, credits, notified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0)",
                params![
                    job.rid,
                    seq,
                    job.input_key,
                    job.file_name,
                    to_i64(job.file_size),
                    job.duration,
                    job.fps,
                    json(&job.params),
                    json(&job.outputs),
                    job.failure_code,
                    job.failure_message,
                    to_i64(job.ctime),
                    job.sim_total,
                    job.credits,
                ],
            )?;
            tx.commit()?;
            Ok(Ok(()))
        })();
        match result {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(error = %e, "deepmotion store: insert job");
                Err(Insufficient { balance: f64::NAN })
            }
        }
    }

    fn job_from_row(r: &rusqlite::Row<'_>) -> Db<Job> {
        Ok(Job {
            rid: r.get(0)?,
            seq: r.get(1)?,
            input_key: r.get(2)?,
            file_name: r.get(3)?,
            file_size: to_u64(r.get(4)?),
            duration: r.get(5)?,
            fps: r.get(6)?,
            params: from_json(&r.get::<_, String>(7)?),
            outputs: from_json(&r.get::<_, String>(8)?),
            failure_code: r.get(9)?,
            failure_message: r.get(10)?,
            ctime: to_u64(r.get(11)?),
            sim_total: r.get(12)?,
            credits: r.get(13)?,
            notified: r.get::<_, i64>(14)? != 0,
        })
    }

    const JOB_COLUMNS: &'static str = "rid, seq, input_key, file_name, file_size, duration, fps,
        params, outputs, failure_code, failure_message, ctime, sim_total, credits, notified";

    /// A job by request id.
    pub fn job(&self, rid: &str) -> Option<Job> {
        let sql = format!("SELECT {} FROM jobs WHERE rid = ?1", Self::JOB_COLUMNS);
        self.run("job", |c| {
            c.query_row(&sql, [rid], Self::job_from_row).optional()
        })
        .flatten()
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Vec<Job> {
        let sql = format!("SELECT {} FROM jobs ORDER BY seq", Self::JOB_COLUMNS);
        self.run("jobs", |c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([], Self::job_from_row)?;
            rows.collect()
        })
        .unwrap_or_default()
    }

    /// Records that the job's `job.completed` event was handled.
    pub fn mark_notified(&self, rid: &str) {
        self.run("mark notified", |c| {
            c.execute("UPDATE jobs SET notified = 1 WHERE rid = ?1", [rid])
        });
    }

    // Models ---------------------------------------------------------------

    /// Inserts or replaces a model.
    pub fn put_model(&self, model: &Model) {
        self.run("put model", |c| {
            c.execute(
                "INSERT OR REPLACE INTO models (id, name, model_key, thumb_key, rig_id, ctime, mtime)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    model.id,
                    model.name,
                    model.model_key,
                    model.thumb_key,
                    model.rig_id,
                    to_i64(model.ctime),
                    to_i64(model.mtime)
                ],
            )
        });
    }

    /// Every custom model, oldest first.
    pub fn models(&self) -> Vec<Model> {
        self.run("models", |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, model_key, thumb_key, rig_id, ctime, mtime FROM models
                 ORDER BY ctime, id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Model {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    model_key: r.get(2)?,
                    thumb_key: r.get(3)?,
                    rig_id: r.get(4)?,
                    ctime: to_u64(r.get(5)?),
                    mtime: to_u64(r.get(6)?),
                })
            })?;
            rows.collect()
        })
        .unwrap_or_default()
    }

    /// Deletes a model; returns how many were deleted.
    pub fn delete_model(&self, id: &str) -> usize {
        self.run("delete model", |c| {
            c.execute("DELETE FROM models WHERE id = ?1", [id])
        })
        .unwrap_or(0)
    }

    // Webhooks -------------------------------------------------------------

    /// Inserts a webhook endpoint.
    pub fn insert_webhook(&self, hook: &Webhook) {
        self.run("insert webhook", |c| {
            c.execute(
                "INSERT INTO webhooks (id, seq, url, events)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhooks), ?2, ?3)",
                params![hook.id, hook.url, json(&hook.events)],
            )
        });
    }

    /// Updates a webhook endpoint; false when it does not exist.
    pub fn update_webhook(&self, hook: &Webhook) -> bool {
        self.run("update webhook", |c| {
            c.execute(
                "UPDATE webhooks SET url = ?2, events = ?3 WHERE id = ?1",
                params![hook.id, hook.url, json(&hook.events)],
            )
        })
        .unwrap_or(0)
            > 0
    }

    /// Every webhook endpoint, oldest first.
    pub fn webhooks(&self) -> Vec<Webhook> {
        self.run("webhooks", |c| {
            let mut stmt = c.prepare("SELECT id, url, events FROM webhooks ORDER BY seq")?;
            let rows = stmt.query_map([], |r| {
                Ok(Webhook {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    events: from_json(&r.get::<_, String>(2)?),
                })
            })?;
            rows.collect()
        })
        .unwrap_or_default()
    }

    /// Deletes a webhook endpoint; false when it did not exist.
    pub fn delete_webhook(&self, id: &str) -> bool {
        self.run("delete webhook", |c| {
            c.execute("DELETE FROM webhooks WHERE id = ?1", [id])
        })
        .unwrap_or(0)
            > 0
    }
}

#[cfg(test)]
mod tests {
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
