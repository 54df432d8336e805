//! Custom character models.

use rusqlite::params;

use super::{Store, to_i64, to_u64};

/// A custom character model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Model {
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

impl Store {
    /// Inserts or replaces a model.
    pub(crate) fn put_model(&self, model: &Model) {
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
    pub(crate) fn models(&self) -> Vec<Model> {
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
    pub(crate) fn delete_model(&self, id: &str) -> usize {
        self.run("delete model", |c| {
            c.execute("DELETE FROM models WHERE id = ?1", [id])
        })
        .unwrap_or(0)
    }
}
