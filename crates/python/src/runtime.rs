//! Running the Rust clients' futures for Python: one tokio runtime per
//! process (a new one after `fork()`), blocking calls that release the GIL
//! and stay interruptible by Ctrl-C, and asyncio calls that settle a
//! Python future from a Rust task.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::failure::Failure;

/// How often a blocking call looks for a signal (Ctrl-C) while it waits.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The process's runtime and the process id it was made in.
static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// This process's runtime. A child made by `fork()` inherits the parent's
/// runtime without its threads, so it gets a new one; the inherited one is
/// left alone (dropping it would wait for threads that do not exist).
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    let mut held = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *held
        && owner == pid
    {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("motionkit")
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "motionkit could not start its I/O threads: {e}"
            ))
        })?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *held = Some((pid, runtime));
    Ok(runtime)
}

/// A value built per process: made again in a child after `fork()`, where
/// the parent's (its connections, its runtime's timers) cannot work. The
/// inherited one is forgotten, never dropped: its locks may be held by
/// threads the child does not have.
pub(crate) struct PerProcess<T> {
    make: Arc<dyn Fn() -> Result<T, Failure> + Send + Sync>,
    held: Mutex<(u32, Option<T>)>,
}

impl<T: Clone> PerProcess<T> {
    /// Makes the first value now, so that bad settings fail at once.
    pub(crate) fn new(
        make: impl Fn() -> Result<T, Failure> + Send + Sync + 'static,
    ) -> Result<Self, Failure> {
        let first = make()?;
        Ok(PerProcess {
            make: Arc::new(make),
            held: Mutex::new((std::process::id(), Some(first))),
        })
    }

    /// The value for this process.
    pub(crate) fn get(&self) -> Result<T, Failure> {
        let pid = std::process::id();
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.0 != pid {
            #[allow(
                clippy::mem_forget,
                reason = "the parent's value must not be dropped in a child"
            )]
            std::mem::forget(held.1.take());
            held.1 = Some((self.make)()?);
            held.0 = pid;
        }
        match &held.1 {
            Some(value) => Ok(value.clone()),
            None => unreachable_value(),
        }
    }
}

fn unreachable_value<T>() -> Result<T, Failure> {
    Err(Failure::internal("a per-process value was missing"))
}

/// A credential given after the client was made (`set_client_secret`,
/// `set_token`): the client remade in a child process after `fork()`
/// starts from it rather than from the original argument. Never shown.
#[derive(Clone, Default)]
pub(crate) struct Rotated(Arc<Mutex<Option<String>>>);

impl Rotated {
    /// The latest credential given, if any.
    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records a new credential.
    pub(crate) fn set(&self, value: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
    }
}

impl std::fmt::Debug for Rotated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rotated([redacted])")
    }
}

/// Sends progress events from a running call to Python.
pub(crate) type Emit = Arc<dyn Fn(Value) + Send + Sync>;

/// What a blocking call's wait ended with.
enum Step<T> {
    Done(Result<T, tokio::task::JoinError>),
    Event(Value),
    Tick,
}

/// Runs `call` to its end on the runtime, with the GIL released, and
/// returns its result as JSON text. Events it emits are handed to
/// `on_event` on this thread; a signal (Ctrl-C) stops the call within
/// [`SIGNAL_CHECK`] and raises `KeyboardInterrupt`: the call's future is
/// dropped, which every client call documents as safe.
pub(crate) fn block<F, Fut>(
    py: Python<'_>,
    on_event: Option<Py<PyAny>>,
    call: F,
) -> PyResult<String>
where
    F: FnOnce(Option<Emit>) -> Fut,
    Fut: Future<Output = Result<Value, Failure>> + Send + 'static,
{
    let runtime = runtime()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
    let emit: Option<Emit> = on_event.as_ref().map(|_| {
        let tx = tx.clone();
        Arc::new(move |event: Value| {
            let _ = tx.send(event);
        }) as Emit
    });
    drop(tx);
    let mut handle = runtime.spawn(call(emit));
    let outcome = loop {
        let step = py.detach(|| {
            runtime.block_on(async {
                tokio::select! {
                    biased;
                    Some(event) = rx.recv() => Step::Event(event),
                    joined = &mut handle => Step::Done(joined),
                    () = tokio::time::sleep(SIGNAL_CHECK) => Step::Tick,
                }
            })
        });
        match step {
            Step::Event(event) => {
                if let Some(callback) = &on_event
                    && let Err(e) = callback.call1(py, (event.to_string(),))
                {
                    handle.abort();
                    return Err(e);
                }
            }
            Step::Done(joined) => break joined,
            Step::Tick => {}
        }
        if let Err(interrupted) = py.check_signals() {
            handle.abort();
            return Err(interrupted);
        }
    };
    // Events sent just before the end still reach the callback.
    while let Ok(event) = rx.try_recv() {
        if let Some(callback) = &on_event {
            callback.call1(py, (event.to_string(),))?;
        }
    }
    finish(outcome)
}

fn finish(joined: Result<Result<Value, Failure>, tokio::task::JoinError>) -> PyResult<String> {
    match joined {
        Ok(Ok(value)) => Ok(value.to_string()),
        Ok(Err(failure)) => Err(failure.into()),
        Err(e) if e.is_cancelled() => Err(Failure::internal("the call was cancelled").into()),
        Err(e) => Err(Failure::internal(format!("the call panicked: {e}")).into()),
    }
}

/// What an asyncio call has produced and its caller has not taken yet.
#[derive(Default)]
struct Outbox {
    events: Vec<String>,
    result: Option<(bool, String)>,
}

/// Wakes an asyncio event loop from the runtime's threads without touching
/// the interpreter: a byte on a socket pair whose reading end the loop
/// watches (`loop.add_reader`). The loop then takes what its calls produced
/// ([`Task::take`]). Runtime threads never take the GIL, so a call that
/// ends while the interpreter shuts down cannot crash it.
#[pyclass(module = "motionkit._native", frozen)]
pub struct Waker {
    read: std::os::unix::net::UnixStream,
    write: Arc<std::os::unix::net::UnixStream>,
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waker").finish_non_exhaustive()
    }
}

fn poke(write: &std::os::unix::net::UnixStream) {
    use std::io::Write as _;
    // A full socket already holds a wake-up; nothing is lost.
    let _ = (&*write).write(&[1]);
}

#[pymethods]
impl Waker {
    #[new]
    fn new() -> PyResult<Self> {
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(Waker {
            read,
            write: Arc::new(write),
        })
    }

    /// The file descriptor the event loop watches.
    fn fileno(&self) -> i32 {
        use std::os::fd::AsRawFd as _;
        self.read.as_raw_fd()
    }

    /// Reads the pending wake-ups.
    fn drain(&self) {
        use std::io::Read as _;
        let mut buf = [0u8; 256];
        while matches!((&self.read).read(&mut buf), Ok(n) if n > 0) {}
    }
}

/// A call running for asyncio: `take()` hands over its events and, once it
/// has ended, its result; `cancel()` drops its future.
#[pyclass(module = "motionkit._native", frozen)]
pub struct Task {
    abort: tokio::task::AbortHandle,
    outbox: Arc<Mutex<Outbox>>,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task").finish_non_exhaustive()
    }
}

#[pymethods]
impl Task {
    /// Stops the call: its future is dropped on the runtime.
    fn cancel(&self) {
        self.abort.abort();
    }

    /// The events since the last call, and `(ok, json)` once the call has
    /// ended (`None` before).
    fn take(&self) -> (Vec<String>, Option<(bool, String)>) {
        let mut outbox = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        (std::mem::take(&mut outbox.events), outbox.result.take())
    }
}

/// Starts `call` on the runtime and returns at once. Its events (when
/// `events` is true) and its end wait in the task's outbox; each pokes
/// `waker`, whose event loop then calls [`Task::take`].
pub(crate) fn spawn<F, Fut>(events: bool, waker: &Waker, call: F) -> PyResult<Task>
where
    F: FnOnce(Option<Emit>) -> Fut,
    Fut: Future<Output = Result<Value, Failure>> + Send + 'static,
{
    let runtime = runtime()?;
    let outbox = Arc::new(Mutex::new(Outbox::default()));
    let emit: Option<Emit> = events.then(|| {
        let outbox = outbox.clone();
        let write = waker.write.clone();
        Arc::new(move |event: Value| {
            outbox
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .events
                .push(event.to_string());
            poke(&write);
        }) as Emit
    });
    let fut = call(emit);
    let done = outbox.clone();
    let write = waker.write.clone();
    let handle = runtime.spawn(async move {
        let result = match fut.await {
            Ok(value) => (true, value.to_string()),
            Err(failure) => (false, failure.to_json()),
        };
        done.lock().unwrap_or_else(|p| p.into_inner()).result = Some(result);
        poke(&write);
    });
    Ok(Task {
        abort: handle.abort_handle(),
        outbox,
    })
}

/// The `#[pymethods]` of a native client: its constructor (given), then
/// `call` and `start`, which run an operation through the module's `run`
/// with the client of this process (`self.held`).
macro_rules! native_client {
    ($ty:ident { $($new:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($new)*

            /// Runs `op` to its end with the GIL released; see `runtime::block`.
            #[pyo3(signature = (op, args, on_event=None))]
            fn call(
                &self,
                py: Python<'_>,
                op: String,
                args: String,
                on_event: Option<Py<PyAny>>,
            ) -> PyResult<String> {
                let held = self.held.get();
                $crate::runtime::block(py, on_event, move |emit| run(held, op, args, emit))
            }

            /// Starts `op` for asyncio; `waker` tells its event loop when
            /// the task has events or its result (see `runtime::Waker`).
            #[pyo3(signature = (op, args, waker, events=false))]
            fn start(
                &self,
                op: String,
                args: String,
                waker: PyRef<'_, $crate::runtime::Waker>,
                events: bool,
            ) -> PyResult<$crate::runtime::Task> {
                let held = self.held.get();
                $crate::runtime::spawn(events, &waker, move |emit| run(held, op, args, emit))
            }
        }
    };
}
pub(crate) use native_client;
