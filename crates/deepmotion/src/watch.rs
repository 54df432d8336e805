//! One status poll shared by many waiters.
//!
//! [`Client::wait`] batches the jobs of one call. When many independent
//! tasks each wait for their own job (a batch run with `--concurrency`, a
//! web server handling many uploads), a [`Watcher`] gives them the same
//! economy: every task registers its rid, and one background task sends a
//! single batched `GET /status/...` per interval for all of them, handing
//! each task its own events and outcome. What the answers mean is the
//! job tracker's to decide, as for [`Client::wait`].
//!
//! The poller ends when [`Watcher::shutdown`] is called (every waiter then
//! gets an error at once), or when every handle is dropped and no waiter
//! is left. A waiter whose future was dropped is forgotten before the next
//! poll, so its rid is not polled for nothing. A poll that fails for good
//! ends every wait with that same error (a rejected login stays
//! [`Error::is_auth`]).

use std::collections::HashMap;
use tokio::time::Instant;

use motionkit_models::deepmotion::StatusDetails;
use tokio::sync::{mpsc, oneshot};

use crate::client::Client;
use crate::error::{Error, JobFailure};
use motionkit_transport::WaitOptions;

use crate::tracker::{JobEvent, Observation, Tracker};

enum Message {
    Register(Registration),
    Shutdown,
}

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

/// A handle to the shared poller. Cheap to clone; the poller stops at
/// [`Watcher::shutdown`], or once every handle is dropped and no waiter is
/// left.
#[derive(Debug, Clone)]
pub struct Watcher {
    registrations: mpsc::UnboundedSender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Register(registration) => registration.fmt(f),
            Message::Shutdown => f.write_str("Shutdown"),
        }
    }
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

/// The error of a wait the poller ended without an outcome.
fn stopped(why: &str) -> Error {
    Error::StatusUnavailable {
        message: format!("the shared status poller {why}"),
    }
}

impl Watcher {
    /// Stops the poller: every wait still running ends at once with
    /// [`Error::StatusUnavailable`], later ones fail the same way, and no
    /// request is sent after it. Any handle may call it.
    pub fn shutdown(&self) {
        let _ = self.registrations.send(Message::Shutdown);
    }

    /// True until the poller has stopped.
    pub fn is_running(&self) -> bool {
        !self.registrations.is_closed()
    }

    /// Waits for `rid`, calling `on_event` as it moves. The job's failure
    /// is an [`Error::JobFailed`].
    ///
    /// Dropping the future unregisters the wait: its rid is not polled
    /// any more (unless another waiter wants it), and the job goes on on
    /// the server.
    pub async fn wait(
        &self,
        rid: &str,
        mut on_event: impl FnMut(JobEvent) + Send,
    ) -> Result<StatusDetails, Error> {
        let (events, mut event_stream) = mpsc::unbounded_channel();
        let (done, mut outcome) = oneshot::channel();
        self.registrations
            .send(Message::Register(Registration {
                rid: rid.to_owned(),
                events,
                done,
            }))
            .map_err(|_| stopped("has stopped"))?;
        loop {
            tokio::select! {
                biased;
                Some(event) = event_stream.recv() => on_event(event),
                result = &mut outcome => {
                    while let Ok(event) = event_stream.try_recv() {
                        on_event(event);
                    }
                    return result.unwrap_or_else(|_| Err(stopped("has stopped")));
                }
            }
        }
    }
}

fn accept(waiting: &mut HashMap<String, Vec<Waiter>>, registration: Registration) {
    if registration.done.is_closed() {
        return;
    }
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

/// A copy of a poll's error for each waiter: the transport's error itself
/// (so [`Error::is_auth`] and the rest still answer), else its message.
fn shared(error: &Error) -> Error {
    match error {
        Error::Transport(e) => Error::Transport(e.clone()),
        other => Error::StatusUnavailable {
            message: other.to_string(),
        },
    }
}

/// Forgets the waiters whose future was dropped, and the rids nobody
/// waits for any more.
fn prune(waiting: &mut HashMap<String, Vec<Waiter>>, tracker: &mut Tracker) {
    waiting.retain(|rid, waiters| {
        waiters.retain(|w| !w.done.is_closed());
        if waiters.is_empty() {
            tracker.forget(rid);
        }
        !waiters.is_empty()
    });
}

/// Ends every wait with `error`.
fn end_all(
    waiting: &mut HashMap<String, Vec<Waiter>>,
    tracker: &mut Tracker,
    error: impl Fn() -> Error,
) {
    for (rid, waiters) in waiting.drain() {
        tracker.forget(&rid);
        finish(waiters, || Err(error()));
    }
}

async fn poll(
    client: Client,
    options: WaitOptions,
    mut incoming: mpsc::UnboundedReceiver<Message>,
) {
    let mut waiting: HashMap<String, Vec<Waiter>> = HashMap::new();
    let mut tracker = Tracker::new(options);
    let mut handles_gone = false;
    loop {
        prune(&mut waiting, &mut tracker);
        if waiting.is_empty() {
            if handles_gone {
                return;
            }
            match incoming.recv().await {
                Some(Message::Register(registration)) => accept(&mut waiting, registration),
                Some(Message::Shutdown) | None => return,
            }
            tracker.restart();
        }
        // Sleep until the next poll, taking registrations (and a shutdown)
        // as they come.
        let sleep = tokio::time::sleep(tracker.next_wait());
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                message = incoming.recv(), if !handles_gone => match message {
                    Some(Message::Register(registration)) => accept(&mut waiting, registration),
                    Some(Message::Shutdown) => {
                        incoming.close();
                        end_all(&mut waiting, &mut tracker, || stopped("was shut down"));
                        return;
                    }
                    None => handles_gone = true,
                },
            }
        }
        prune(&mut waiting, &mut tracker);
        if waiting.is_empty() {
            continue;
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
            Err(e) => {
                if let Err(e) = tracker.poll_failed(e) {
                    // A persistent failure ends every wait with its error.
                    end_all(&mut waiting, &mut tracker, || shared(&e));
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
