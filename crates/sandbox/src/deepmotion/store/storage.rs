//! Objects (upload targets, outputs, thumbnails) and resumable upload
//! sessions, for the signed storage URLs.

use rusqlite::{OptionalExtension, params};

use super::{Store, to_i64, to_u64};

/// A stored object (an upload target, an output, a thumbnail).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object {
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
pub(crate) enum SessionState {
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
pub(crate) struct UploadSession {
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

impl Store {
    /// Records an object that may now be uploaded (no bytes yet). Keeps an
    /// existing object untouched.
    pub(crate) fn issue_object(&self, key: &str, name: &str, now: u64) {
        self.run("issue object", |c| {
            c.execute(
                "INSERT OR IGNORE INTO objects (key, name, ctime, mtime) VALUES (?1, ?2, ?3, ?3)",
                params![key, name, to_i64(now)],
            )
        });
    }

    /// An object by key.
    pub(crate) fn object(&self, key: &str) -> Option<Object> {
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
    pub(crate) fn complete_object(
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

    /// Starts a resumable session.
    pub(crate) fn insert_upload_session(&self, session: &UploadSession) {
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
    pub(crate) fn upload_session(&self, id: &str) -> Option<UploadSession> {
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
    pub(crate) fn update_upload_session(
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
    pub(crate) fn expire_upload_sessions(&self, now: u64) -> usize {
        let past = to_i64(now.saturating_sub(1));
        self.run("expire upload sessions", |c| {
            c.execute(
                "UPDATE upload_sessions SET expires_ms = ?1 WHERE state = 'active' AND expires_ms > ?1",
                params![past],
            )
        })
        .unwrap_or(0)
    }
}
