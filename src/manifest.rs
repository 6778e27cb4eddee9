//! `cloudfront-functions.yaml`: several functions in one file, parsed strictly (unknown keys are an
//! error naming the key and its line) into [`FunctionPlan`]s, plus the key value stores they share
//! (`key-value-stores: {NAME: FILE}`, used by a function's `key-value-store: NAME`). Paths are
//! relative to the manifest.

use std::path::Path;

use serde::Deserialize;

use crate::checks::{self, io_reason};
use crate::kvs::{self, StoreRef};
use crate::plan::{FunctionPlan, StorePlan};
use crate::testcase;
use crate::types::{FunctionName, Runtime};

/// A manifest that cannot be used; the message names the file and, where known, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(pub String);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "kebab-case")]
struct Manifest {
    functions: Vec<Entry>,
    // A Mapping, not a map type: serde_yaml's Mapping refuses duplicate keys, a BTreeMap keeps the last.
    key_value_stores: Option<serde_yaml::Mapping>,
}

/// What a manifest describes: its functions and the stores they share.
#[derive(Debug, Clone)]
pub struct ManifestPlan {
    /// One plan per entry, in order.
    pub functions: Vec<FunctionPlan>,
    /// The stores of `key-value-stores`, each with its data.
    pub stores: Vec<StorePlan>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    name: String,
    file: Option<String>,
    runtime: Option<String>,
    comment: Option<String>,
    key_value_store_arns: Option<Vec<String>>,
    key_value_store: Option<String>,
    #[serde(default)]
    tests: Vec<String>,
    max_compute_utilization: Option<u32>,
}

/// Reads and validates the manifest at `path` (`shown` is how the user wrote it, for messages).
/// `default_max` is the run's `max-compute-utilization`, used where an entry sets none.
pub fn load(path: &Path, shown: &str, default_max: u32) -> Result<ManifestPlan, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ManifestError(format!(
            "{shown}: cannot read the manifest: {}",
            io_reason(&e)
        ))
    })?;
    parse(
        &text,
        path.parent().unwrap_or(Path::new(".")),
        shown,
        default_max,
    )
}

/// Parses manifest text; files and globs are resolved against `base`.
pub fn parse(
    text: &str,
    base: &Path,
    shown: &str,
    default_max: u32,
) -> Result<ManifestPlan, ManifestError> {
    let manifest: Manifest = serde_yaml::from_str(text)
        .map_err(|e| ManifestError(format!("{shown}: {}", yaml_reason(&e))))?;
    if manifest.functions.is_empty() {
        return Err(ManifestError(format!("{shown}: `functions` is empty")));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut plans = Vec::with_capacity(manifest.functions.len());
    for (i, entry) in manifest.functions.into_iter().enumerate() {
        let line = name_line(text, i);
        let at = |key: &str, msg: String| {
            ManifestError(format!("{shown}:{line}: functions[{i}].{key}: {msg}"))
        };
        let name: FunctionName = entry
            .name
            .parse()
            .map_err(|e: crate::types::InvalidValue| at("name", e.0))?;
        if !seen.insert(name.clone()) {
            return Err(at("name", format!("duplicate function name {name}")));
        }
        // No runtime named: an existing function keeps its own (never a silent 1.0 -> 2.0).
        let runtime: Option<Runtime> = entry
            .runtime
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: crate::types::InvalidValue| at("runtime", e.0))?;
        plans.push(function_plan(entry, name, runtime, base, default_max, at)?);
    }
    let stores = match &manifest.key_value_stores {
        Some(map) => stores(map, &plans, text, base, shown)?,
        None => Vec::new(),
    };
    Ok(ManifestPlan {
        functions: plans,
        stores,
    })
}

/// `key-value-stores: {NAME: FILE}`: each store named once, used by a function, its data valid.
fn stores(
    map: &serde_yaml::Mapping,
    plans: &[FunctionPlan],
    text: &str,
    base: &Path,
    shown: &str,
) -> Result<Vec<StorePlan>, ManifestError> {
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map {
        let Some(name) = key.as_str() else {
            return Err(ManifestError(format!(
                "{shown}: key-value-stores: a store name must be a string"
            )));
        };
        let line = key_line(text, name);
        let at =
            |msg: String| ManifestError(format!("{shown}:{line}: key-value-stores.{name}: {msg}"));
        let store: StoreRef = name
            .parse()
            .map_err(|e: crate::types::InvalidValue| at(e.0))?;
        let file = value
            .as_str()
            .ok_or_else(|| at("the value must be the data file's path".to_owned()))?;
        if !plans.iter().any(|p| p.store() == Some(&store)) {
            return Err(at(format!(
                "no function uses it (set `key-value-store: {name}` on the functions that read it)"
            )));
        }
        let data = kvs::data::load_relative(base, file).map_err(|e| at(e.0))?;
        out.push(StorePlan::new(store, data, file.to_owned()));
    }
    Ok(out)
}

/// The 1-based line where `name:` is written as a key (best effort: 1).
fn key_line(text: &str, name: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches(['"', '\'']);
            t.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
        })
        .map_or(1, |n| n + 1)
}

/// One entry's plan, checked key by key in the entry's order.
fn function_plan(
    entry: Entry,
    name: FunctionName,
    runtime: Option<Runtime>,
    base: &Path,
    default_max: u32,
    at: impl Fn(&str, String) -> ManifestError,
) -> Result<FunctionPlan, ManifestError> {
    // Without code nothing is created or updated, so these would be silently ignored (as the
    // inputs refuse them without `function-file`). `[]` and an empty comment mean "keep".
    // Checked after the other keys, so that their own errors come first.
    let ignored = [
        ("runtime", runtime.is_some()),
        (
            "comment",
            entry.comment.as_ref().is_some_and(|c| !c.is_empty()),
        ),
        (
            "key-value-store-arns",
            entry
                .key_value_store_arns
                .as_ref()
                .is_some_and(|a| !a.is_empty()),
        ),
    ]
    .into_iter()
    .find(|(_, set)| *set && entry.file.is_none())
    .map(|(key, _)| key);
    let mut fp = match runtime {
        Some(r) => FunctionPlan::new(name, r),
        None => FunctionPlan::keeping_runtime(name),
    };
    // An empty comment keeps the existing one, like the empty input.
    if let Some(c) = entry.comment.filter(|c| !c.is_empty()) {
        fp = fp.with_comment(c).map_err(|m| at("comment", m.0))?;
    }
    if let Some(arns) = &entry.key_value_store_arns {
        let arns = checks::kvs_arns(arns, runtime.unwrap_or_default())
            .map_err(|m| at("key-value-store-arns", m.0))?;
        // `[]` keeps the existing association, like the empty input.
        if !arns.is_empty() {
            fp = fp
                .with_kvs_arns(arns)
                .map_err(|m| at("key-value-store-arns", m.0))?;
        }
    }
    if let Some(store) = &entry.key_value_store {
        let store: StoreRef = store
            .parse()
            .map_err(|e: crate::types::InvalidValue| at("key-value-store", e.0))?;
        fp = fp
            .with_store(store)
            .map_err(|m| at("key-value-store", m.0))?;
    }
    fp = fp
        .with_max_compute_utilization(entry.max_compute_utilization.unwrap_or(default_max))
        .map_err(|m| at("max-compute-utilization", m.0))?;
    if let Some(key) = ignored {
        return Err(at(
            key,
            "needs `file`: without it the function is only tested and published as DEVELOPMENT holds it, so this would be ignored".to_owned(),
        ));
    }
    if let Some(f) = &entry.file {
        let code =
            checks::read_code(base, f, "the manifest's folder").map_err(|e| at("file", e.0))?;
        fp = fp.with_code(code, f).map_err(|e| at("file", e.0))?;
    }
    if !entry.tests.is_empty() {
        let tests = testcase::load_patterns(&entry.tests, base, "the manifest's folder")
            .map_err(|e| at("tests", e.0))?;
        fp = fp.with_tests(tests);
    }
    Ok(fp)
}

/// serde_yaml's message already carries "at line L column C"; keep it to one line.
fn yaml_reason(e: &serde_yaml::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// The 1-based line of the `index`-th entry's `name:` key, for messages (best effort: 1).
fn name_line(text: &str, index: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix("- ")
                .unwrap_or(t)
                .trim_start()
                .starts_with("name:")
        })
        .map(|(n, _)| n + 1)
        .nth(index)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        parse(text, Path::new("."), "cf.yaml", 100).unwrap_err().0
    }

    #[test]
    fn unknown_key_names_the_key_and_line() {
        let err = parse_err("functions:\n  - name: a\n    fiel: x.js\n");
        assert!(err.contains("cf.yaml"), "{err}");
        assert!(err.contains("fiel"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn duplicate_names_are_rejected_at_the_second_entry() {
        let err = parse_err("functions:\n  - name: a\n  - name: b\n  - name: a\n");
        assert!(err.contains("duplicate function name a"), "{err}");
        assert!(err.starts_with("cf.yaml:4:"), "{err}");
    }

    #[test]
    fn bad_values_name_the_entry_and_key() {
        assert!(parse_err("functions:\n  - name: 'bad name'\n").contains("functions[0].name"));
        assert!(
            parse_err("functions:\n  - name: a\n    runtime: node\n")
                .contains("functions[0].runtime")
        );
        assert!(
            parse_err("functions:\n  - name: a\n    max-compute-utilization: 101\n")
                .contains("max-compute-utilization")
        );
        assert!(
            parse_err("functions:\n  - name: a\n    file: missing.js\n").contains("missing.js")
        );
        assert!(parse_err("functions: []\n").contains("empty"));
    }

    #[test]
    fn an_empty_kvs_list_keeps_the_existing_association() {
        let plans = parse(
            "functions:\n  - name: a\n    key-value-store-arns: []\n",
            Path::new("."),
            "m",
            100,
        )
        .unwrap()
        .functions;
        assert_eq!(plans[0].kvs_arns(), None);
    }

    #[test]
    fn shared_stores_are_read_once_and_must_be_used_by_a_runtime_2_function() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("redirects.yaml"), "/old: /new\n").unwrap();
        let text = "key-value-stores:\n  redirects: redirects.yaml\nfunctions:\n  - name: a\n    key-value-store: redirects\n  - name: b\n    key-value-store: redirects\n";
        let m = parse(text, dir.path(), "m", 100).unwrap();
        assert_eq!(m.stores.len(), 1);
        assert_eq!(m.stores[0].data().get("/old"), Some("/new"));
        assert_eq!(m.stores[0].source(), "redirects.yaml");
        let s = StoreRef::Name("redirects".into());
        assert!(m.functions.iter().all(|f| f.store() == Some(&s)));
        let unused = "key-value-stores:\n  other: redirects.yaml\nfunctions:\n  - name: a\n";
        let e = parse(unused, dir.path(), "m", 100).unwrap_err().0;
        assert!(
            e.starts_with("m:2: key-value-stores.other: no function uses it"),
            "{e}"
        );
        let dup = "key-value-stores:\n  r: redirects.yaml\n  r: redirects.yaml\nfunctions:\n  - name: a\n    key-value-store: r\n";
        let e = parse(dup, dir.path(), "m", 100).unwrap_err().0;
        assert!(e.contains("duplicate entry with key \"r\""), "{e}");
        let js1 =
            "functions:\n  - name: a\n    runtime: cloudfront-js-1.0\n    key-value-store: r\n";
        let e = parse(js1, dir.path(), "m", 100).unwrap_err().0;
        assert!(
            e.contains("functions[0].key-value-store") && e.contains("cloudfront-js-2.0"),
            "{e}"
        );
        std::fs::write(dir.path().join("bad.json"), "{\"k\": 1}").unwrap();
        let bad =
            "key-value-stores:\n  r: bad.json\nfunctions:\n  - name: a\n    key-value-store: r\n";
        let e = parse(bad, dir.path(), "m", 100).unwrap_err().0;
        assert!(
            e.contains("key-value-stores.r: bad.json: ") && e.contains("\"k\""),
            "{e}"
        );
    }

    #[test]
    fn settings_that_only_a_file_would_write_need_one() {
        for (entry, key) in [
            ("    runtime: cloudfront-js-1.0\n", "functions[0].runtime"),
            ("    comment: hello\n", "functions[0].comment"),
            (
                "    key-value-store-arns: [arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000011111]\n",
                "functions[0].key-value-store-arns",
            ),
        ] {
            let text = format!("functions:\n  - name: a\n{entry}");
            let err = parse_err(&text);
            assert!(err.contains(key) && err.contains("needs `file`"), "{err}");
        }
        // "keep" spellings stay allowed without a file.
        let text = "functions:\n  - name: a\n    comment: ''\n    key-value-store-arns: []\n";
        assert!(parse(text, Path::new("."), "m", 90).is_ok());
    }

    #[test]
    fn entries_get_defaults_and_keep_unset_fields_as_keep() {
        let plans = parse("functions:\n  - name: a\n  - name: b\n    file: tests/fixtures/runtime/throws.js\n    runtime: cloudfront-js-1.0\n    max-compute-utilization: 70\n", Path::new("."), "m", 90).unwrap().functions;
        assert_eq!(plans.len(), 2);
        assert_eq!(
            plans[0].runtime(),
            None,
            "no runtime named: keep the function's"
        );
        assert_eq!(plans[0].max_compute_utilization(), 90);
        assert!(
            plans[0].kvs_arns().is_none()
                && plans[0].comment().is_none()
                && plans[0].code().is_none()
        );
        assert_eq!(plans[1].runtime(), Some(Runtime::Js1));
        assert_eq!(plans[1].max_compute_utilization(), 70);
    }
}
