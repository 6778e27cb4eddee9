//! Markdown escaping shared by the PR comment and the job summary: user text (test names, error
//! messages, diffs) must render literally and must not break a table.

use super::FunctionReport;

/// A function's result as the PR comment and the job summary show it: passed, failed, or held
/// back (passed, not published because another function of the manifest failed).
pub(crate) fn result_mark(f: &FunctionReport) -> &'static str {
    if f.held_back {
        "⏸️ held back"
    } else if f.succeeded() {
        "✅"
    } else {
        "❌"
    }
}

/// Longest table cell, in characters, before it is cut.
pub(crate) const MAX_CELL_CHARS: usize = 200;

/// Plain text for a table cell: escaped, newlines as `<br>`, length capped.
pub(crate) fn cell(s: &str) -> String {
    text(&cut(s, MAX_CELL_CHARS)).replace('\n', "<br>")
}

/// A code span inside a table cell: `|` still needs its backslash there.
pub(crate) fn code_cell(s: &str) -> String {
    code(&cut(s, MAX_CELL_CHARS)).replace('|', "\\|")
}

/// Escapes user text so Markdown and HTML in it render literally.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A code span that survives backticks and newlines in its content.
pub(crate) fn code(s: &str) -> String {
    let s = one_line(s);
    let ticks = "`".repeat(longest_backtick_run(&s) + 1);
    if ticks.len() == 1 {
        format!("`{s}`")
    } else {
        format!("{ticks} {s} {ticks}")
    }
}

pub(crate) fn one_line(s: &str) -> String {
    s.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

pub(crate) fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub(crate) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
