//! The "where it runs" Markdown of the summary and the PR comment: the distributions and cache
//! behaviors that a publish changes (before it: "will change"; after it: "changed").
//!
//! Pure rendering over [`Distribution`]s; every id, name and pattern is escaped and every list is
//! capped, so a large account cannot break a table or outgrow a comment.

use std::fmt::Write as _;

use super::markdown::{cell, code_cell};
use super::{FunctionReport, Report};
use crate::distributions::Distribution;
use crate::types::Stage;

/// Distributions shown in one table; the rest are counted.
const MAX_DISTRIBUTIONS: usize = 50;
/// Aliases shown per distribution.
const MAX_ALIASES: usize = 10;
/// Behaviors shown per distribution.
const MAX_BEHAVIORS: usize = 20;

/// What this run's publish did, or would do, to the distributions that run a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Tested, not published (`publish: false`, a PR run, or held back by the manifest).
    WillChange,
    /// Published in this run: every listed behavior now runs the new code.
    Changed,
    /// LIVE already held this code: nothing changed.
    Unchanged,
    /// The function failed: nothing was published.
    NotChanged,
}

impl Effect {
    /// The effect of one function's run.
    pub fn of(f: &FunctionReport) -> Self {
        if f.published {
            Self::Changed
        } else if !f.succeeded() {
            Self::NotChanged
        } else if f.stage == Stage::Live {
            Self::Unchanged
        } else {
            Self::WillChange
        }
    }

    fn lead(self) -> &'static str {
        match self {
            Self::WillChange => "A publish will change these cache behaviors:",
            Self::Changed => "This publish changed these cache behaviors:",
            Self::Unchanged => {
                "These cache behaviors run this code (unchanged: LIVE already held it):"
            }
            Self::NotChanged => {
                "These cache behaviors run the function; nothing was published, so they did not change:"
            }
        }
    }

    fn none_text(self) -> &'static str {
        match self {
            Self::WillChange => {
                "No distribution uses this function yet: a publish changes no site."
            }
            Self::Changed => "No distribution uses this function: the publish changed no site.",
            Self::Unchanged | Self::NotChanged => "No distribution uses this function.",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Self::WillChange => "will change",
            Self::Changed => "changed",
            Self::Unchanged => "unchanged",
            Self::NotChanged => "not changed",
        }
    }
}

/// The summary's and the comment's part for a report: one function gets its section; a manifest
/// run (or several functions) one table of every distribution touched. `None` when no function's
/// ARN is known (nothing was read), so there is nothing to match.
pub fn for_report(report: &Report) -> Option<String> {
    let known: Vec<&FunctionReport> = report
        .functions
        .iter()
        .filter(|f| f.function_arn.is_some())
        .collect();
    match (
        report.manifest.is_some() || report.functions.len() > 1,
        known.as_slice(),
    ) {
        (_, []) => None,
        (false, [f]) => Some(section(Effect::of(f), f.distributions.as_deref())),
        _ => {
            let rows: Vec<(&str, Effect, Option<&[Distribution]>)> = known
                .iter()
                .map(|f| (f.name.as_str(), Effect::of(f), f.distributions.as_deref()))
                .collect();
            Some(touched_table(&rows))
        }
    }
}

/// One function's section: what its publish changes. `None`: the listing failed (a warning says why).
pub fn section(effect: Effect, distributions: Option<&[Distribution]>) -> String {
    let mut s = String::from("**Where it runs**\n\n");
    match distributions {
        None => s.push_str(
            "Unknown: the distributions could not be listed (see the warnings); PublishFunction still updates every cache behavior that uses the function.\n\n",
        ),
        Some([]) => {
            let _ = writeln!(s, "{}\n", effect.none_text());
        }
        Some(list) => {
            let _ = writeln!(s, "{}\n", effect.lead());
            s.push_str(TABLE_HEAD);
            let rows = list.iter().map(|d| {
                let behaviors = capped(
                    d.behaviors.iter().map(|b| {
                        format!("{} {}", code_cell(&b.path_pattern), cell(b.event_type.as_str()))
                    }),
                    d.behaviors.len(),
                    MAX_BEHAVIORS,
                );
                row(d, &behaviors)
            });
            push_rows(&mut s, rows, list.len());
        }
    }
    s
}

/// The manifest run's one table: every distribution that runs any of its functions, each behavior
/// naming its function and what this run did to it, by distribution id.
pub fn touched_table(functions: &[(&str, Effect, Option<&[Distribution]>)]) -> String {
    let mut touched: Vec<(&Distribution, Vec<String>)> = Vec::new();
    let mut unknown = false;
    for (name, effect, dists) in functions {
        let Some(dists) = dists else {
            unknown = true;
            continue;
        };
        for d in *dists {
            let lines = d.behaviors.iter().map(|b| {
                format!(
                    "{} {}: {} ({})",
                    code_cell(&b.path_pattern),
                    cell(b.event_type.as_str()),
                    code_cell(name),
                    effect.short()
                )
            });
            match touched.iter_mut().find(|(t, _)| t.id == d.id) {
                Some((_, all)) => all.extend(lines),
                None => touched.push((d, lines.collect())),
            }
        }
    }
    let mut s = String::from("**Distributions touched**\n\n");
    if touched.is_empty() {
        s.push_str(if unknown {
            "Unknown: the distributions could not be listed (see the warnings).\n\n"
        } else {
            "No distribution uses these functions.\n\n"
        });
        return s;
    }
    touched.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    s.push_str(TABLE_HEAD);
    let total = touched.len();
    let rows = touched.into_iter().map(|(d, lines)| {
        let n = lines.len();
        row(d, &capped(lines.into_iter(), n, MAX_BEHAVIORS))
    });
    push_rows(&mut s, rows, total);
    s
}

const TABLE_HEAD: &str =
    "| Distribution | Domain name | Aliases | Behaviors |\n|---|---|---|---|\n";

fn row(d: &Distribution, behaviors: &str) -> String {
    let aliases = if d.aliases.is_empty() {
        "–".to_owned()
    } else {
        capped(
            d.aliases.iter().map(|a| code_cell(a)),
            d.aliases.len(),
            MAX_ALIASES,
        )
    };
    format!(
        "| {} | {} | {} | {} |\n",
        code_cell(&d.id),
        code_cell(&d.domain_name),
        aliases,
        behaviors
    )
}

fn push_rows(s: &mut String, rows: impl Iterator<Item = String>, total: usize) {
    rows.take(MAX_DISTRIBUTIONS).for_each(|r| s.push_str(&r));
    if total > MAX_DISTRIBUTIONS {
        let _ = writeln!(s, "| … {} more | | | |", total - MAX_DISTRIBUTIONS);
    }
    s.push('\n');
}

/// Items joined with `<br>` inside one cell, at most `max` of them, then "… N more".
fn capped(items: impl Iterator<Item = String>, total: usize, max: usize) -> String {
    let mut shown: Vec<String> = items.take(max).collect();
    if total > max {
        shown.push(format!("… {} more", total - max));
    }
    shown.join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributions::{Behavior, EventType};

    fn dist(id: &str, aliases: &[&str], behaviors: &[(&str, EventType)]) -> Distribution {
        Distribution {
            id: id.to_owned(),
            domain_name: format!("{}.cloudfront.net", id.to_lowercase()),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            behaviors: behaviors
                .iter()
                .map(|(p, e)| Behavior {
                    path_pattern: (*p).to_owned(),
                    event_type: e.clone(),
                })
                .collect(),
        }
    }

    fn rows(s: &str) -> Vec<&str> {
        s.lines()
            .skip_while(|l| !l.starts_with("| Distribution |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect()
    }

    fn function(name: &str, stage: Stage, published: bool, error: Option<&str>) -> FunctionReport {
        FunctionReport {
            name: name.parse().unwrap(),
            function_arn: Some(format!("arn:aws:cloudfront::123456789012:function/{name}")),
            stage,
            etag: None,
            status: None,
            published,
            tested: true,
            changed: published,
            compute_utilization: None,
            test_results: Vec::new(),
            error: error.map(str::to_owned),
            note: None,
            held_back: false,
            warnings: Vec::new(),
            key_value_store: None,
            distributions: Some(vec![dist("EA", &[], &[("*", EventType::ViewerRequest)])]),
            steps: Vec::new(),
            duration: Default::default(),
        }
    }

    #[test]
    fn the_effect_follows_what_the_run_did() {
        let of = |stage, published, error| Effect::of(&function("f", stage, published, error));
        assert_eq!(of(Stage::Live, true, None), Effect::Changed);
        assert_eq!(of(Stage::Development, false, None), Effect::WillChange);
        assert_eq!(of(Stage::Live, false, None), Effect::Unchanged);
        assert_eq!(
            of(Stage::Development, false, Some("failed")),
            Effect::NotChanged
        );
    }

    #[test]
    fn summary_and_comment_show_a_section_or_the_manifest_table() {
        let single = Report {
            functions: vec![function("site", Stage::Development, false, None)],
            ..Report::default()
        };
        for text in [
            super::super::summary::render(&single),
            super::super::comment::render("site", &single),
        ] {
            assert!(
                text.contains("A publish will change these cache behaviors:"),
                "{text}"
            );
            assert!(
                text.contains("| `EA` | `ea.cloudfront.net` | – | `*` viewer-request |"),
                "{text}"
            );
        }
        let manifest = Report {
            functions: vec![
                function("fn-a", Stage::Live, true, None),
                function("fn-b", Stage::Development, false, Some("failed")),
            ],
            manifest: Some("cf.yaml".to_owned()),
            ..Report::default()
        };
        for text in [
            super::super::summary::render(&manifest),
            super::super::comment::render("manifest:cf.yaml", &manifest),
        ] {
            assert!(text.contains("**Distributions touched**"), "{text}");
            assert!(
                text.contains("`*` viewer-request: `fn-a` (changed)<br>`*` viewer-request: `fn-b` (not changed)"),
                "{text}"
            );
        }
        let mut unread = function("site", Stage::Development, false, Some("read failed"));
        unread.function_arn = None;
        let unread = Report {
            functions: vec![unread],
            ..Report::default()
        };
        assert_eq!(for_report(&unread), None);
    }

    #[test]
    fn before_a_publish_it_will_change_and_after_it_changed() {
        let d = [dist(
            "EA",
            &["www.example.com", "example.com"],
            &[
                ("*", EventType::ViewerRequest),
                ("/api/*", EventType::ViewerResponse),
            ],
        )];
        let before = section(Effect::WillChange, Some(&d));
        assert!(
            before
                .starts_with("**Where it runs**\n\nA publish will change these cache behaviors:\n"),
            "{before}"
        );
        assert_eq!(
            rows(&before),
            vec![
                "| `EA` | `ea.cloudfront.net` | `www.example.com`<br>`example.com` | `*` viewer-request<br>`/api/*` viewer-response |"
            ]
        );
        let after = section(Effect::Changed, Some(&d));
        assert!(
            after.contains("\nThis publish changed these cache behaviors:\n"),
            "{after}"
        );
        assert_eq!(rows(&after), rows(&before));
    }

    #[test]
    fn no_distribution_and_an_unknown_listing_say_so() {
        assert!(
            section(Effect::WillChange, Some(&[]))
                .contains("No distribution uses this function yet")
        );
        let unknown = section(Effect::Changed, None);
        assert!(unknown.contains("could not be listed"), "{unknown}");
        assert!(rows(&unknown).is_empty());
    }

    #[test]
    fn user_text_is_escaped_and_long_lists_are_capped() {
        let many_aliases: Vec<String> = (0..15).map(|i| format!("a{i}.example.com")).collect();
        let aliases: Vec<&str> = many_aliases.iter().map(String::as_str).collect();
        let d = [dist(
            "EA",
            &aliases,
            &[("/a|b`c", EventType::ViewerRequest)],
        )];
        let s = section(Effect::Changed, Some(&d));
        let row = rows(&s)[0];
        assert!(row.contains("`a9.example.com`<br>… 5 more"), "{row}");
        assert!(!row.contains("a10.example.com"), "{row}");
        // The pipe is escaped, so the row keeps its four cells.
        assert!(row.contains("\\|"), "{row}");
        // An event type the service may add one day is text from the network too.
        let odd = [dist(
            "EB",
            &[],
            &[("*", EventType::Other("<b>x|y</b>".to_owned()))],
        )];
        let s = section(Effect::Changed, Some(&odd));
        let row = rows(&s)[0];
        assert!(!row.contains("<b>"), "{row}");
        assert!(row.ends_with("| `*` &lt;b&gt;x\\|y&lt;/b&gt; |"), "{row}");
        let many: Vec<Distribution> = (0..60)
            .map(|i| dist(&format!("E{i}"), &[], &[("*", EventType::ViewerRequest)]))
            .collect();
        let s = section(Effect::Changed, Some(&many));
        let r = rows(&s);
        assert_eq!(r.len(), MAX_DISTRIBUTIONS + 1);
        assert_eq!(r[MAX_DISTRIBUTIONS], "| … 10 more | | | |");
    }

    #[test]
    fn the_manifest_table_merges_distributions_and_names_each_function() {
        let a = [dist("EA", &[], &[("*", EventType::ViewerRequest)])];
        let b = [
            dist("EA", &[], &[("/api/*", EventType::ViewerResponse)]),
            dist("EB", &["b.example.com"], &[("*", EventType::ViewerRequest)]),
        ];
        let s = touched_table(&[
            ("fn-a", Effect::Changed, Some(&a)),
            ("fn-b", Effect::WillChange, Some(&b)),
            ("fn-c", Effect::Changed, Some(&[])),
        ]);
        assert_eq!(
            rows(&s),
            vec![
                "| `EA` | `ea.cloudfront.net` | – | `*` viewer-request: `fn-a` (changed)<br>`/api/*` viewer-response: `fn-b` (will change) |",
                "| `EB` | `eb.cloudfront.net` | `b.example.com` | `*` viewer-request: `fn-b` (will change) |",
            ]
        );
        assert!(!s.contains("fn-c"));
        let none = touched_table(&[("fn-c", Effect::Changed, Some(&[]))]);
        assert!(
            none.contains("No distribution uses these functions"),
            "{none}"
        );
        let unknown = touched_table(&[("fn-c", Effect::Changed, None)]);
        assert!(unknown.contains("could not be listed"), "{unknown}");
    }
}
