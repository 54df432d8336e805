//! One status poll shared by many waiters.
//!
//! [`Client::wait`] batches the jobs of one call. When many independent
//! tasks each wait for their own job (a batch run with `--concurrency`, a
//! web server handling many uploads), a [`Watcher`] gives them the same
//! economy: every task registers its rid, and one background task sends a
//! single batched `GET /status/...` per interval for all of them, handing
//! each task its own events and outcome. What the answers mean is the
//! [`tracker`](crate::tracker)'s to decide, as for [`Client::wait`].

use std::collections::HashMap;
use std::time::Instant;

use motionkit_models::deepmotion::StatusDetails;
use tokio::sync::{mpsc, oneshot};

use crate::client::Client;
use crate::error::{Error, JobFailure};
use crate::tracker::{JobEvent, Observation, Tracker, WaitOptions};

struct Registration {
    rid: String,
    events: mpsc::UnboundedSender<JobEvent>,
    done: oneshot::Sender<Result<StatusDetails, Error>>,
}

struct Waiter {
    events: mpsc::UnboundedSender<JobEvent>,
    done: oneshot::Sender<Result<StatusDetails, Error>>,
    since: Instant,
}

/// A handle to the shared poller. Cheap to clone; the poller stops once
/// every handle is dropped and no job is pending.
#[derive(Debug, Clone)]
pub struct Watcher {
    registrations: mpsc::UnboundedSender<Registration>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("rid", &self.rid)
            .finish()
    }
}

impl Client {
    /// Starts a shared poller for this client (on the current tokio runtime).
    pub fn watcher(&self, options: WaitOptions) -> Watcher {
        let (registrations, incoming) = mpsc::unbounded_channel();
        tokio::spawn(poll(self.clone(), options, incoming));
        Watcher { registrations }
    }
}

impl Watcher {
    /// Waits for `rid`, calling `on_event` as it moves. The job's failure
    /// is an [`Error::JobFailed`].
    pub async fn wait(
        &self,
        rid: &str,
        mut on_event: impl FnMut(JobEvent) + Send,
    ) -> Result<StatusDetails, Error> {
        let (events, mut event_stream) = mpsc::unbounded_channel();
        let (done, mut outcome) = oneshot::channel();
        self.registrations
            .send(Registration {
                rid: rid.to_owned(),
                events,
                done,
            })
            .map_err(|_| Error::StatusUnavailable {
                message: "the shared status poller has stopped".into(),
            })?;
        loop {
            tokio::select! {
                biased;
                Some(event) = event_stream.recv() => on_event(event),
                result = &mut outcome => {
                    while let Ok(event) = event_stream.try_recv() {
                        on_event(event);
                    }
                    return result.unwrap_or_else(|_| Err(Error::StatusUnavailable {
                        message: "the shared status poller has stopped".into(),
                    }));
                }
            }
        }
    }
}

fn accept(waiting: &mut HashMap<String, Vec<Waiter>>, registration: Registration) {
    waiting.entry(registration.rid).or_default().push(Waiter {
        events: registration.events,
        done: registration.done,
        since: Instant::now(),
    });
}

fn finish(waiters: Vec<Waiter>, result: impl Fn() -> Result<StatusDetails, Error>) {
    for waiter in waiters {
        let _ = waiter.done.send(result());
    }
}

/// A job's outcome as a waiter's result.
fn outcome(result: &Result<StatusDetails, JobFailure>) -> Result<StatusDetails, Error> {
    match result {
        Ok(details) => Ok(details.clone()),
        Err(failure) if failure.is_unknown() => Err(Error::UnknownJob {
            rid: failure.rid.clone(),
        }),
        Err(failure) => Err(Error::JobFailed(failure.clone())),
    }
}

async fn poll(
    client: Client,
    options: WaitOptions,
    mut incoming: mpsc::UnboundedReceiver<Registration>,
) {
    let mut waiting: HashMap<String, Vec<Waiter>> = HashMap::new();
    let mut tracker = Tracker::new(options.clone());
    loop {
        if waiting.is_empty() {
            match incoming.recv().await {
                Some(registration) => accept(&mut waiting, registration),
                None => return,
            }
            tracker.restart();
        }
        tokio::time::sleep(tracker.next_wait()).await;
        while let Ok(registration) = incoming.try_recv() {
            accept(&mut waiting, registration);
        }
        let rids: Vec<String> = waiting.keys().cloned().collect();
        match client.status(&rids).await {
            Ok(entries) => {
                for (rid, observation) in tracker.observe(&rids, &entries) {
                    match observation {
                        Observation::Moved(event) => {
                            for waiter in waiting.get(&rid).into_iter().flatten() {
                                let _ = waiter.events.send(event.clone());
                            }
                        }
                        Observation::Ended(result) => {
                            if let Some(waiters) = waiting.remove(&rid) {
                                finish(waiters, || outcome(&result));
                            }
                        }
                    }
                }
            }
            Err(Error::UnknownJob { .. }) => {
                // None of the polled ids is known to the server.
                for (rid, waiters) in waiting.drain() {
                    tracker.forget(&rid);
                    finish(waiters, || Err(Error::UnknownJob { rid: rid.clone() }));
                }
                continue;
            }
            Err(e) => {
                if let Err(e) = tracker.poll_failed(e) {
                    // A persistent failure ends every wait; the message says why.
                    let message = e.to_string();
                    for (rid, waiters) in waiting.drain() {
                        tracker.forget(&rid);
                        finish(waiters, || {
                            Err(Error::StatusUnavailable {
                                message: message.clone(),
                            })
                        });
                    }
                    continue;
                }
            }
        }
        // Waits that outlived the timeout end on their own.
        let now = Instant::now();
        for (rid, waiters) in waiting.iter_mut() {
            let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(waiters)
                .into_iter()
                .partition(|w| now.duration_since(w.since) >= options.timeout);
            *waiters = kept;
            for waiter in expired {
                let _ = waiter.done.send(Err(Error::WaitTimeout {
                    pending: vec![rid.clone()],
                    after: now.duration_since(waiter.since),
                }));
            }
        }
        waiting.retain(|rid, waiters| {
            if waiters.is_empty() {
                tracker.forget(rid);
            }
            !waiters.is_empty()
        });
    }
}
