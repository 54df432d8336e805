//! Processing jobs, and the credit balance they are charged to.

use rusqlite::{OptionalExtension, params};

use super::{Db, Store, from_json, json, to_i64, to_u64};

/// Credits of a fresh account.
pub(super) const INITIAL_CREDITS: f64 = 1000.0;

/// One output file of a job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Output {
    /// Key in the download links (`bvh`, `fbx`, `dmpe`, ...).
    pub format: String,
    /// Object key of the file.
    pub key: String,
    /// The output group (`urls[].name`) of a multi-person job's file;
    /// `None`: the one group named after the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// A processing job, with its whole future decided at submission.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Job {
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

/// Why the balance could not be charged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Insufficient {
    /// The balance.
    pub balance: f64,
}

impl Store {
    /// The credit balance.
    pub(crate) fn credits(&self) -> f64 {
        self.meta("credits")
            .and_then(|v| v.parse().ok())
            .unwrap_or(INITIAL_CREDITS)
    }

    /// Sets the credit balance.
    pub(crate) fn set_credits(&self, credits: f64) {
        self.set_meta("credits", &credits.to_string());
    }

    /// Charges `cost` credits and stores the job, atomically. The job's
    /// `seq` is assigned here.
    pub(crate) fn insert_job_charged(&self, job: &Job) -> Result<(), Insufficient> {
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
    pub(crate) fn job(&self, rid: &str) -> Option<Job> {
        let sql = format!("SELECT {} FROM jobs WHERE rid = ?1", Self::JOB_COLUMNS);
        self.run("job", |c| {
            c.query_row(&sql, [rid], Self::job_from_row).optional()
        })
        .flatten()
    }

    /// Every job, oldest first.
    pub(crate) fn jobs(&self) -> Vec<Job> {
        let sql = format!("SELECT {} FROM jobs ORDER BY seq", Self::JOB_COLUMNS);
        self.run("jobs", |c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([], Self::job_from_row)?;
            rows.collect()
        })
        .unwrap_or_default()
    }

    /// Records that the job's `job.completed` event was handled.
    pub(crate) fn mark_notified(&self, rid: &str) {
        self.run("mark notified", |c| {
            c.execute("UPDATE jobs SET notified = 1 WHERE rid = ?1", [rid])
        });
    }
}
