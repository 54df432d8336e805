//! The job tracker: one pure state machine behind [`Client::wait`] and the
//! shared [`Watcher`](crate::Watcher).
//!
//! It takes the entries of one batched `GET /status/...` in and gives
//! events and outcomes out. It owns everything the two pollers used to
//! decide each in its own way:
//!
//! - **change detection**: an event is emitted only when a job's step,
//!   total or RETRY state changes;
//! - **progress**: reported even when the server gives no total
//!   (`total = 0` means indeterminate, for the UI to show as such);
//! - **an unknown rid** fails that rid only, as
//!   [`JobFailure::unknown`]; the other jobs go on;
//! - **failures of the status call**: temporary ones are tolerated up to
//!   [`WaitOptions::max_consecutive_failures`] in a row;
//! - **the interval**: transport's poll interval, which starts at
//!   `first_interval`, grows by `growth` while nothing moves, up to
//!   `max_interval`, snaps back when a job moves, and is jittered so that
//!   many pollers do not run in step.
//!
//! It does no I/O and keeps no clock, so its tests need no server.

use std::collections::HashMap;
use std::time::Duration;

use motionkit_models::deepmotion::{JobStatus, JobStatusEntry, StatusDetails};
use motionkit_transport::{PollInterval, WaitOptions};

use crate::error::{Error, JobFailure};

/// Something a waiting UI can draw.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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

/// What one poll says about one rid.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Observation {
    /// The job moved; tell its waiters.
    Moved(JobEvent),
    /// The job ended: success details, or its failure (including "unknown
    /// to the server"). A `Finished` event precedes it for known jobs.
    Ended(Result<StatusDetails, JobFailure>),
}

/// The tracker's state across polls.
#[derive(Debug)]
pub(crate) struct Tracker {
    options: WaitOptions,
    interval: PollInterval,
    failures: u32,
    last: HashMap<String, (f64, f64, bool)>,
}

impl Tracker {
    pub(crate) fn new(options: WaitOptions) -> Self {
        Tracker {
            interval: PollInterval::new(&options),
            options,
            failures: 0,
            last: HashMap::new(),
        }
    }

    /// Feeds one successful poll for the rids in `asked`. Returns what
    /// each rid's waiters must hear, in the order of `asked`.
    pub(crate) fn observe(
        &mut self,
        asked: &[String],
        entries: &[JobStatusEntry],
    ) -> Vec<(String, Observation)> {
        self.failures = 0;
        let by_rid: HashMap<&str, &JobStatusEntry> =
            entries.iter().map(|e| (e.rid.as_str(), e)).collect();
        let mut out = Vec::new();
        let mut moved = false;
        for rid in asked {
            let Some(entry) = by_rid.get(rid.as_str()) else {
                self.last.remove(rid);
                out.push((
                    rid.clone(),
                    Observation::Ended(Err(JobFailure::unknown(rid))),
                ));
                continue;
            };
            let details = entry.details.clone().unwrap_or_default();
            let finished = |succeeded| {
                Observation::Moved(JobEvent::Finished {
                    rid: rid.clone(),
                    succeeded,
                })
            };
            match &entry.status {
                JobStatus::Success => {
                    moved = true;
                    self.last.remove(rid);
                    out.push((rid.clone(), finished(true)));
                    out.push((rid.clone(), Observation::Ended(Ok(details))));
                }
                JobStatus::Failure => {
                    moved = true;
                    self.last.remove(rid);
                    let failure = JobFailure {
                        rid: rid.clone(),
                        reason: details.failure(),
                    };
                    out.push((rid.clone(), finished(false)));
                    out.push((rid.clone(), Observation::Ended(Err(failure))));
                }
                status => {
                    let retrying = *status == JobStatus::Retry;
                    let (step, total) = details.progress().unwrap_or((0.0, 0.0));
                    let now = (step, total, retrying);
                    if self.last.get(rid) == Some(&now) {
                        continue;
                    }
                    moved = true;
                    self.last.insert(rid.clone(), now);
                    let event = if retrying {
                        JobEvent::Retrying {
                            rid: rid.clone(),
                            reason: details.failure().to_string(),
                        }
                    } else {
                        JobEvent::Progress {
                            rid: rid.clone(),
                            step,
                            total,
                        }
                    };
                    out.push((rid.clone(), Observation::Moved(event)));
                }
            }
        }
        if moved {
            self.interval.moved();
        } else {
            self.interval.unchanged();
        }
        out
    }

    /// A rid's waiters went away: forget its last state.
    pub(crate) fn forget(&mut self, rid: &str) {
        self.last.remove(rid);
    }

    /// Judges a failed poll: `Ok` to try again at the next interval (a
    /// temporary failure within the tolerance), `Err` to end every wait.
    pub(crate) fn poll_failed(&mut self, error: Error) -> Result<(), Error> {
        let tolerated = matches!(&error, Error::Transport(e) if e.is_temporary())
            && self.failures < self.options.max_consecutive_failures;
        if !tolerated {
            return Err(error);
        }
        self.failures += 1;
        tracing::warn!(%error, failures = self.failures, "status poll failed; will try again");
        self.interval.unchanged();
        Ok(())
    }

    /// The wait before the next poll: the current interval, jittered.
    pub(crate) fn next_wait(&self) -> Duration {
        self.interval.next_wait()
    }

    /// A new batch of waiters after an idle spell starts fast again.
    pub(crate) fn restart(&mut self) {
        self.interval.moved();
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rid: &str, status: &str, details: serde_json::Value) -> JobStatusEntry {
        serde_json::from_value(serde_json::json!({
            "rid": rid, "status": status, "details": details
        }))
        .unwrap()
    }

    fn options() -> WaitOptions {
        WaitOptions::deepmotion()
            .first_interval(Duration::from_secs(1))
            .max_interval(Duration::from_secs(4))
            .growth(2.0)
            .jitter(0.0)
            .timeout(Duration::from_secs(60))
            .max_consecutive_failures(2)
    }

    fn rids(list: &[&str]) -> Vec<String> {
        list.iter().map(|r| (*r).to_owned()).collect()
    }

    #[test]
    fn progress_is_reported_once_per_change_and_indeterminate_progress_too() {
        let mut tracker = Tracker::new(options());
        let asked = rids(&["a"]);
        let indeterminate = [entry("a", "PROGRESS", serde_json::json!({}))];
        let out = tracker.observe(&asked, &indeterminate);
        assert_eq!(
            out,
            vec![(
                "a".to_owned(),
                Observation::Moved(JobEvent::Progress {
                    rid: "a".into(),
                    step: 0.0,
                    total: 0.0
                })
            )]
        );
        assert!(
            tracker.observe(&asked, &indeterminate).is_empty(),
            "no change, no event"
        );
        let two_of_five = [entry(
            "a",
            "PROGRESS",
            serde_json::json!({"step": 2, "total": 5}),
        )];
        assert_eq!(tracker.observe(&asked, &two_of_five).len(), 1);
        let retry = [entry(
            "a",
            "RETRY",
            serde_json::json!({"step": 2, "total": 5}),
        )];
        assert!(matches!(
            tracker.observe(&asked, &retry)[0].1,
            Observation::Moved(JobEvent::Retrying { .. })
        ));
    }

    #[test]
    fn an_unknown_rid_fails_alone() {
        let mut tracker = Tracker::new(options());
        let out = tracker.observe(
            &rids(&["known", "ghost"]),
            &[entry(
                "known",
                "PROGRESS",
                serde_json::json!({"step": 1, "total": 2}),
            )],
        );
        assert_eq!(out.len(), 2);
        assert!(matches!(
            out[0].1,
            Observation::Moved(JobEvent::Progress { .. })
        ));
        let Observation::Ended(Err(failure)) = &out[1].1 else {
            panic!("{out:?}");
        };
        assert!(failure.is_unknown());
        assert_eq!(failure.rid, "ghost");
    }

    #[test]
    fn endings_carry_an_event_then_the_outcome() {
        let mut tracker = Tracker::new(options());
        let out = tracker.observe(
            &rids(&["ok", "bad"]),
            &[
                entry("ok", "SUCCESS", serde_json::json!({"In": "a.mp4"})),
                entry("bad", "FAILURE", serde_json::json!({"exc_message": "nope"})),
            ],
        );
        assert_eq!(out.len(), 4);
        assert!(matches!(out[1].1, Observation::Ended(Ok(_))));
        assert!(matches!(&out[3].1, Observation::Ended(Err(f)) if !f.is_unknown()));
    }

    #[test]
    fn the_interval_grows_while_nothing_moves_and_snaps_back() {
        let mut tracker = Tracker::new(options());
        let asked = rids(&["a"]);
        let same = [entry(
            "a",
            "PROGRESS",
            serde_json::json!({"step": 1, "total": 3}),
        )];
        tracker.observe(&asked, &same);
        assert_eq!(tracker.next_wait(), Duration::from_secs(1));
        tracker.observe(&asked, &same);
        assert_eq!(tracker.next_wait(), Duration::from_secs(2));
        tracker.observe(&asked, &same);
        tracker.observe(&asked, &same);
        assert_eq!(tracker.next_wait(), Duration::from_secs(4), "capped");
        tracker.observe(
            &asked,
            &[entry(
                "a",
                "PROGRESS",
                serde_json::json!({"step": 2, "total": 3}),
            )],
        );
        assert_eq!(tracker.next_wait(), Duration::from_secs(1));
    }

    #[test]
    fn temporary_poll_failures_are_tolerated_up_to_the_limit() {
        let mut tracker = Tracker::new(options());
        let temporary = || {
            Error::Transport(motionkit_transport::Error::Connect {
                request: "GET /status/{rids}".into(),
                message: "refused".into(),
                sent: motionkit_transport::Sent::NotSent,
                cause: None,
            })
        };
        assert!(tracker.poll_failed(temporary()).is_ok());
        assert!(tracker.poll_failed(temporary()).is_ok());
        assert!(
            tracker.poll_failed(temporary()).is_err(),
            "the third in a row ends it"
        );
        tracker.observe(&[], &[]);
        assert!(
            tracker.poll_failed(temporary()).is_ok(),
            "a success resets the count"
        );
        let permanent = Error::Transport(motionkit_transport::Error::Config {
            message: "bad".into(),
        });
        assert!(tracker.poll_failed(permanent).is_err());
    }
}
