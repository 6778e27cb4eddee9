//! The job summary (`$GITHUB_STEP_SUMMARY`) in GitHub-flavoured Markdown.

use std::fmt::Write;

use super::Report;
use super::markdown::{cell, code_cell, result_mark};

/// The job summary of a run stopped by an invalid input: the one error line, escaped.
pub fn render_invalid_input(message: &str) -> String {
    format!(
        "## cloudfront-publish\n\n> **Invalid input:** {}\n\nNothing was read or changed in CloudFront.\n",
        cell(message)
    )
}

/// Renders the job summary: one table of functions, then each function's tests.
pub fn render(report: &Report) -> String {
    let mut s = String::from("## cloudfront-publish\n\n");
    s.push_str("| function | result | stage | ETag | status | changed | published | compute utilization | time |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for f in &report.functions {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1}s |",
            code_cell(f.name.as_str()),
            result_mark(f),
            f.stage,
            code_cell(f.etag.as_deref().unwrap_or("-")),
            cell(f.status.as_deref().unwrap_or("-")),
            f.changed,
            if f.published_untested() {
                "true (untested)".to_owned()
            } else {
                f.published.to_string()
            },
            f.compute_utilization
                .map_or("-".to_owned(), |c| c.to_string()),
            f.duration.as_secs_f64()
        );
    }
    if let Some(d) = super::distributions::for_report(report) {
        s.push('\n');
        s.push_str(&d);
    }
    for f in &report.functions {
        let _ = writeln!(s, "\n### {}\n", code_cell(f.name.as_str()));
        if let Some(arn) = &f.function_arn {
            let _ = writeln!(s, "ARN: {}\n", code_cell(arn));
        }
        if let Some(e) = &f.error {
            let _ = writeln!(s, "> **Error:** {}\n", cell(e));
        }
        if let Some(n) = &f.note {
            let _ = writeln!(s, "> {}\n", cell(n));
        }
        if f.test_results.is_empty() {
            s.push_str(if f.published {
                "> ⚠️ **published untested**: no test cases ran (set `test-events`).\n"
            } else {
                "No test cases.\n"
            });
            continue;
        }
        s.push_str("| test | result | compute utilization | detail |\n|---|---|---|---|\n");
        for t in &f.test_results {
            let detail = t
                .detail()
                .take(5)
                .map(|d| cell(d))
                .collect::<Vec<_>>()
                .join("<br>");
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                cell(&t.name),
                if t.passed { "✅ pass" } else { "❌ fail" },
                t.compute_utilization
                    .map_or("-".to_owned(), |c| c.to_string()),
                detail
            );
        }
    }
    let stores = super::kvs::section(report);
    if !stores.is_empty() {
        let _ = write!(s, "\n{stores}");
    }
    if let Some(url) = &report.comment_url {
        let _ = writeln!(s, "\nPR comment: {url}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FunctionReport, TestResult};
    use crate::types::Stage;

    #[test]
    fn user_text_cannot_break_the_tables() {
        let f = FunctionReport {
            name: "site".parse().unwrap(),
            function_arn: None,
            stage: Stage::Development,
            etag: Some("E1".parse().unwrap()),
            status: None,
            published: false,
            tested: false,
            changed: true,
            compute_utilization: Some(3),
            test_results: vec![TestResult {
                name: "a | b\n| injected | row |".to_owned(),
                passed: false,
                compute_utilization: Some(3),
                output: None,
                logs: vec![],
                error: Some("<script>x</script>".to_owned()),
                diff: vec![],
                file: None,
            }],
            error: Some("site: 1 of 1 tests failed: not published".to_owned()),
            note: None,
            held_back: false,
            warnings: vec![],
            key_value_store: None,
            distributions: None,
            steps: vec![],
            duration: Default::default(),
        };
        let s = render(&Report {
            functions: vec![f],
            ..Report::default()
        });
        let row = s.lines().find(|l| l.contains("injected")).unwrap();
        assert!(!row.contains("<script>"), "{row}");
        // One row: the test's pipes are escaped, so the row still has the table's 5 separators.
        assert_eq!(row.matches(" | ").count() + 2, 5, "{row}");
        assert!(s.contains("not published"));
    }
}
