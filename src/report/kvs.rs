//! What a run did to its key value stores, and how the summary and the PR comment show it: the
//! counts and the keys (capped, escaped), never a value. A [`StoreReport`] holds no values at all,
//! so no rendering can leak one.

use std::fmt::Write;

use serde::Serialize;

use super::Report;
use super::markdown::{code, cut, text};
use crate::kvs::Changes;

/// Keys listed per kind (added, changed, removed) before "and N more".
pub const MAX_KEYS_SHOWN: usize = 20;

/// Longest key shown, in characters (keys may have 512).
const MAX_KEY_SHOWN_CHARS: usize = 80;

/// Longest store name shown: names have 64 characters, ARNs about 90.
const MAX_STORE_SHOWN_CHARS: usize = 120;

/// One store's part of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct StoreReport {
    /// The store as the inputs name it (name or ARN).
    pub name: String,
    /// Its ARN, once known.
    pub arn: Option<String>,
    /// Its data-plane ETag at the end of the run.
    pub etag: Option<String>,
    /// True when this run created it.
    pub created: bool,
    /// The keys that differ: written by this run, or (with `publish: false`, or after a failure)
    /// the change a publishing run would make.
    pub changes: Changes,
    /// True when this run wrote to the store and the writes stand.
    pub written: bool,
    /// True when the run's writes were undone after a failure.
    pub restored: bool,
    /// What else happened (restore, skipped deletes), one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the store could not be synced, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What was done, for the log's `::group::` (not an output).
    #[serde(skip)]
    pub steps: Vec<String>,
}

impl StoreReport {
    /// The `key-value-store-changes` output.
    pub fn changes_json(&self) -> String {
        self.changes.to_json().to_string()
    }

    /// One line: the store, what happened to it, and the counts.
    pub fn headline(&self) -> String {
        let c = &self.changes;
        let counts = format!(
            "{} added, {} changed, {} removed",
            c.added.len(),
            c.changed.len(),
            c.removed.len()
        );
        let state = if self.error.is_some() {
            "not synced"
        } else if self.restored {
            return format!("restored after the failed run, which would have made {counts}");
        } else if c.is_empty() {
            "already in sync"
        } else if self.written {
            "synced"
        } else {
            "planned, not written"
        };
        format!("{state}: {counts}")
    }
}

/// The stores of a report, each once (functions that share one carry the same report).
pub fn stores(report: &Report) -> Vec<&StoreReport> {
    let mut out: Vec<&StoreReport> = Vec::new();
    for s in report
        .functions
        .iter()
        .filter_map(|f| f.key_value_store.as_ref())
    {
        if !out.iter().any(|o| o.name == s.name) {
            out.push(s);
        }
    }
    out
}

/// The Markdown section for the summary and the comment; empty when no store was synced.
pub fn section(report: &Report) -> String {
    let stores = stores(report);
    let mut s = String::new();
    for st in stores {
        let _ = writeln!(
            s,
            "**Key value store** {}: {}\n",
            code(&cut(&st.name, MAX_STORE_SHOWN_CHARS)),
            st.headline()
        );
        if let Some(e) = &st.error {
            let _ = writeln!(s, "> {}\n", text(&cut(e, 300)));
        }
        if st.created {
            s.push_str("- created by this run\n");
        }
        for (kind, keys) in [
            ("added", &st.changes.added),
            ("changed", &st.changes.changed),
            ("removed", &st.changes.removed),
        ] {
            if !keys.is_empty() {
                let _ = writeln!(s, "- {kind}: {}", key_list(keys));
            }
        }
        for n in &st.notes {
            let _ = writeln!(s, "- {}", text(&cut(n, 300)));
        }
        s.push('\n');
    }
    s
}

/// The log lines of the run's stores: an Actions `::group::` per store with its steps, or (in a
/// terminal) one line per store. Keys and counts only, like every other rendering here.
pub fn log_block(report: &Report, actions: bool) -> String {
    let mut out = String::new();
    for st in stores(report) {
        if actions {
            let _ = writeln!(out, "::group::key value store {}", st.name);
            for line in st.steps.iter().chain(&st.notes) {
                let _ = writeln!(out, "{}", line.replace(['\r', '\n'], " "));
            }
            out.push_str("::endgroup::\n");
        } else {
            let _ = writeln!(out, "key value store {}: {}", st.name, st.headline());
        }
    }
    out
}

/// Keys as code spans, capped at [`MAX_KEYS_SHOWN`] with the count of the rest.
fn key_list(keys: &[String]) -> String {
    let mut parts: Vec<String> = keys
        .iter()
        .take(MAX_KEYS_SHOWN)
        .map(|k| code(&cut(k, MAX_KEY_SHOWN_CHARS)))
        .collect();
    if keys.len() > MAX_KEYS_SHOWN {
        parts.push(format!("and {} more", keys.len() - MAX_KEYS_SHOWN));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(changes: Changes, written: bool) -> StoreReport {
        StoreReport {
            name: "redirects".into(),
            changes,
            written,
            ..StoreReport::default()
        }
    }

    #[test]
    fn the_headline_says_whether_the_change_was_written_planned_or_undone() {
        let c = Changes {
            added: vec!["a".into()],
            changed: vec!["b".into(), "c".into()],
            removed: vec![],
        };
        assert_eq!(
            store(c.clone(), true).headline(),
            "synced: 1 added, 2 changed, 0 removed"
        );
        assert!(
            store(c.clone(), false)
                .headline()
                .starts_with("planned, not written")
        );
        let mut r = store(c, false);
        r.restored = true;
        assert!(r.headline().starts_with("restored"));
        assert!(
            store(Changes::default(), false)
                .headline()
                .starts_with("already in sync")
        );
    }

    #[test]
    fn keys_are_capped_and_escaped() {
        let added: Vec<String> = (0..MAX_KEYS_SHOWN + 3).map(|i| format!("/k{i}")).collect();
        let mut changed = vec!["`x` <b>|".to_owned()];
        changed.push("y".repeat(500));
        let r = store(
            Changes {
                added,
                changed,
                removed: vec![],
            },
            true,
        );
        let f = crate::report::FunctionReport {
            name: "f".parse().unwrap(),
            function_arn: None,
            stage: crate::types::Stage::Development,
            etag: None,
            status: None,
            published: false,
            changed: false,
            compute_utilization: None,
            tested: true,
            test_results: vec![],
            error: None,
            note: None,
            warnings: vec![],
            key_value_store: Some(r),
            held_back: false,
            distributions: None,
            steps: vec![],
            duration: Default::default(),
        };
        let s = section(&Report {
            functions: vec![f.clone(), f],
            ..Report::default()
        });
        assert_eq!(s.matches("**Key value store**").count(), 1, "{s}");
        assert!(s.contains("and 3 more"), "{s}");
        assert!(!s.contains("/k20`"), "{s}");
        assert!(s.contains("`` `x` <b>| ``"), "{s}");
        assert!(!s.contains(&"y".repeat(100)), "long keys are cut: {s}");
        assert!(!s.contains("removed:"), "{s}");
    }
}
