//! Session tokens of `GET /session/auth`.

use rusqlite::{OptionalExtension, params};

use super::{Store, to_i64, to_u64};

impl Store {
    /// Stores a session token.
    pub(crate) fn insert_session(&self, token: &str, expires_ms: u64) {
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
    pub(crate) fn session_expiry(&self, token: &str) -> Option<u64> {
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
}
