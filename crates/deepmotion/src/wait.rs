//! Waiting for many jobs at once.
//!
//! Every interval, one batched `GET /status/rid1,rid2,...` asks about all
//! jobs still pending (split only when the URL would get too long). The
//! interval starts short, grows while nothing changes and snaps back when a
//! job moves; each sleep is jittered so that many waiters do not poll in
//! step. `RETRY` counts as still running. A rid the server does not know is
//! an error, and the overall timeout bounds the whole wait.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use motionkit_models::deepmotion::{JobStatus, StatusDetails};
use rand::Rng;

use crate::client::Client;
use crate::error::{Error, JobFailure};

/// How to wait.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// First interval, and the interval after any job moved.
    pub first_interval: Duration,
    /// Longest interval.
    pub max_interval: Duration,
    /// Growth of the interval while nothing changes.
    pub growth: f64,
    /// Share of the interval added or removed at random (0.2 = ±20%).
    pub jitter: f64,
    /// Give up after this long.
    pub timeout: Duration,
    /// Consecutive temporary failures of the status call tolerated.
    pub max_consecutive_failures: u32,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            growth: 1.5,
            jitter: 0.2,
            timeout: Duration::from_secs(3 * 3600),
            max_consecutive_failures: 5,
        }
    }
}

impl WaitOptions {
    /// Short intervals, for tests and local sandboxes.
    pub fn fast() -> Self {
        WaitOptions {
            first_interval: Duration::from_millis(50),
            max_interval: Duration::from_millis(400),
            timeout: Duration::from_secs(120),
            ..WaitOptions::default()
        }
    }
}

/// Something a waiting UI can draw.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// A job moved: `step` of `total`.
    Progress {
        /// Request id.
        rid: String,
        /// Current step.
        step: f64,
        /// Expected number of steps.
        total: f64,
    },
    /// The server is retrying a job after an error.
    Retrying {
        /// Request id.
        rid: String,
        /// The error it reported.
        reason: String,
    },
    /// A job finished.
    Finished {
        /// Request id.
        rid: String,
        /// Whether it succeeded.
        succeeded: bool,
    },
}

/// How one job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutcome {
    /// Request id.
    pub rid: String,
    /// `Ok` with the success details, or the failure.
    pub result: Result<StatusDetails, JobFailure>,
}

pub(crate) fn jittered(interval: Duration, jitter: f64) -> Duration {
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let factor = 1.0 + rand::rng().random_range(-jitter..=jitter);
    Duration::try_from_secs_f64(interval.as_secs_f64() * factor).unwrap_or(interval)
}

/// `interval` times `growth` (at least 1), at most `max`; never panics,
/// whatever the options say.
pub(crate) fn grown(interval: Duration, growth: f64, max: Duration) -> Duration {
    let growth = if growth.is_finite() {
        growth.max(1.0)
    } else {
        1.0
    };
    Duration::try_from_secs_f64(interval.as_secs_f64() * growth)
        .unwrap_or(max)
        .min(max)
}

impl Client {
    /// Waits until every job in `rids` has finished, calling `on_event` as
    /// they move. Outcomes come back in the order of `rids`; a failed job is
    /// an outcome, not an error. Errors: an unknown rid, the timeout, or
    /// the status call failing more than `max_consecutive_failures` times
    /// in a row.
    pub async fn wait(
        &self,
        rids: &[String],
        options: &WaitOptions,
        mut on_event: impl FnMut(JobEvent) + Send,
    ) -> Result<Vec<JobOutcome>, Error> {
        let started = Instant::now();
        let mut pending: Vec<String> = Vec::new();
        for rid in rids {
            if !pending.contains(rid) {
                pending.push(rid.clone());
            }
        }
        let mut done: HashMap<String, Result<StatusDetails, JobFailure>> = HashMap::new();
        let mut seen: HashMap<String, (f64, f64, bool)> = HashMap::new();
        let mut interval = options.first_interval;
        let mut failures = 0u32;
        while !pending.is_empty() {
            let mut moved = false;
            match self.status(&pending).await {
                Ok(entries) => {
                    failures = 0;
                    let by_rid: HashMap<&str, _> =
                        entries.iter().map(|e| (e.rid.as_str(), e)).collect();
                    for rid in &pending {
                        let Some(entry) = by_rid.get(rid.as_str()) else {
                            return Err(Error::UnknownJob { rid: rid.clone() });
                        };
                        let details = entry.details.clone().unwrap_or_default();
                        match &entry.status {
                            JobStatus::Success => {
                                on_event(JobEvent::Finished {
                                    rid: rid.clone(),
                                    succeeded: true,
                                });
                                done.insert(rid.clone(), Ok(details));
                                moved = true;
                            }
                            JobStatus::Failure => {
                                on_event(JobEvent::Finished {
                                    rid: rid.clone(),
                                    succeeded: false,
                                });
                                let failure = JobFailure {
                                    rid: rid.clone(),
                                    reason: details.failure(),
                                };
                                done.insert(rid.clone(), Err(failure));
                                moved = true;
                            }
                            status => {
                                let retrying = *status == JobStatus::Retry;
                                let (step, total) = details.progress().unwrap_or((0.0, 0.0));
                                let now = (step, total, retrying);
                                if seen.get(rid) != Some(&now) {
                                    moved = true;
                                    seen.insert(rid.clone(), now);
                                    if retrying {
                                        on_event(JobEvent::Retrying {
                                            rid: rid.clone(),
                                            reason: details.failure().to_string(),
                                        });
                                    } else if total > 0.0 {
                                        on_event(JobEvent::Progress {
                                            rid: rid.clone(),
                                            step,
                                            total,
                                        });
                                    }
                                }
                            }
                        }
                    }
                    pending.retain(|rid| !done.contains_key(rid));
                }
                Err(Error::Transport(e))
                    if e.is_temporary() && failures < options.max_consecutive_failures =>
                {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "status poll failed; will try again");
                }
                Err(e) => return Err(e),
            }
            if pending.is_empty() {
                break;
            }
            let elapsed = started.elapsed();
            if elapsed >= options.timeout {
                return Err(Error::WaitTimeout {
                    pending,
                    after: elapsed,
                });
            }
            interval = if moved {
                options.first_interval
            } else {
                grown(interval, options.growth, options.max_interval)
            };
            let sleep =
                jittered(interval, options.jitter).min(options.timeout.saturating_sub(elapsed));
            tokio::time::sleep(sleep).await;
        }
        Ok(rids
            .iter()
            .filter_map(|rid| {
                done.get(rid).map(|result| JobOutcome {
                    rid: rid.clone(),
                    result: result.clone(),
                })
            })
            .collect())
    }

    /// Waits for one job; its failure is an [`Error::JobFailed`].
    pub async fn wait_one(&self, rid: &str, options: &WaitOptions) -> Result<StatusDetails, Error> {
        let outcomes = self.wait(&[rid.to_owned()], options, |_| {}).await?;
        match outcomes.into_iter().next() {
            Some(JobOutcome {
                result: Ok(details),
                ..
            }) => Ok(details),
            Some(JobOutcome {
                result: Err(failure),
                ..
            }) => Err(Error::JobFailed(failure)),
            None => Err(Error::UnknownJob {
                rid: rid.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_arithmetic_never_panics() {
        let max = Duration::from_secs(30);
        for growth in [f64::INFINITY, f64::NAN, -1.0, 1e300, 2.0] {
            assert!(grown(Duration::MAX, growth, max) <= max);
            assert!(grown(Duration::from_secs(1), growth, max) <= max);
        }
        for jitter in [f64::NAN, f64::INFINITY, -5.0, 0.5] {
            let _ = jittered(Duration::MAX, jitter);
            assert!(jittered(Duration::from_secs(1), jitter) <= Duration::from_secs(2));
        }
    }

    #[test]
    fn jitter_stays_within_bounds() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(10), 0.2);
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
        assert_eq!(
            jittered(Duration::from_secs(3), 0.0),
            Duration::from_secs(3)
        );
    }
}
