//! Terminal progress for `publish`, on stderr: every long step (AWS credentials, the functions, the
//! PR comment) is one spinner line on a TTY, and each function's finished line (with its failed
//! tests) is printed above it as it finishes. Off a TTY only the finished lines are printed. Not
//! for the Actions log (that gets `::group::` blocks).
//!
//! The spinner is indicatif's: it owns the redraws, so finished lines and the spinner never
//! interleave. What a finished line says is [`crate::report::terminal`]'s job.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::FunctionReport;
use crate::report::terminal::{self, Paint};

/// Spinner frames; the last one is shown when finished (never: the line is cleared).
const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", " "];

/// How often the spinner moves.
const TICK: Duration = Duration::from_millis(100);

/// Progress of one `publish` run.
pub struct Progress {
    bar: ProgressBar,
    total: usize,
    done: AtomicUsize,
    paint: Paint,
    cwd: Option<PathBuf>,
    /// What the spinner says once every function has finished (the PR comment), if anything.
    after: OnceLock<&'static str>,
}

impl Progress {
    /// Starts progress for `total` functions, the spinner saying `step` (e.g. "connecting to AWS")
    /// until [`Progress::step`] names the next one.
    pub fn start(total: usize, step: &str) -> Arc<Self> {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            )
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{spinner} {pos}/{len} functions {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_strings(FRAMES);
        bar.set_style(style);
        bar.set_message(step.to_owned());
        bar.enable_steady_tick(TICK);
        Arc::new(Self {
            bar,
            total,
            done: AtomicUsize::new(0),
            paint: Paint::for_stderr(),
            cwd: std::env::current_dir().ok(),
            after: OnceLock::new(),
        })
    }

    /// The step that follows the last function (the PR comment); set once.
    pub fn then(&self, step: &'static str) {
        let _ = self.after.set(step);
    }

    /// Names the step now under way.
    pub fn step(&self, step: &str) {
        self.bar.set_message(step.to_owned());
    }

    /// Prints one function's finished line (and its failed tests) above the spinner.
    pub fn finished(&self, f: &FunctionReport) {
        let text = terminal::function(f, self.paint, self.cwd.as_deref());
        // Suspended, the spinner's line is cleared first and redrawn after: no interleaving.
        self.bar.suspend(|| eprint!("{text}"));
        self.bar.inc(1);
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done >= self.total
            && let Some(after) = self.after.get()
        {
            self.bar.set_message(*after);
        }
    }

    /// Stops the spinner and clears its line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
