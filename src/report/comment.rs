//! The PR comment's Markdown: hidden marker, function table, test table, commit and run link.
//!
//! Pure rendering of a [`Report`]; finding, creating and updating the comment is `crate::github`'s job.
//! Everything that came from a user or the network is escaped so it cannot break a table, close a
//! code fence or smuggle in another target's marker.

use std::fmt::Write as _;

use super::markdown::{
    MAX_CELL_CHARS, cell, code, code_cell, cut, longest_backtick_run, one_line, result_mark, text,
};
use super::{FunctionReport, Report, TestResult};
use crate::types::Stage;

/// Largest comment body GitHub accepts.
pub const MAX_PR_COMMENT_CHARS: usize = 65_536;

/// At most this many `diff` lines are shown per failing test.
const MAX_DIFF_LINES: usize = 20;
/// Longer diff/error lines are cut to this many characters.
const MAX_LINE_CHARS: usize = 300;

/// The hidden marker that finds our comment again: `<!-- cloudfront-publish:NAME -->`.
pub fn marker(target: &str) -> String {
    format!("<!-- cloudfront-publish:{target} -->")
}

/// Renders the comment body for `target` (function name or `manifest:PATH`).
///
/// The marker is always the first line and the result never exceeds [`MAX_PR_COMMENT_CHARS`]
/// bytes (so also characters): sections that do not fit are dropped with a note.
pub fn render(target: &str, report: &Report) -> String {
    let head = format!("{}\n{}\n\n", marker(target), heading(report));
    let mut parts = Vec::new();
    if is_multi(report) {
        parts.extend(functions_table(report));
        parts.extend(super::distributions::for_report(report));
        for f in &report.functions {
            parts.extend(function_section(f));
        }
    } else if let Some(f) = report.functions.first() {
        parts.extend(function_details_table(f));
        parts.extend(super::distributions::for_report(report));
        parts.extend(function_body(f));
    } else {
        parts.push("No functions were processed.\n\n".to_owned());
    }
    let stores = super::kvs::section(report);
    if !stores.is_empty() {
        parts.push(stores);
    }
    assemble(head, parts, footer(report), report.run_url.as_deref())
}

/// A manifest run, or anything with several functions, gets the summary table layout.
fn is_multi(report: &Report) -> bool {
    report.manifest.is_some() || report.functions.len() > 1
}

fn heading(report: &Report) -> String {
    if is_multi(report) {
        let total = report.functions.len();
        let failed = report.functions.iter().filter(|f| !f.succeeded()).count();
        let published = report.functions.iter().filter(|f| f.published).count();
        let source = report
            .manifest
            .as_deref()
            .map(|m| format!(" (manifest {})", code(m)))
            .unwrap_or_default();
        if failed > 0 {
            format!("### ❌ CloudFront Functions: {failed} of {total} failed{source}")
        } else {
            format!(
                "### ✅ CloudFront Functions: {total} {}, {published} published{source}",
                plural(total, "function", "functions")
            )
        }
    } else if let Some(f) = report.functions.first() {
        format!(
            "### {} CloudFront Function {} {}",
            mark(f),
            code(f.name.as_str()),
            outcome(f)
        )
    } else {
        "### CloudFront Functions".to_owned()
    }
}

/// What happened to one function, as a short phrase.
fn outcome(f: &FunctionReport) -> &'static str {
    if f.held_back {
        "held back: passed, not published because another function failed"
    } else if !f.succeeded() {
        "failed"
    } else if f.published_untested() {
        "published untested (no test cases)"
    } else if f.published {
        "published to LIVE"
    } else if f.stage == Stage::Live {
        "unchanged: LIVE already holds this code"
    } else {
        "tested, not published"
    }
}

/// A mark after "yes" for a publish that no test ran against.
fn untested(f: &FunctionReport) -> &'static str {
    if f.published_untested() {
        " ⚠️ untested"
    } else {
        ""
    }
}

/// Summary table of every function in a manifest run.
fn functions_table(report: &Report) -> Vec<String> {
    let mut parts = vec![
        "| Function | Result | Stage | ETag | Status | Changed | Published | Tests | Compute |\n\
         |---|:---:|---|---|---|---|---|---|---|\n"
            .to_owned(),
    ];
    for f in &report.functions {
        let passed = f.test_results.iter().filter(|t| t.passed).count();
        parts.push(format!(
            "| {} | {} | {} | {} | {} | {} | {}{} | {}/{} | {} |\n",
            code_cell(f.name.as_str()),
            result_mark(f),
            f.stage.as_str(),
            opt_code_cell(f.etag.as_deref()),
            opt_cell(f.status.as_deref()),
            yes_no(f.changed),
            yes_no(f.published),
            untested(f),
            passed,
            f.test_results.len(),
            utilization(f.compute_utilization),
        ));
    }
    parts.push("\n".to_owned());
    parts
}

/// One function's section in a manifest run: heading, ARN, error, tests.
fn function_section(f: &FunctionReport) -> Vec<String> {
    let mut head = format!(
        "#### {} {} {}\n\n",
        mark(f),
        code(f.name.as_str()),
        outcome(f)
    );
    if let Some(arn) = &f.function_arn {
        let _ = writeln!(head, "{}: {}\n", arn_label(f), code(arn));
    }
    let mut parts = vec![head];
    parts.extend(function_body(f));
    parts
}

/// The key/value table for a single-function run.
fn function_details_table(f: &FunctionReport) -> Vec<String> {
    let mut t = String::from("| | |\n|---|---|\n");
    let _ = writeln!(t, "| Function | {} |", code_cell(f.name.as_str()));
    let _ = writeln!(t, "| Stage | {} |", f.stage.as_str());
    if let Some(arn) = &f.function_arn {
        let _ = writeln!(t, "| {} | {} |", arn_label(f), code_cell(arn));
    }
    let _ = writeln!(t, "| ETag | {} |", opt_code_cell(f.etag.as_deref()));
    let _ = writeln!(t, "| Status | {} |", opt_cell(f.status.as_deref()));
    let _ = writeln!(t, "| Changed | {} |", yes_no(f.changed));
    let _ = writeln!(t, "| Published | {}{} |", yes_no(f.published), untested(f));
    let _ = writeln!(
        t,
        "| Compute utilization | {} |",
        utilization(f.compute_utilization)
    );
    t.push('\n');
    vec![t]
}

/// Error line, test table and failure details of one function.
fn function_body(f: &FunctionReport) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(err) = &f.error {
        parts.push(format!(
            "**Error:** {}\n\n",
            text(&cut(err, MAX_LINE_CHARS))
        ));
    }
    if let Some(note) = &f.note {
        parts.push(format!("_{}_\n\n", text(&cut(note, MAX_LINE_CHARS))));
    }
    if f.test_results.is_empty() {
        parts.push("No tests ran.\n\n".to_owned());
        return parts;
    }
    let passed = f.test_results.iter().filter(|t| t.passed).count();
    let failed = f.test_results.len() - passed;
    parts.push(format!(
        "**Tests:** {passed} passed, {failed} failed\n\n\
         | Test | Result | Compute utilization |\n|---|:---:|---:|\n"
    ));
    for t in &f.test_results {
        parts.push(format!(
            "| {} | {} | {} |\n",
            cell(&t.name),
            icon(t.passed),
            utilization(t.compute_utilization)
        ));
    }
    parts.push("\n".to_owned());
    for t in f.test_results.iter().filter(|t| !t.passed) {
        parts.push(failure_details(t));
    }
    parts
}

/// A collapsed block with a failing test's error and (capped) diff.
fn failure_details(t: &TestResult) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(err) = &t.error {
        lines.push(format!("error: {}", one_line(err)));
    }
    for d in t.diff.iter().take(MAX_DIFF_LINES) {
        lines.push(one_line(d));
    }
    if t.diff.len() > MAX_DIFF_LINES {
        lines.push(format!("… {} more lines", t.diff.len() - MAX_DIFF_LINES));
    }
    if lines.is_empty() {
        lines.push("failed (no details)".to_owned());
    }
    let body = lines
        .iter()
        .map(|l| cut(l, MAX_LINE_CHARS))
        .collect::<Vec<_>>()
        .join("\n");
    // A fence longer than any backtick run inside can never be closed by the content.
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!(
        "<details><summary>❌ {}</summary>\n\n{fence}text\n{body}\n{fence}\n\n</details>\n\n",
        text(&cut(&t.name, MAX_CELL_CHARS))
    )
}

fn footer(report: &Report) -> String {
    let mut items = Vec::new();
    if let Some(sha) = &report.sha {
        let short: String = sha.chars().take(7).collect();
        items.push(format!("Commit {}", code(&short)));
    }
    if let Some(url) = &report.run_url {
        items.push(format!("[Workflow run]({})", link_target(url)));
    }
    items.push("cloudfront-publish".to_owned());
    format!("<sub>{}</sub>\n", items.join(" · "))
}

/// Joins head, as many parts as fit, and footer, within [`MAX_PR_COMMENT_CHARS`].
fn assemble(head: String, parts: Vec<String>, footer: String, run_url: Option<&str>) -> String {
    let total: usize = head.len() + parts.iter().map(String::len).sum::<usize>() + footer.len();
    if total <= MAX_PR_COMMENT_CHARS {
        let mut out = head;
        parts.iter().for_each(|p| out.push_str(p));
        out.push_str(&footer);
        return out;
    }
    let see = run_url
        .map(|u| {
            format!(
                "; the [workflow run]({}) has the full report",
                link_target(u)
            )
        })
        .unwrap_or_default();
    // Sized for the largest count so the note never grows after the budget is fixed.
    let note_for = |omitted: usize| {
        format!(
            "\n> [!NOTE]\n> Truncated: {omitted} more {} did not fit in GitHub's {MAX_PR_COMMENT_CHARS}-character comment limit{see}.\n\n",
            plural(omitted, "section", "sections")
        )
    };
    let budget = MAX_PR_COMMENT_CHARS
        .saturating_sub(head.len() + footer.len() + note_for(parts.len()).len());
    let mut out = head;
    let mut used = 0;
    let mut kept = 0;
    for p in &parts {
        if used + p.len() > budget {
            break;
        }
        out.push_str(p);
        used += p.len();
        kept += 1;
    }
    out.push_str(&note_for(parts.len() - kept));
    out.push_str(&footer);
    truncate_keeping_marker(out)
}

/// Last resort when even head and footer are too long: cut at a char boundary, add a note.
fn truncate_keeping_marker(body: String) -> String {
    if body.len() <= MAX_PR_COMMENT_CHARS {
        return body;
    }
    const NOTE: &str = "\n\n… (truncated to fit GitHub's comment limit)\n";
    let mut end = MAX_PR_COMMENT_CHARS - NOTE.len();
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = body[..end].to_owned();
    out.push_str(NOTE);
    out
}

/// A function's mark in a heading: held back is neither a pass nor a failure.
fn mark(f: &FunctionReport) -> &'static str {
    if f.held_back {
        "⏸️"
    } else {
        icon(f.succeeded())
    }
}

fn icon(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn arn_label(f: &FunctionReport) -> &'static str {
    if f.stage == Stage::Live {
        "LIVE ARN"
    } else {
        "ARN"
    }
}

fn utilization(u: Option<u32>) -> String {
    u.map_or_else(|| "–".to_owned(), |u| u.to_string())
}

fn opt_cell(s: Option<&str>) -> String {
    s.map_or_else(|| "–".to_owned(), cell)
}

fn opt_code_cell(s: Option<&str>) -> String {
    s.map_or_else(|| "–".to_owned(), code_cell)
}

/// A link destination that cannot end the `(...)` early.
fn link_target(url: &str) -> String {
    url.chars()
        .map(|c| match c {
            ' ' => "%20".to_owned(),
            '(' => "%28".to_owned(),
            ')' => "%29".to_owned(),
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::types::FunctionStatus;

    fn test(name: &str, passed: bool, cu: Option<u32>) -> TestResult {
        TestResult {
            name: name.to_owned(),
            passed,
            compute_utilization: cu,
            output: None,
            logs: vec![],
            error: None,
            diff: vec![],
            file: None,
        }
    }

    fn function(name: &str) -> FunctionReport {
        FunctionReport {
            name: name.parse().unwrap(),
            function_arn: Some(format!("arn:aws:cloudfront::123456789012:function/{name}")),
            stage: Stage::Live,
            etag: Some("E2QWRUHAPOMQZL".parse().unwrap()),
            status: Some(FunctionStatus::Unassociated),
            published: true,
            tested: true,
            changed: true,
            compute_utilization: Some(17),
            test_results: vec![test("redirects apex", true, Some(17))],
            error: None,
            note: None,
            held_back: false,
            warnings: Vec::new(),
            key_value_store: None,
            distributions: None,
            steps: vec![],
            duration: Duration::ZERO,
        }
    }

    fn report(functions: Vec<FunctionReport>) -> Report {
        Report {
            functions,
            manifest: None,
            sha: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
            run_url: Some("https://github.com/o/r/actions/runs/42".to_owned()),
            comment_url: None,
            warnings: Vec::new(),
        }
    }

    /// Rows of the first table whose header starts with `header`.
    fn table_rows<'a>(body: &'a str, header: &str) -> Vec<&'a str> {
        body.lines()
            .skip_while(|l| !l.starts_with(header))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect()
    }

    /// Cells of a table row, splitting only on unescaped pipes.
    fn cells(row: &str) -> usize {
        let mut n = 0;
        let mut prev = ' ';
        for c in row.chars() {
            if c == '|' && prev != '\\' {
                n += 1;
            }
            prev = c;
        }
        n - 1
    }

    #[test]
    fn marker_is_the_first_line_and_names_the_target() {
        let body = render("redirect-www", &report(vec![function("redirect-www")]));
        assert_eq!(
            body.lines().next(),
            Some("<!-- cloudfront-publish:redirect-www -->")
        );
        let body = render("manifest:cf.yaml", &report(vec![function("a")]));
        assert!(body.starts_with("<!-- cloudfront-publish:manifest:cf.yaml -->\n"));
    }

    #[test]
    fn a_publish_without_tests_is_shown_as_published_untested() {
        let mut f = function("redirect-www");
        f.tested = false;
        f.test_results.clear();
        let body = render("redirect-www", &report(vec![f.clone()]));
        assert!(body.contains("published untested"), "{body}");
        assert!(body.contains("| Published | yes ⚠️ untested |"), "{body}");
        let multi = render("m", &report(vec![f, function("b")]));
        assert_eq!(multi.matches("⚠️ untested").count(), 1, "{multi}");
        let tested = render("redirect-www", &report(vec![function("redirect-www")]));
        assert!(!tested.contains("untested"), "{tested}");
    }

    #[test]
    fn single_function_shows_stage_arn_etag_status_and_flags() {
        let body = render("redirect-www", &report(vec![function("redirect-www")]));
        assert!(body.contains("published to LIVE"), "{body}");
        assert!(body.contains("| Stage | LIVE |"));
        assert!(
            body.contains(
                "| LIVE ARN | `arn:aws:cloudfront::123456789012:function/redirect-www` |"
            )
        );
        assert!(body.contains("| ETag | `E2QWRUHAPOMQZL` |"));
        assert!(body.contains("| Status | UNASSOCIATED |"));
        assert!(body.contains("| Changed | yes |"));
        assert!(body.contains("| Published | yes |"));
        assert!(body.contains("| redirects apex | ✅ | 17 |"));
        assert!(!body.contains("**Error:**"));
    }

    #[test]
    fn footer_has_short_sha_and_run_link() {
        let body = render("f", &report(vec![function("f")]));
        assert!(body.contains("Commit `0123456`"), "{body}");
        assert!(!body.contains("0123456789abcdef"));
        assert!(body.contains("[Workflow run](https://github.com/o/r/actions/runs/42)"));
    }

    #[test]
    fn a_note_explains_why_a_passing_function_was_not_published() {
        let mut f = function("site");
        f.note = Some("not published: publish is false".to_owned());
        let report = Report {
            functions: vec![f],
            ..Report::default()
        };
        assert!(render("site", &report).contains("not published: publish is false"));
    }

    #[test]
    fn failed_function_shows_error_line_and_failing_test_diff() {
        let mut f = function("f");
        f.published = false;
        f.stage = Stage::Development;
        f.error = Some("not published: 1 test failed".to_owned());
        let mut bad = test("adds header", false, Some(40));
        bad.diff = vec![
            "response.headers.x-frame.value: expected \"DENY\", got \"SAMEORIGIN\"".to_owned(),
        ];
        f.test_results.push(bad);
        let body = render("f", &report(vec![f]));
        assert!(
            body.contains("### ❌ CloudFront Function `f` failed"),
            "{body}"
        );
        assert!(body.contains("**Error:** not published: 1 test failed"));
        assert!(body.contains("| adds header | ❌ | 40 |"));
        assert!(body.contains("<summary>❌ adds header</summary>"));
        assert!(body.contains("expected \"DENY\", got \"SAMEORIGIN\""));
        assert!(
            body.contains("| ARN |"),
            "DEVELOPMENT stage is not labelled LIVE"
        );
        assert!(body.contains("**Tests:** 1 passed, 1 failed"));
    }

    #[test]
    fn long_diffs_are_capped_with_a_count_of_the_rest() {
        let mut f = function("f");
        let mut bad = test("big", false, None);
        bad.diff = (0..50).map(|i| format!("line {i}")).collect();
        f.test_results = vec![bad];
        let body = render("f", &report(vec![f]));
        assert!(body.contains("line 19\n"));
        assert!(!body.contains("line 20\n"));
        assert!(body.contains("… 30 more lines"));
    }

    #[test]
    fn diff_with_backticks_cannot_close_its_fence() {
        let mut f = function("f");
        let mut bad = test("t", false, None);
        bad.diff = vec!["```\n# injected heading".to_owned()];
        f.test_results = vec![bad];
        let body = render("f", &report(vec![f]));
        assert!(
            body.contains("````text\n``` # injected heading\n````\n"),
            "{body}"
        );
    }

    #[test]
    fn pipes_and_newlines_in_cells_do_not_break_the_table() {
        let mut f = function("f");
        f.test_results = vec![test("a|b\nc", true, Some(1))];
        f.status = Some(FunctionStatus::from_api("weird|status"));
        let body = render("f", &report(vec![f]));
        let rows = table_rows(&body, "| Test |");
        assert_eq!(rows, vec!["| a\\|b<br>c | ✅ | 1 |"]);
        assert!(rows.iter().all(|r| cells(r) == 3));
        assert!(body.contains("| Status | weird\\|status |"));
    }

    #[test]
    fn html_in_test_names_cannot_inject_another_marker() {
        let mut f = function("f");
        f.test_results = vec![test("<!-- cloudfront-publish:other -->", false, None)];
        let body = render("f", &report(vec![f]));
        assert!(!body.contains(&marker("other")));
        assert!(
            body.contains("&lt;\\!-- cloudfront-publish:other --&gt;"),
            "{body}"
        );
    }

    #[test]
    fn a_held_back_function_is_neither_passed_nor_failed() {
        let mut a = function("a-fn");
        a.published = false;
        a.stage = Stage::Development;
        a.held_back = true;
        a.note = Some("not published: another function of the manifest failed".to_owned());
        let mut b = function("b-fn");
        b.published = false;
        b.error = Some("test failed".to_owned());
        let mut r = report(vec![a, b]);
        r.manifest = Some("cloudfront-functions.yaml".to_owned());
        let body = render("manifest:cloudfront-functions.yaml", &r);
        let rows = table_rows(&body, "| Function | Result |");
        assert!(
            rows[0].starts_with("| `a-fn` | ⏸️ held back | DEVELOPMENT |"),
            "{}",
            rows[0]
        );
        assert!(body.contains("#### ⏸️ `a-fn` held back"), "{body}");
        assert!(!body.contains("#### ✅ `a-fn`"), "{body}");
    }

    #[test]
    fn manifest_run_has_a_function_table_then_per_function_tests() {
        let mut b = function("b-fn");
        b.published = false;
        b.stage = Stage::Development;
        b.error = Some("test failed".to_owned());
        b.test_results = vec![test("b-case", false, Some(90))];
        let mut r = report(vec![function("a-fn"), b]);
        r.manifest = Some("cloudfront-functions.yaml".to_owned());
        let body = render("manifest:cloudfront-functions.yaml", &r);
        assert!(
            body.contains(
                "### ❌ CloudFront Functions: 1 of 2 failed (manifest `cloudfront-functions.yaml`)"
            ),
            "{body}"
        );
        let rows = table_rows(&body, "| Function | Result |");
        assert_eq!(rows.len(), 2);
        assert!(rows[0].starts_with("| `a-fn` | ✅ | LIVE | `E2QWRUHAPOMQZL` |"));
        assert!(rows[1].starts_with("| `b-fn` | ❌ | DEVELOPMENT |"));
        assert!(rows[1].contains("| 0/1 |"));
        assert!(body.contains("#### ✅ `a-fn` published to LIVE"));
        assert!(body.contains("#### ❌ `b-fn` failed"));
        assert!(body.contains("| b-case | ❌ | 90 |"));
        let a = body.find("#### ✅ `a-fn`").unwrap();
        let b = body.find("#### ❌ `b-fn`").unwrap();
        assert!(
            body.find("| redirects apex |")
                .is_some_and(|t| a < t && t < b)
        );
    }

    #[test]
    fn oversized_body_is_truncated_with_marker_footer_and_note() {
        let mut f = function("f");
        f.test_results = (0..3000)
            .map(|i| {
                let mut t = test(&format!("case {i} ✓ é {}", "x".repeat(50)), false, Some(1));
                t.diff = vec!["ü".repeat(400); 30];
                t
            })
            .collect();
        let body = render("f", &report(vec![f]));
        assert!(body.len() <= MAX_PR_COMMENT_CHARS, "{}", body.len());
        assert!(body.starts_with("<!-- cloudfront-publish:f -->\n"));
        assert!(body.contains("Truncated: "));
        assert!(body.contains("Commit `0123456`"));
        assert!(body.ends_with("cloudfront-publish</sub>\n"));
    }

    #[test]
    fn last_resort_truncation_cuts_on_a_char_boundary() {
        let body = format!("{}\n{}", marker("f"), "é".repeat(MAX_PR_COMMENT_CHARS));
        let out = truncate_keeping_marker(body);
        assert!(out.len() <= MAX_PR_COMMENT_CHARS);
        assert!(out.starts_with(&marker("f")));
        assert!(out.ends_with("(truncated to fit GitHub's comment limit)\n"));
    }

    #[test]
    fn unchanged_live_function_says_so() {
        let mut f = function("f");
        f.published = false;
        f.changed = false;
        let body = render("f", &report(vec![f]));
        assert!(
            body.contains("unchanged: LIVE already holds this code"),
            "{body}"
        );
        assert!(body.contains("| Changed | no |"));
    }
}
