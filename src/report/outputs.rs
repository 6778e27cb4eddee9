//! Step outputs (`$GITHUB_OUTPUT`, `name<<delimiter` form, appended) and workflow commands
//! (`::error`, `::warning`, `::group::`) with the runner's escaping.

use std::io::Write;
use std::path::Path;

use super::Report;

/// The step outputs of a report, in action.yml order.
pub fn outputs(report: &Report) -> Vec<(&'static str, String)> {
    let any = |f: fn(&super::FunctionReport) -> bool| report.functions.iter().any(f).to_string();
    let comment_url = report.comment_url.clone().unwrap_or_default();
    match (&report.manifest, report.functions.as_slice()) {
        (None, [f]) => vec![
            ("function-arn", f.function_arn.clone().unwrap_or_default()),
            ("stage", f.stage.as_str().to_owned()),
            ("etag", f.etag.as_deref().unwrap_or_default().to_owned()),
            ("status", f.status.as_deref().unwrap_or_default().to_owned()),
            ("published", f.published.to_string()),
            ("tested", f.tested.to_string()),
            ("changed", f.changed.to_string()),
            (
                "compute-utilization",
                f.compute_utilization
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            ),
            (
                "test-results",
                serde_json::to_string(&f.test_results).unwrap_or_else(|_| "[]".to_owned()),
            ),
            ("comment-url", comment_url),
            (
                "key-value-store-arn",
                f.key_value_store
                    .as_ref()
                    .and_then(|k| k.arn.clone())
                    .unwrap_or_default(),
            ),
            (
                "key-value-store-etag",
                f.key_value_store
                    .as_ref()
                    .and_then(|k| k.etag.clone())
                    .unwrap_or_default(),
            ),
            (
                "key-value-store-changes",
                f.key_value_store
                    .as_ref()
                    .map(super::kvs::StoreReport::changes_json)
                    .unwrap_or_default(),
            ),
            (
                "distributions",
                serde_json::to_string(f.distributions.as_deref().unwrap_or_default())
                    .unwrap_or_else(|_| "[]".to_owned()),
            ),
        ],
        _ => vec![
            ("published", any(|f| f.published)),
            // A manifest run is tested only when every function is.
            (
                "tested",
                report.functions.iter().all(|f| f.tested).to_string(),
            ),
            ("changed", any(|f| f.changed)),
            (
                "compute-utilization",
                report
                    .functions
                    .iter()
                    .filter_map(|f| f.compute_utilization)
                    .max()
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            ),
            (
                "results",
                serde_json::to_string(&report.functions).unwrap_or_else(|_| "[]".to_owned()),
            ),
            ("comment-url", comment_url),
        ],
    }
}

/// The outputs of a run stopped by an invalid input, before anything was read or written: nothing
/// was published or changed, so a workflow's `if: steps.x.outputs.published == 'true'` is false.
pub fn invalid_input_outputs() -> Vec<(&'static str, String)> {
    vec![
        ("published", false.to_string()),
        ("changed", false.to_string()),
        ("tested", false.to_string()),
    ]
}

/// Formats outputs in the multi-line `name<<DELIMITER` form with a random delimiter that occurs in
/// no value.
pub fn format_outputs(outputs: &[(&str, String)]) -> String {
    let mut delimiter;
    loop {
        delimiter = format!(
            "ghadelimiter_{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        if !outputs.iter().any(|(_, v)| v.contains(&delimiter)) {
            break;
        }
    }
    let mut s = String::new();
    for (name, value) in outputs {
        s.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
    }
    s
}

/// Appends to a runner file (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`); never truncates it.
pub fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A workflow command line: `::error title=T::message` (kind is error, warning or notice).
pub fn annotation(kind: &str, title: Option<&str>, message: &str) -> String {
    match title {
        Some(t) => format!(
            "::{kind} title={}::{}",
            escape_property(t),
            escape_data(message)
        ),
        None => format!("::{kind}::{}", escape_data(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_use_a_delimiter_that_no_value_contains() {
        let text = format_outputs(&[("a", "line1\nline2".to_owned()), ("b", String::new())]);
        let first = text.lines().next().unwrap();
        let delim = first.strip_prefix("a<<").unwrap();
        assert!(delim.starts_with("ghadelimiter_"));
        assert_eq!(
            text,
            format!("a<<{delim}\nline1\nline2\n{delim}\nb<<{delim}\n\n{delim}\n")
        );
    }

    #[test]
    fn append_keeps_what_the_file_had() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        std::fs::write(&p, "earlier=1\n").unwrap();
        append(&p, "x<<D\n1\nD\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "earlier=1\nx<<D\n1\nD\n"
        );
    }

    #[test]
    fn annotations_escape_newlines_percent_and_property_separators() {
        assert_eq!(
            annotation("error", Some("bad: a,b"), "50%\nnext"),
            "::error title=bad%3A a%2Cb::50%25%0Anext"
        );
        assert_eq!(annotation("warning", None, "w"), "::warning::w");
    }
}
