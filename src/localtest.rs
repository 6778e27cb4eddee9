//! The `test` command: runs a function locally in the embedded runtime against events or test cases
//! and prints each FunctionOutput, logs, errors and compute utilization (text or JSON lines).
//!
//! Not for: anything AWS. Cases are loaded by [`crate::testcase`] and run by [`crate::runtime`];
//! this module reads the flags, fills the key value store and prints.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checks::split_list;
use crate::kvs::{self, DataFormat, KvsData};
use crate::runtime::{self, Invocation, KeyValueStore, Limits};
use crate::testcase::{self, TestCase};
use crate::types::Runtime;

/// Flags of `cloudfront-publish test`.
#[derive(Debug, Clone, clap::Args)]
pub struct TestArgs {
    /// The function's JavaScript file.
    pub file: PathBuf,
    /// Event or test-case files (.json/.yaml/.yml), quoted globs, or folders (every such file in
    /// it, sorted); newline- or comma-separated lists too. Repeatable, and takes several values,
    /// so an unquoted glob works (FILE comes first).
    #[arg(long = "event", required = true, num_args = 1.., value_name = "EVENTS")]
    pub events: Vec<PathBuf>,
    /// Runtime rules to apply.
    #[arg(long, default_value = "cloudfront-js-2.0")]
    pub runtime: String,
    /// A key value store entry KEY=VALUE (split at the first '='); repeatable.
    #[arg(long = "kvs")]
    pub kvs: Vec<String>,
    /// A key value store data file (JSON/YAML as for key-value-store-data) or KEY=VALUE lines.
    #[arg(long)]
    pub kvs_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// A `test` invocation that could not run; the message names the flag or file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TestCmdError(pub String);

/// Runs the command, printing to stdout. Ok(true) when every case passed.
pub fn run(args: &TestArgs) -> Result<bool, TestCmdError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(args, &mut out)
}

/// Runs the command, printing to `out`. Ok(true) when every case passed.
pub fn run_to(args: &TestArgs, out: &mut dyn Write) -> Result<bool, TestCmdError> {
    let rt: Runtime = args
        .runtime
        .parse()
        .map_err(|e| TestCmdError(format!("--runtime: {e}")))?;
    let json = match args.format.as_str() {
        "text" => false,
        "json" => true,
        other => {
            return Err(TestCmdError(format!(
                "--format: {other:?} is not a format (expected text or json)"
            )));
        }
    };
    let code = read_function(&args.file)?;
    let kvs = build_kvs(&args.kvs, args.kvs_file.as_deref())?;
    if args.events.is_empty() {
        return Err(TestCmdError(
            "--event: give at least one event or test-case file".into(),
        ));
    }
    // The same grammar as the `test-events` input, relative to the working directory.
    let patterns: Vec<String> = args
        .events
        .iter()
        .flat_map(|p| split_list(&p.to_string_lossy()))
        .collect();
    let cases: Vec<TestCase> =
        testcase::load_patterns(&patterns, Path::new(""), "the working directory")
            .map_err(|e| TestCmdError(format!("--event: {e}")))?;
    // Runtime 2.0 always has a store locally, so a missing key rejects as it would in the service.
    let store = (rt == Runtime::Js2).then_some(&kvs);
    let passed_count = run_cases(&code, rt, store, &cases, json, out)?;
    if !json {
        let failed = cases.len() - passed_count;
        writeln!(
            out,
            "{passed_count} passed, {failed} failed ({} runtime, compute utilization is an estimate)",
            rt
        )
        .map_err(|e| TestCmdError(format!("cannot write the results: {e}")))?;
    }
    Ok(passed_count == cases.len())
}

/// Runs and prints every case; returns how many passed.
fn run_cases(
    code: &str,
    rt: Runtime,
    store: Option<&KeyValueStore>,
    cases: &[TestCase],
    json: bool,
    out: &mut dyn Write,
) -> Result<usize, TestCmdError> {
    let limits = Limits::default();
    let mut passed_count = 0;
    for case in cases {
        let outcome = runtime::run(Invocation {
            code,
            runtime: rt,
            event: &case.event,
            kvs: store,
            limits: &limits,
        });
        let verdict = testcase::check(
            case,
            outcome.output.as_ref(),
            outcome.error.as_deref(),
            Some(outcome.compute_utilization),
            100,
        );
        passed_count += usize::from(verdict.passed);
        let written = if json {
            let line = serde_json::json!({
                "name": case.name,
                "output": outcome.output,
                "logs": outcome.logs,
                "error": outcome.error,
                "compute-utilization": outcome.compute_utilization,
                "passed": verdict.passed,
                "failures": verdict.failures,
            });
            writeln!(out, "{line}")
        } else {
            write_text(out, case, &outcome, &verdict)
        };
        written.map_err(|e| TestCmdError(format!("cannot write the results: {e}")))?;
    }
    Ok(passed_count)
}

fn write_text(
    out: &mut dyn Write,
    case: &TestCase,
    outcome: &runtime::Outcome,
    verdict: &testcase::Verdict,
) -> std::io::Result<()> {
    writeln!(out, "== {} ({})", case.name, case.source.display())?;
    if let Some(o) = &outcome.output {
        let pretty = serde_json::to_string_pretty(o).unwrap_or_else(|_| o.to_string());
        writeln!(out, "output:")?;
        for line in pretty.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    if !outcome.logs.is_empty() {
        writeln!(out, "logs:")?;
        for line in &outcome.logs {
            writeln!(out, "  {line}")?;
        }
    }
    if let Some(e) = &outcome.error {
        writeln!(out, "error: {e}")?;
    }
    writeln!(
        out,
        "compute utilization: {} (estimate)",
        outcome.compute_utilization
    )?;
    if verdict.passed {
        writeln!(out, "PASS")?;
    } else {
        writeln!(out, "FAIL")?;
        for f in &verdict.failures {
            writeln!(out, "  - {f}")?;
        }
    }
    writeln!(out)
}

fn read_function(path: &Path) -> Result<String, TestCmdError> {
    let p = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| TestCmdError(format!("{p}: cannot read the function: {e}")))?;
    let code = String::from_utf8(bytes)
        .map_err(|_| TestCmdError(format!("{p}: the function is not UTF-8 text")))?;
    if code.trim().is_empty() {
        return Err(TestCmdError(format!("{p}: the function file is empty")));
    }
    Ok(code)
}

/// Splits `KEY=VALUE` at the first `=`; the key must be non-empty.
fn split_entry(entry: &str) -> Option<(String, String)> {
    let (k, v) = entry.split_once('=')?;
    if k.is_empty() {
        return None;
    }
    Some((k.to_owned(), v.to_owned()))
}

/// The key value store from `--kvs-file` then `--kvs` (flags win).
fn build_kvs(entries: &[String], file: Option<&Path>) -> Result<KeyValueStore, TestCmdError> {
    let mut kvs = KeyValueStore::new();
    if let Some(path) = file {
        kvs.extend(read_kvs_file(path)?);
    }
    for e in entries {
        let (k, v) = split_entry(e).ok_or_else(|| {
            TestCmdError(format!(
                "--kvs {e:?}: expected KEY=VALUE with a non-empty KEY"
            ))
        })?;
        kvs.insert(k, v);
    }
    Ok(kvs)
}

/// Reads a key value store data file as `publish` does (`.json`/`.yaml`/`.yml`, or any file that
/// starts with `{`: the import format or a flat map of strings, see [`crate::kvs::data`]), so that
/// data that passes here passes there; other files are `KEY=VALUE` lines (blank lines and `#`
/// comments skipped).
fn read_kvs_file(path: &Path) -> Result<KeyValueStore, TestCmdError> {
    let p = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| TestCmdError(format!("--kvs-file {p}: cannot read: {e}")))?;
    let format = DataFormat::of(path).or_else(|| {
        text.trim_start()
            .starts_with('{')
            .then_some(DataFormat::Json)
    });
    if let Some(format) = format {
        return kvs::data::parse(&text, format, path)
            .map(KvsData::into_map)
            .map_err(|e| TestCmdError(format!("--kvs-file {e}")));
    }
    let mut kvs = KeyValueStore::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (k, v) = split_entry(line).ok_or_else(|| {
            TestCmdError(format!(
                "--kvs-file {p}: line {}: expected KEY=VALUE with a non-empty KEY",
                i + 1
            ))
        })?;
        kvs.insert(k, v);
    }
    Ok(kvs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvs_entries_split_at_the_first_equals_sign() {
        let kvs = build_kvs(&["a=b=c".into(), "empty=".into()], None).unwrap();
        assert_eq!(kvs["a"], "b=c");
        assert_eq!(kvs["empty"], "");
    }

    #[test]
    fn kvs_entry_without_equals_or_key_names_the_flag() {
        let err = build_kvs(&["novalue".into()], None).unwrap_err().0;
        assert!(err.starts_with("--kvs \"novalue\""), "{err}");
        assert!(build_kvs(&["=v".into()], None).is_err());
    }

    #[test]
    fn kvs_file_reads_the_publish_data_formats_and_key_value_lines() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("kvs.json");
        std::fs::write(&j, r#"{"data": [{"key": "/old", "value": "/new"}]}"#).unwrap();
        assert_eq!(read_kvs_file(&j).unwrap()["/old"], "/new");
        let y = dir.path().join("kvs.yaml");
        std::fs::write(&y, "a: '1'\nb: two\n").unwrap();
        let kvs = read_kvs_file(&y).unwrap();
        assert_eq!((kvs["a"].as_str(), kvs["b"].as_str()), ("1", "two"));
        let l = dir.path().join("kvs.env");
        std::fs::write(&l, "# comment\n\nk=v=w\r\nother=x\n").unwrap();
        let kvs = read_kvs_file(&l).unwrap();
        assert_eq!(kvs["k"], "v=w");
        assert_eq!(kvs["other"], "x");
        std::fs::write(&l, "ok=1\nbroken\n").unwrap();
        let err = read_kvs_file(&l).unwrap_err().0;
        assert!(err.contains("line 2") && err.contains("kvs.env"), "{err}");
    }

    #[test]
    fn kvs_file_rejects_what_publish_rejects_naming_the_flag_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("kvs.json");
        std::fs::write(&j, "{\"a\": \"1\",\n\"n\": 5}").unwrap();
        let err = read_kvs_file(&j).unwrap_err().0;
        assert!(
            err.starts_with("--kvs-file ") && err.contains("kvs.json"),
            "{err}"
        );
        assert!(err.contains("\"n\"") && err.contains("line 2"), "{err}");
        // A JSON object without the .json extension is still read as JSON, strictly.
        let t = dir.path().join("kvs.txt");
        std::fs::write(&t, r#"{"a": "1", "a": "2"}"#).unwrap();
        let err = read_kvs_file(&t).unwrap_err().0;
        assert!(err.contains("duplicate key \"a\""), "{err}");
    }

    #[test]
    fn flags_override_the_kvs_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("kvs.txt");
        std::fs::write(&f, "a=file\nb=file\n").unwrap();
        let kvs = build_kvs(&["a=flag".into()], Some(&f)).unwrap();
        assert_eq!(kvs["a"], "flag");
        assert_eq!(kvs["b"], "file");
    }
}
