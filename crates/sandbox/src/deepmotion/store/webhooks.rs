//! Registered webhook endpoints.

use rusqlite::params;

use super::{Store, from_json, json};

/// A registered webhook endpoint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Webhook {
    /// Endpoint id.
    pub id: String,
    /// Target URL.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
}

impl Store {
    /// Inserts a webhook endpoint.
    pub(crate) fn insert_webhook(&self, hook: &Webhook) {
        self.run("insert webhook", |c| {
            c.execute(
                "INSERT INTO webhooks (id, seq, url, events)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhooks), ?2, ?3)",
                params![hook.id, hook.url, json(&hook.events)],
            )
        });
    }

    /// Updates a webhook endpoint; false when it does not exist.
    pub(crate) fn update_webhook(&self, hook: &Webhook) -> bool {
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
    pub(crate) fn webhooks(&self) -> Vec<Webhook> {
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
    pub(crate) fn delete_webhook(&self, id: &str) -> bool {
        self.run("delete webhook", |c| {
            c.execute("DELETE FROM webhooks WHERE id = ?1", [id])
        })
        .unwrap_or(0)
            > 0
    }
}
