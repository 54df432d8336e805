//! One status poll shared by many waiters.
//!
//! [`Client::wait`] batches the jobs of one call. When many independent
//! tasks each wait for their own job (a batch run with `--concurrency`, a
//! web server handling many uploads), a [`Watcher`] gives them the same
//! economy: every task registers its rid, and one background task sends a
//! single batched `GET /status/...` per interval for all of them, handing
//! each task its own events and outcome.

use std::collections::HashMap;
use std::time::Instant;

use motionkit_models::deepmotion::{JobStatus, StatusDetails};
use tokio::sync::{mpsc, oneshot};

use crate::client::Client;
use crate::error::{Error, JobFailure, transport_is_temporary};
use crate::wait::{JobEvent, WaitOptions, jittered};

struct Registration {
    rid: String,
    events: mpsc::UnboundedSender<JobEvent>,
    done: oneshot::Sender<Result<StatusDetails, Error>>,
}

struct Waiter {
    events: mpsc::UnboundedSender<JobEvent>,
    done: oneshot::Sender<Result<StatusDetails, Error>>,
    since: Instant,
    seen: Option<(f64, f64, bool)>,
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
    /// Starts a shared poller for this client (on the current tokio runtime),
    /// in the caller's tracing span, so its requests are logged with the
    /// caller's context.
    pub fn watcher(&self, options: WaitOptions) -> Watcher {
        let (registrations, incoming) = mpsc::unbounded_channel();
        tokio::spawn(tracing::Instrument::in_current_span(poll(
            self.clone(),
            options,
            incoming,
        )));
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
        seen: None,
    });
}

fn finish(waiters: Vec<Waiter>, result: impl Fn() -> Result<StatusDetails, Error>) {
    for waiter in waiters {
        let _ = waiter.done.send(result());
    }
}

async fn poll(
    client: Client,
    options: WaitOptions,
    mut incoming: mpsc::UnboundedReceiver<Registration>,
) {
    let mut waiting: HashMap<String, Vec<Waiter>> = HashMap::new();
    let mut interval = options.first_interval;
    let mut failures = 0u32;
    loop {
        if waiting.is_empty() {
            match incoming.recv().await {
                Some(registration) => accept(&mut waiting, registration),
                None => return,
            }
            interval = options.first_interval;
        }
        tokio::time::sleep(jittered(interval, options.jitter)).await;
        while let Ok(registration) = incoming.try_recv() {
            accept(&mut waiting, registration);
        }
        let rids: Vec<String> = waiting.keys().cloned().collect();
        let mut moved = false;
        match client.status(&rids).await {
            Ok(entries) => {
                failures = 0;
                let by_rid: HashMap<&str, _> =
                    entries.iter().map(|e| (e.rid.as_str(), e)).collect();
                for rid in rids {
                    let Some(entry) = by_rid.get(rid.as_str()) else {
                        if let Some(waiters) = waiting.remove(&rid) {
                            finish(waiters, || Err(Error::UnknownJob { rid: rid.clone() }));
                        }
                        continue;
                    };
                    let details = entry.details.clone().unwrap_or_default();
                    match &entry.status {
                        JobStatus::Success | JobStatus::Failure => {
                            moved = true;
                            let succeeded = entry.status == JobStatus::Success;
                            let Some(waiters) = waiting.remove(&rid) else {
                                continue;
                            };
                            for waiter in &waiters {
                                let _ = waiter.events.send(JobEvent::Finished {
                                    rid: rid.clone(),
                                    succeeded,
                                });
                            }
                            finish(waiters, || {
                                if succeeded {
                                    Ok(details.clone())
                                } else {
                                    Err(Error::JobFailed(JobFailure {
                                        rid: rid.clone(),
                                        reason: details.failure(),
                                    }))
                                }
                            });
                        }
                        status => {
                            let retrying = *status == JobStatus::Retry;
                            let (step, total) = details.progress().unwrap_or((0.0, 0.0));
                            let now = (step, total, retrying);
                            for waiter in waiting.get_mut(&rid).into_iter().flatten() {
                                if waiter.seen == Some(now) {
                                    continue;
                                }
                                moved = true;
                                waiter.seen = Some(now);
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
                                let _ = waiter.events.send(event);
                            }
                        }
                    }
                }
            }
            Err(Error::UnknownJob { .. }) => {
                // None of the polled ids is known to the server.
                for (rid, waiters) in waiting.drain() {
                    finish(waiters, || Err(Error::UnknownJob { rid: rid.clone() }));
                }
                continue;
            }
            Err(Error::Transport(e))
                if transport_is_temporary(&e) && failures < options.max_consecutive_failures =>
            {
                failures += 1;
                tracing::warn!(error = %e, failures, "shared status poll failed; will try again");
            }
            Err(e) => {
                // A persistent failure ends every wait; the message says why.
                let message = e.to_string();
                for (_, waiters) in waiting.drain() {
                    finish(waiters, || {
                        Err(Error::StatusUnavailable {
                            message: message.clone(),
                        })
                    });
                }
                continue;
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
        waiting.retain(|_, waiters| !waiters.is_empty());
        interval = if moved {
            options.first_interval
        } else {
            interval
                .mul_f64(options.growth.max(1.0))
                .min(options.max_interval)
        };
    }
}
