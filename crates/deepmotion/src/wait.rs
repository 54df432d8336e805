//! Waiting for many jobs at once.
//!
//! Every interval, one batched `GET /status/rid1,rid2,...` asks about all
//! jobs still pending (split only when the URL would get too long). What
//! the answers mean, and how the interval moves, is the
//! job tracker's to decide (see [`WaitOptions`]). `RETRY` counts as still
//! running. A rid the server does not know fails that rid only, and the
//! overall timeout bounds the whole wait.

use std::collections::HashMap;
use tokio::time::Instant;

use motionkit_models::deepmotion::StatusDetails;

use crate::client::Client;
use crate::error::{Error, JobFailure};
use motionkit_transport::WaitOptions;

use crate::tracker::{JobEvent, Observation, Tracker};

/// How one job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutcome {
    /// Request id.
    pub rid: String,
    /// `Ok` with the success details, or the failure.
    pub result: Result<StatusDetails, JobFailure>,
}

impl Client {
    /// Waits until every job in `rids` has finished, with the client's
    /// [`WaitOptions`] ([`Client::wait_options`]). Outcomes come back in
    /// the order of `rids`; a failed job, and a rid the server does not
    /// know ([`JobFailure::is_unknown`]), is an outcome, not an error.
    /// Errors: the timeout, or the status call failing more than
    /// `max_consecutive_failures` times in a row.
    ///
    /// Dropping the future only stops asking: no task or lock is left, and
    /// the jobs go on on the server.
    pub async fn wait(&self, rids: &[String]) -> Result<Vec<JobOutcome>, Error> {
        let options = *self.wait_options();
        self.wait_with(rids, &options, |_| {}).await
    }

    /// [`Client::wait`] with other options, calling `on_event` as the jobs
    /// move.
    pub async fn wait_with(
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
        let mut tracker = Tracker::new(*options);
        while !pending.is_empty() {
            match self.status(&pending).await {
                Ok(entries) => {
                    for (rid, observation) in tracker.observe(&pending, &entries) {
                        match observation {
                            Observation::Moved(event) => on_event(event),
                            Observation::Ended(result) => {
                                done.insert(rid, result);
                            }
                        }
                    }
                    pending.retain(|rid| !done.contains_key(rid));
                }
                Err(e) => tracker.poll_failed(e)?,
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
            let sleep = tracker
                .next_wait()
                .min(options.timeout.saturating_sub(elapsed));
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

    /// Waits for one job with the client's [`WaitOptions`]; its failure is
    /// an [`Error::JobFailed`], a rid the server does not know an
    /// [`Error::UnknownJob`].
    pub async fn wait_one(&self, rid: &str) -> Result<StatusDetails, Error> {
        let options = *self.wait_options();
        self.wait_one_with(rid, &options).await
    }

    /// [`Client::wait_one`] with other options.
    pub async fn wait_one_with(
        &self,
        rid: &str,
        options: &WaitOptions,
    ) -> Result<StatusDetails, Error> {
        let outcomes = self.wait_with(&[rid.to_owned()], options, |_| {}).await?;
        match outcomes.into_iter().next() {
            Some(JobOutcome {
                result: Ok(details),
                ..
            }) => Ok(details),
            Some(JobOutcome {
                result: Err(failure),
                ..
            }) if failure.is_unknown() => Err(Error::UnknownJob { rid: failure.rid }),
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
