//! Progress bars on stderr (indicatif): upload bytes, job progress,
//! download bytes and batch totals. Hidden when stderr is not a terminal or
//! with `--quiet`.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bars of one command.
#[derive(Debug, Clone)]
pub struct Bars {
    multi: MultiProgress,
}

const BYTES: &str = "{prefix:>16.bold} {msg:9} [{wide_bar:.cyan/blue}] {bytes}/{total_bytes} {percent:>3}% {bytes_per_sec}";
const STEPS: &str = "{prefix:>16.bold} {msg:9} [{wide_bar:.green/blue}] {percent:>3}% {elapsed}";
const SPINNER: &str = "{prefix:>16.bold} {spinner} {msg}";
const BATCH: &str = "{prefix:>16.bold} [{wide_bar:.magenta/blue}] {pos}/{len} done {elapsed}";
const CHARS: &str = "=> ";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars(CHARS)
}

impl Bars {
    /// Bars drawn on stderr when it is a terminal and `quiet` is false.
    pub fn new(quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
        }
    }

    /// The batch total: `done/len`.
    pub fn batch(&self, len: u64) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(len));
        bar.set_style(style(BATCH));
        bar.set_prefix("total");
        bar
    }

    /// A bar for one item that goes through upload, job and download.
    pub fn item(&self, label: &str) -> ItemBar {
        let prefix = shorten(label, 16);
        let bar = self.multi.add(spinner(&prefix, "waiting"));
        ItemBar {
            multi: self.multi.clone(),
            prefix,
            state: Arc::new(Mutex::new(ItemState {
                phase: Phase::Spinner,
                message: "waiting".to_owned(),
                bar,
            })),
        }
    }

    /// Runs `f` (which prints) with the bars cleared, so output does not
    /// tear them.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
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

fn spinner(prefix: &str, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(0)
        .with_style(style(SPINNER))
        .with_prefix(prefix.to_owned())
        .with_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[derive(Debug)]
struct ItemState {
    phase: Phase,
    message: String,
    bar: ProgressBar,
}

/// One item's bar; cheap to clone and safe to update from transfer tasks.
///
/// A change of phase or message replaces the bar with a new one built
/// complete (style, numbers and message) before it is shown, so no frame
/// mixes one phase's label with another's numbers.
#[derive(Debug, Clone)]
pub struct ItemBar {
    multi: MultiProgress,
    prefix: String,
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
                Phase::Bytes | Phase::Steps => ProgressBar::new(len)
                    .with_style(style(if phase == Phase::Bytes { BYTES } else { STEPS }))
                    .with_prefix(self.prefix.clone())
                    .with_message(message.to_owned())
                    .with_position(pos),
            };
            let fresh = self.multi.insert_after(&state.bar, fresh);
            state.bar.finish_and_clear();
            self.multi.remove(&state.bar);
            state.bar = fresh;
            state.phase = phase;
            message.clone_into(&mut state.message);
        }
        &state.bar
    }

    /// A phase without a measurable amount (signing in, submitting).
    pub fn note(&self, message: &str) {
        let mut state = self.lock();
        self.switch(&mut state, Phase::Spinner, message, 0, 0);
    }

    /// Bytes moved by an upload or download.
    pub fn bytes(&self, message: &str, progress: motionkit_transport::Progress) {
        let len = progress.total.unwrap_or(progress.bytes).max(progress.bytes);
        let mut state = self.lock();
        let bar = self.switch(&mut state, Phase::Bytes, message, len, progress.bytes);
        if bar.length() != Some(len) {
            bar.set_length(len);
        }
        bar.set_position(progress.bytes);
    }

    /// A job's `step` of `total`.
    pub fn steps(&self, message: &str, step: f64, total: f64) {
        let total = total.max(1.0).round() as u64;
        let step = (step.max(0.0).round() as u64).min(total);
        let mut state = self.lock();
        let bar = self.switch(&mut state, Phase::Steps, message, total, step);
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_position(step);
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_and_labels_short() {
        for template in [BYTES, STEPS, SPINNER, BATCH] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
        assert_eq!(shorten("walk.mp4", 16), "walk.mp4");
        assert_eq!(
            shorten("a-very-long-video-name.mp4", 10).chars().count(),
            10
        );
    }
}
