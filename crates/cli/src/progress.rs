//! Progress on stderr: upload bytes, job state and steps, download bytes,
//! rendering time and batch totals.
//!
//! - On a terminal: indicatif bars with ETAs, the job's rid and server
//!   state, and elapsed times that keep ticking. A bar whose phase changes
//!   is replaced by a complete new one, and the batch total stays the last
//!   line, so no stale line is left behind.
//! - Otherwise (CI logs, pipes): plain lines, one when an item's phase
//!   changes and at most one every [`PLAIN_EVERY`] per item otherwise, such
//!   as `walk.mp4: upload 40% (160.00 MiB/400.00 MiB)` or
//!   `walk.mp4: job PROGRESS 3/5 rid=...`. A transfer that completes always
//!   gets its final line (`get bvh 100% (31.27 KiB/31.27 KiB)`, or
//!   `get bvh done (31.27 KiB)` when its size was not known in advance),
//!   whatever the rate limit, so a log never ends on a partial one.
//! - With `--quiet`: nothing.
//!
//! Labels and server strings are escaped (see `term`).

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{
    HumanBytes, HumanDuration, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle,
};

use crate::term::safe;

/// Least time between two plain progress lines of one item in one phase.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Hidden,
    Terminal,
    Plain,
}

/// The progress display of one command.
#[derive(Debug, Clone)]
pub struct Bars {
    multi: MultiProgress,
    mode: Mode,
    total: Arc<Mutex<Option<ProgressBar>>>,
}

// Every template fits 80 columns, and the part that can grow (the job's
// rid, a note) is a `wide_msg` that indicatif cuts to the terminal's width:
// a line that wrapped would leave stale copies behind.
const BYTES: &str = "{prefix:>16.bold} {msg:9} [{wide_bar:.cyan/blue}] {percent:>3}% {bytes}/{total_bytes} {bytes_per_sec} eta {eta}";
const JOB: &str = "{prefix:>16.bold} [{bar:20.green/blue}] {pos}/{len} {percent:>3}% {elapsed} eta {eta} {wide_msg}";
const SPINNER: &str = "{prefix:>16.bold} {spinner} {elapsed:>4} {wide_msg}";
const BATCH: &str =
    "{prefix:>16.bold} [{wide_bar:.magenta/blue}] {pos}/{len} done, {elapsed} elapsed, eta {eta}";
const CHARS: &str = "=> ";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars(CHARS)
}

impl Bars {
    /// Bars when stderr is a terminal, plain lines when it is not, nothing
    /// with `quiet`.
    pub fn new(quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Hidden
        } else if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Plain
        };
        let target = if mode == Mode::Terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            mode,
            total: Arc::new(Mutex::new(None)),
        }
    }

    /// The batch total, `done/len`, kept as the last line.
    pub fn batch(&self, len: u64) -> BatchBar {
        let bar = self
            .multi
            .add(detached(len).with_style(style(BATCH)).with_prefix("total"));
        tick(&bar, self.mode, Duration::from_millis(500));
        *self.total.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        BatchBar {
            bar,
            plain: self.mode == Mode::Plain,
            started: Instant::now(),
        }
    }

    fn place(&self, bar: ProgressBar) -> ProgressBar {
        match &*self.total.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(total) => self.multi.insert_before(total, bar),
            None => self.multi.add(bar),
        }
    }

    /// A bar for one item that goes through upload, job and download.
    pub fn item(&self, label: &str) -> ItemBar {
        let label = safe(label).into_owned();
        let prefix = shorten(&label, 16);
        let bar = self.place(spinner(&prefix, "waiting"));
        tick(&bar, self.mode, Duration::from_millis(120));
        ItemBar {
            multi: self.multi.clone(),
            mode: self.mode,
            prefix,
            label,
            state: Arc::new(Mutex::new(ItemState {
                phase: Phase::Spinner,
                message: "waiting".to_owned(),
                bar,
                plain_key: String::new(),
                plain_at: None,
                plain_complete: None,
            })),
        }
    }

    /// Runs `f` (which prints) with the bars cleared, so output does not
    /// tear them.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }
}

/// The batch total.
#[derive(Debug, Clone)]
pub struct BatchBar {
    bar: ProgressBar,
    plain: bool,
    started: Instant,
}

impl BatchBar {
    /// One more item finished.
    pub fn inc(&self) {
        self.bar.inc(1);
        if self.plain {
            crate::stdio::err(format_args!(
                "total: {}/{} done, {} elapsed",
                self.bar.position(),
                self.bar.length().unwrap_or(0),
                HumanDuration(self.started.elapsed())
            ));
        }
    }

    /// The batch is over; the line stays with its final numbers.
    pub fn finish(&self) {
        self.bar.disable_steady_tick();
        self.bar.abandon();
    }
}

fn shorten(label: &str, max: usize) -> String {
    let count = label.chars().count();
    if count <= max {
        return label.to_owned();
    }
    let tail: String = label.chars().skip(count - (max - 1)).collect();
    format!("…{tail}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spinner,
    Bytes,
    Steps,
}

/// A bar that draws nowhere until it is added to the `MultiProgress`: a
/// bar drawing on its own (a ticking spinner not yet added) would write
/// lines the `MultiProgress` does not know about, which then stay on
/// screen as stale copies.
fn detached(len: u64) -> ProgressBar {
    ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden())
}

fn spinner(prefix: &str, message: &str) -> ProgressBar {
    detached(0)
        .with_style(style(SPINNER))
        .with_prefix(prefix.to_owned())
        .with_message(message.to_owned())
}

/// Starts ticking a bar that is already in the `MultiProgress`, so its
/// elapsed time moves between updates.
fn tick(bar: &ProgressBar, mode: Mode, every: Duration) {
    if mode == Mode::Terminal {
        bar.enable_steady_tick(every);
    }
}

#[derive(Debug)]
struct ItemState {
    phase: Phase,
    message: String,
    bar: ProgressBar,
    /// The phase of the last plain line, and when it was printed.
    plain_key: String,
    plain_at: Option<Instant>,
    /// The transfer (its message) whose final plain line was printed.
    plain_complete: Option<String>,
}

/// One item's progress; cheap to clone and safe to update from transfer tasks.
#[derive(Debug, Clone)]
pub struct ItemBar {
    multi: MultiProgress,
    mode: Mode,
    prefix: String,
    label: String,
    state: Arc<Mutex<ItemState>>,
}

impl ItemBar {
    fn lock(&self) -> std::sync::MutexGuard<'_, ItemState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bar for `phase` and `message`, replaced if either changed.
    fn switch<'a>(
        &self,
        state: &'a mut ItemState,
        phase: Phase,
        message: &str,
        len: u64,
        pos: u64,
    ) -> &'a ProgressBar {
        if state.phase != phase || state.message != message {
            let fresh = match phase {
                Phase::Spinner => spinner(&self.prefix, message),
                Phase::Bytes | Phase::Steps => detached(len)
                    .with_style(style(if phase == Phase::Bytes { BYTES } else { JOB }))
                    .with_prefix(self.prefix.clone())
                    .with_message(message.to_owned())
                    .with_position(pos),
            };
            let fresh = self.multi.insert_after(&state.bar, fresh);
            match phase {
                Phase::Spinner => tick(&fresh, self.mode, Duration::from_millis(120)),
                // Keeps the elapsed time and the ETA moving between status polls.
                Phase::Steps => tick(&fresh, self.mode, Duration::from_millis(500)),
                Phase::Bytes => {}
            }
            state.bar.finish_and_clear();
            self.multi.remove(&state.bar);
            state.bar = fresh;
            state.phase = phase;
            message.clone_into(&mut state.message);
        }
        &state.bar
    }

    /// Prints a plain line when the phase changed or [`PLAIN_EVERY`] passed.
    fn plain(&self, state: &mut ItemState, key: &str, line: impl FnOnce() -> String) {
        self.plain_or_forced(state, key, false, line);
    }

    /// [`Self::plain`], printing regardless of the rate limit when `force`.
    fn plain_or_forced(
        &self,
        state: &mut ItemState,
        key: &str,
        force: bool,
        line: impl FnOnce() -> String,
    ) {
        if self.mode != Mode::Plain {
            return;
        }
        let due = force
            || state.plain_key != key
            || state.plain_at.is_none_or(|at| at.elapsed() >= PLAIN_EVERY);
        if due {
            crate::stdio::err(format_args!("{}: {}", self.label, line()));
            key.clone_into(&mut state.plain_key);
            state.plain_at = Some(Instant::now());
        }
    }

    /// A phase without a measurable amount (signing in, submitting,
    /// rendering); the elapsed time ticks.
    pub fn note(&self, message: &str) {
        let message = safe(message);
        let mut state = self.lock();
        self.switch(&mut state, Phase::Spinner, &message, 0, 0);
        self.plain(&mut state, &message, || message.to_string());
    }

    /// Bytes moved by an upload or download. In plain mode the line that
    /// reaches a known total is always printed, once.
    pub fn bytes(&self, message: &str, progress: motionkit_transport::Progress) {
        let len = progress.total.unwrap_or(progress.bytes).max(progress.bytes);
        let mut state = self.lock();
        let bar = self.switch(&mut state, Phase::Bytes, message, len, progress.bytes);
        if bar.length() != Some(len) {
            bar.set_length(len);
        }
        bar.set_position(progress.bytes);
        let complete = progress.total.is_some_and(|total| progress.bytes >= total);
        let first_completion = complete && state.plain_complete.as_deref() != Some(message);
        if complete {
            state.plain_complete = Some(message.to_owned());
        } else if state.plain_complete.as_deref() == Some(message) {
            // Started again (an upload went back to the committed offset).
            state.plain_complete = None;
        }
        self.plain_or_forced(&mut state, message, first_completion, || {
            let percent = progress
                .bytes
                .saturating_mul(100)
                .checked_div(len)
                .unwrap_or(100);
            format!(
                "{message} {percent}% ({}/{})",
                HumanBytes(progress.bytes),
                HumanBytes(len)
            )
        });
    }

    /// A transfer of `bytes` in total finished. In plain mode, prints
    /// `MESSAGE done (SIZE)` unless its final line (`100%`) was printed
    /// already; on a terminal the bar shows it full.
    pub fn transferred(&self, message: &str, bytes: u64) {
        let mut state = self.lock();
        let bar = self.switch(&mut state, Phase::Bytes, message, bytes, bytes);
        bar.set_length(bytes);
        bar.set_position(bytes);
        if state.plain_complete.as_deref() == Some(message) {
            return;
        }
        state.plain_complete = Some(message.to_owned());
        self.plain_or_forced(&mut state, message, true, || {
            format!("{message} done ({})", HumanBytes(bytes))
        });
    }

    /// A job's server `state` (STARTING, PROGRESS, RETRY...) and `step` of `total`.
    pub fn job(&self, state_name: &str, rid: &str, step: f64, total: f64) {
        let total = if total.is_finite() {
            total.clamp(1.0, 1e9).round() as u64
        } else {
            1
        };
        let step = if step.is_finite() {
            step.clamp(0.0, 1e9).round() as u64
        } else {
            0
        }
        .min(total);
        let rid = safe(rid);
        let state_name = safe(state_name);
        let message = format!("job {state_name} rid={rid}");
        let mut state = self.lock();
        let bar = self.switch(&mut state, Phase::Steps, &message, total, step);
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_position(step);
        let key = format!("job {state_name}");
        self.plain(&mut state, &key, || {
            format!("job {state_name} {step}/{total} rid={rid}")
        });
    }

    /// The item is done; its bar goes away (for batches, where the total
    /// bar tells the story).
    pub fn clear(&self) {
        let state = self.lock();
        state.bar.finish_and_clear();
        self.multi.remove(&state.bar);
    }

    /// The item is done; the bar stays with `message`.
    pub fn finish(&self, message: &str) {
        let mut state = self.lock();
        let bar = self.switch(&mut state, Phase::Spinner, message, 0, 0);
        bar.disable_steady_tick();
        bar.finish_with_message(message.to_owned());
        self.plain(&mut state, message, || message.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_and_labels_short() {
        for template in [BYTES, JOB, SPINNER, BATCH] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
        assert_eq!(shorten("walk.mp4", 16), "walk.mp4");
        assert_eq!(
            shorten("a-very-long-video-name.mp4", 10).chars().count(),
            10
        );
    }

    #[test]
    fn absurd_job_numbers_do_not_panic() {
        let bars = Bars::new(true);
        let bar = bars.item("x\u{1b}[2J");
        for (step, total) in [
            (f64::NAN, f64::INFINITY),
            (-5.0, 0.0),
            (1e300, 1e300),
            (3.0, 5.0),
        ] {
            bar.job("PROGRESS", "rid\n", step, total);
        }
        assert!(!bar.label.contains('\u{1b}'));
    }
}
