//! The report as a person reads it in a terminal (`publish`): one line per function, and under a
//! failed function each failed test with its file and the same difference lines as the job summary.
//!
//! Colour only when the output is a terminal and `NO_COLOR` is unset or empty (no-color.org), never
//! with `TERM=dumb`. Renders into strings; printing and the spinner are `crate::progress`'s job.

use std::fmt::Write;
use std::io::IsTerminal;
use std::path::Path;

use super::{FunctionReport, TestResult};

/// Most difference lines shown per failed test; the rest are counted.
const MAX_DETAIL_LINES: usize = 20;

/// Whether to colour, decided once per stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    colour: bool,
}

impl Paint {
    /// Plain text.
    pub const PLAIN: Paint = Paint { colour: false };

    /// Colour when stderr is a terminal, unless `NO_COLOR` or `TERM=dumb`.
    pub fn for_stderr() -> Self {
        let env = |k: &str| std::env::var(k).ok();
        Self::decide(std::io::stderr().is_terminal(), &env)
    }

    /// The rule, apart from the process: `tty` is whether the stream is a terminal.
    pub fn decide(tty: bool, env: &impl Fn(&str) -> Option<String>) -> Self {
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = env("TERM").is_some_and(|t| t == "dumb");
        Self {
            colour: tty && !no_color && !dumb,
        }
    }

    fn sgr(&self, code: &str, s: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    fn red(&self, s: &str) -> String {
        self.sgr("31", s)
    }

    fn green(&self, s: &str) -> String {
        self.sgr("32", s)
    }

    fn yellow(&self, s: &str) -> String {
        self.sgr("33", s)
    }

    fn bold(&self, s: &str) -> String {
        self.sgr("1", s)
    }

    fn dim(&self, s: &str) -> String {
        self.sgr("2", s)
    }
}

/// The finished line of one function, then (when it failed) its failed tests.
pub fn function(f: &FunctionReport, paint: Paint, cwd: Option<&Path>) -> String {
    let (mark, what) = if f.held_back {
        (
            paint.yellow("⏸"),
            format!("held back, not published ({})", f.stage),
        )
    } else if !f.succeeded() {
        (paint.red("✗"), paint.red("failed"))
    } else if f.published_untested() {
        (
            paint.yellow("✓"),
            paint.yellow("published to LIVE untested (no test cases)"),
        )
    } else if f.published {
        (paint.green("✓"), "published to LIVE".to_owned())
    } else {
        (
            paint.green("✓"),
            format!(
                "{} ({})",
                f.note.as_deref().unwrap_or("up to date"),
                f.stage
            ),
        )
    };
    let mut s = format!(
        "{mark} {} {what} {}\n",
        paint.bold(f.name.as_str()),
        paint.dim(&format!("in {:.1}s", f.duration.as_secs_f64()))
    );
    if f.held_back
        && let Some(note) = &f.note
    {
        let _ = writeln!(s, "    {}", paint.dim(note));
    }
    for t in f.test_results.iter().filter(|t| !t.passed) {
        s.push_str(&failed_test(t, paint, cwd));
    }
    s
}

/// One failed test: its name and file, then each difference line.
pub fn failed_test(t: &TestResult, paint: Paint, cwd: Option<&Path>) -> String {
    let file = t
        .file
        .as_deref()
        .map(|f| format!("  {}", paint.dim(&shown_path(f, cwd))))
        .unwrap_or_default();
    let mut s = format!("  {} {}{file}\n", paint.red("✗"), one_line(&t.name));
    let lines: Vec<&String> = t.detail().collect();
    for line in lines.iter().take(MAX_DETAIL_LINES) {
        let _ = writeln!(s, "      {}", one_line(line));
    }
    if lines.len() > MAX_DETAIL_LINES {
        let _ = writeln!(
            s,
            "      {}",
            paint.dim(&format!(
                "… and {} more (see the test-results output)",
                lines.len() - MAX_DETAIL_LINES
            ))
        );
    }
    s
}

/// A path as the user would type it: relative to the working directory when it is inside it.
fn shown_path(file: &Path, cwd: Option<&Path>) -> String {
    cwd.and_then(|c| file.strip_prefix(c).ok())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// User text on one line: a newline or escape in a test name must not redraw the terminal.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Stage;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn colour_needs_a_tty_and_no_no_color() {
        assert!(Paint::decide(true, &env(&[])).colour);
        assert!(!Paint::decide(false, &env(&[])).colour);
        assert!(!Paint::decide(true, &env(&[("NO_COLOR", "1")])).colour);
        // An empty NO_COLOR does not count (no-color.org).
        assert!(Paint::decide(true, &env(&[("NO_COLOR", "")])).colour);
        assert!(!Paint::decide(true, &env(&[("TERM", "dumb")])).colour);
    }

    fn failed(name: &str, diff: &[&str]) -> TestResult {
        TestResult {
            name: name.to_owned(),
            passed: false,
            compute_utilization: Some(3),
            output: None,
            logs: vec![],
            error: None,
            diff: diff.iter().map(|d| (*d).to_owned()).collect(),
            file: Some("/ws/tests/a.yaml".into()),
        }
    }

    #[test]
    fn a_failed_test_shows_its_file_relative_to_the_working_directory_and_every_line() {
        let s = failed_test(
            &failed(
                "a\nb",
                &["x: expected 1, got 2", "y: expected absent, got 3"],
            ),
            Paint::PLAIN,
            Some(Path::new("/ws")),
        );
        assert_eq!(
            s,
            "  ✗ a b  tests/a.yaml\n      x: expected 1, got 2\n      y: expected absent, got 3\n"
        );
    }

    #[test]
    fn long_diffs_are_cut_with_a_count() {
        let many: Vec<String> = (0..25)
            .map(|i| format!("k{i}: expected 1, got 2"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let s = failed_test(&failed("t", &refs), Paint::PLAIN, None);
        assert!(s.contains("k19:") && !s.contains("k20:"), "{s}");
        assert!(s.contains("and 5 more"), "{s}");
    }

    #[test]
    fn held_back_is_not_a_pass() {
        let f = FunctionReport {
            name: "good".parse().unwrap(),
            function_arn: None,
            stage: Stage::Development,
            etag: None,
            status: None,
            published: false,
            changed: false,
            compute_utilization: None,
            test_results: vec![],
            error: None,
            note: Some("not published: another function of the manifest failed".to_owned()),
            held_back: true,
            tested: true,
            warnings: vec![],
            distributions: None,
            key_value_store: None,
            steps: vec![],
            duration: Default::default(),
        };
        let s = function(&f, Paint::PLAIN, None);
        assert!(!s.contains('✓'), "{s}");
        assert!(s.starts_with("⏸ good held back"), "{s}");
    }
}
