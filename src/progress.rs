//! Terminal progress for `publish`: one line per function as it finishes and, on a TTY, a spinner
//! with the count of functions done. Not for the Actions log (that gets `::group::` blocks).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::report::FunctionReport;

const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Progress on stderr; the spinner runs only when stderr is a terminal.
pub struct Progress {
    total: usize,
    done: AtomicUsize,
    stop: AtomicBool,
    spinning: bool,
    // Serialises the spinner's redraws with the finished lines so they never interleave.
    out: Mutex<()>,
}

impl Progress {
    /// Starts progress for `total` functions; spawns the spinner thread on a TTY.
    pub fn start(total: usize) -> Arc<Self> {
        let spinning = std::io::stderr().is_terminal();
        let p = Arc::new(Self {
            total,
            done: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            spinning,
            out: Mutex::new(()),
        });
        if spinning {
            let p2 = Arc::clone(&p);
            std::thread::spawn(move || {
                let mut frame = 0;
                while !p2.stop.load(Ordering::Relaxed) {
                    if let Ok(_guard) = p2.out.lock() {
                        let done = p2.done.load(Ordering::Relaxed);
                        let mut err = std::io::stderr().lock();
                        let _ = write!(
                            err,
                            "\r\x1b[2K{} {done}/{} functions",
                            FRAMES[frame % FRAMES.len()],
                            p2.total
                        );
                        let _ = err.flush();
                    }
                    frame += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        p
    }

    /// Prints one function's result line.
    pub fn finished(&self, f: &FunctionReport) {
        self.done.fetch_add(1, Ordering::Relaxed);
        let mark = if f.succeeded() { "✓" } else { "✗" };
        let what = if f.published_untested() {
            "published to LIVE untested (no test cases)".to_owned()
        } else if f.published {
            "published to LIVE".to_owned()
        } else if f.succeeded() {
            format!(
                "{} ({})",
                f.note.as_deref().unwrap_or("up to date"),
                f.stage
            )
        } else {
            "failed".to_owned()
        };
        let _guard = self.out.lock();
        let clear = if self.spinning { "\r\x1b[2K" } else { "" };
        eprintln!(
            "{clear}{mark} {} {what} in {:.1}s",
            f.name,
            f.duration.as_secs_f64()
        );
    }

    /// Stops the spinner and clears its line.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.spinning {
            let _guard = self.out.lock();
            eprint!("\r\x1b[2K");
        }
    }
}
