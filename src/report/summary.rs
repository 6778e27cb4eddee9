//! The job summary (`$GITHUB_STEP_SUMMARY`) in GitHub-flavoured Markdown.

use std::fmt::Write;

use super::Report;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders the job summary: one table of functions, then each function's tests.
pub fn render(report: &Report) -> String {
    let mut s = String::from("## cloudfront-publish\n\n");
    s.push_str("| function | result | stage | ETag | status | changed | published | compute utilization | time |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for f in &report.functions {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | `{}` | {} | {} | {} | {} | {:.1}s |",
            cell(&f.name),
            if f.succeeded() { "✅" } else { "❌" },
            f.stage,
            cell(f.etag.as_deref().unwrap_or("-")),
            cell(f.status.as_deref().unwrap_or("-")),
            f.changed,
            f.published,
            f.compute_utilization
                .map_or("-".to_owned(), |c| c.to_string()),
            f.duration.as_secs_f64()
        );
    }
    for f in &report.functions {
        let _ = writeln!(s, "\n### `{}`\n", cell(&f.name));
        if let Some(arn) = &f.function_arn {
            let _ = writeln!(s, "ARN: `{}`\n", cell(arn));
        }
        if let Some(e) = &f.error {
            let _ = writeln!(s, "> **Error:** {}\n", cell(e));
        }
        if let Some(n) = &f.note {
            let _ = writeln!(s, "> {}\n", cell(n));
        }
        if f.test_results.is_empty() {
            s.push_str("No test cases.\n");
            continue;
        }
        s.push_str("| test | result | compute utilization | detail |\n|---|---|---|---|\n");
        for t in &f.test_results {
            let detail = t
                .error
                .iter()
                .chain(t.diff.iter())
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
    if let Some(url) = &report.comment_url {
        let _ = writeln!(s, "\nPR comment: {url}");
    }
    s
}
