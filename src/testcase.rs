//! Test-case files (`*.json` / `*.yaml`): parsing, strict validation, and matching a FunctionOutput
//! against `expect` (subset match, with a readable diff of what differed).
//!
//! Matching rules: objects match when every expected key matches (extra keys in the output are
//! fine); arrays must have the same length and match item by item; a `null` expectation means
//! "absent"; a string and a number or boolean match when their text is equal (YAML writes `301`
//! where the output has `"301"`).
//!
//! Not for: running anything. The `test` command and the pipeline both load cases here, then run
//! them (locally or through TestFunction) and call [`check`].

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Keys of the wrapped form; a file with none of them is a bare event.
const CASE_KEYS: &[&str] = &[
    "name",
    "event",
    "expect",
    "expect-error",
    "max-compute-utilization",
];

/// Event types a CloudFront function can be associated with.
const EVENT_TYPES: &[&str] = &["viewer-request", "viewer-response"];

/// One test case, loaded and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// `name` from the file, else the file name.
    pub name: String,
    /// The CloudFront event object (has `context.eventType`).
    pub event: serde_json::Value,
    /// Subset of FunctionOutput that must match (`{"request":…}` or `{"response":…}`).
    pub expect: Option<serde_json::Value>,
    /// Text that the FunctionErrorMessage must contain.
    pub expect_error: Option<String>,
    /// Per-case utilization limit (0-100), overriding the run's.
    pub max_compute_utilization: Option<u32>,
    /// Where it was read from.
    pub source: PathBuf,
}

/// A test-case file that cannot be used; the message names the file (and line where known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TestCaseError(pub String);

/// Result of checking one case's run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// True when every expectation held.
    pub passed: bool,
    /// One readable line per difference (`request.uri: expected "/a", got "/b"`).
    pub failures: Vec<String>,
}

/// The wrapped form, parsed with unknown keys denied so the parser names the key and its line.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Option<String>,
    event: Value,
    expect: Option<Value>,
    #[serde(rename = "expect-error")]
    expect_error: Option<String>,
    #[serde(rename = "max-compute-utilization")]
    max_compute_utilization: Option<Value>,
}

/// The top level of an event, parsed only to name an unknown key and its line.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by serde only
struct EventShape {
    version: Option<serde::de::IgnoredAny>,
    context: Option<serde::de::IgnoredAny>,
    viewer: Option<serde::de::IgnoredAny>,
    request: Option<serde::de::IgnoredAny>,
    response: Option<serde::de::IgnoredAny>,
}

/// The wrapped form with the event's top level checked too, parsed only for its errors.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by serde only
struct CaseShape {
    name: Option<serde::de::IgnoredAny>,
    event: EventShape,
    expect: Option<serde::de::IgnoredAny>,
    #[serde(rename = "expect-error")]
    expect_error: Option<serde::de::IgnoredAny>,
    #[serde(rename = "max-compute-utilization")]
    max_compute_utilization: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
}

fn format_of(path: &Path) -> Option<Format> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Some(Format::Json),
        Some("yaml" | "yml") => Some(Format::Yaml),
        _ => None,
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
    format: Format,
    path: &Path,
) -> Result<T, TestCaseError> {
    let p = path.display();
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| TestCaseError(format!("{p}: {e}"))),
        Format::Yaml => serde_yaml::from_str(text).map_err(|e| TestCaseError(format!("{p}: {e}"))),
    }
}

/// Loads and validates one test-case file.
pub fn load(path: &Path) -> Result<TestCase, TestCaseError> {
    let p = path.display();
    let format = format_of(path).ok_or_else(|| {
        TestCaseError(format!(
            "{p}: a test case must be a .json, .yaml or .yml file"
        ))
    })?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| TestCaseError(format!("{p}: cannot read the test case: {e}")))?;
    from_str(&text, format == Format::Yaml, path)
}

/// Parses and validates a test case from text (`yaml` selects YAML, else JSON); `path` is used
/// for the default name and in messages.
pub fn from_str(text: &str, yaml: bool, path: &Path) -> Result<TestCase, TestCaseError> {
    let p = path.display();
    let format = if yaml { Format::Yaml } else { Format::Json };
    let doc: Value = parse(text, format, path)?;
    let Value::Object(top) = &doc else {
        return Err(TestCaseError(format!(
            "{p}: a test case must be an object (an event, or {{name, event, expect, ...}})"
        )));
    };
    let default_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.to_string());

    let wrapped = top.keys().any(|k| CASE_KEYS.contains(&k.as_str()));
    if !wrapped {
        let _: EventShape = parse(text, format, path)?;
        check_event(&doc, path)?;
        return Ok(TestCase {
            name: default_name,
            event: doc,
            expect: None,
            expect_error: None,
            max_compute_utilization: None,
            source: path.to_path_buf(),
        });
    }
    // Unknown keys (in the case or the event's top level) and a missing event, with their line.
    let _: CaseShape = parse(text, format, path)?;
    let raw: RawCase = parse(text, format, path)?;
    check_event(&raw.event, path)?;
    if let Some(expect) = &raw.expect {
        let ok = matches!(expect, Value::Object(m)
            if !m.is_empty() && m.keys().all(|k| k == "request" || k == "response"));
        if !ok {
            return Err(TestCaseError(format!(
                "{p}: expect must be {{\"request\": {{...}}}} or {{\"response\": {{...}}}}"
            )));
        }
    }
    if raw.expect.is_some() && raw.expect_error.is_some() {
        return Err(TestCaseError(format!(
            "{p}: expect and expect-error cannot both be set (a function that fails has no output)"
        )));
    }
    let max_compute_utilization = match &raw.max_compute_utilization {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n <= 100)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    TestCaseError(format!(
                        "{p}: max-compute-utilization must be an integer from 0 to 100, got {v}"
                    ))
                })?,
        ),
    };
    let name = match raw.name {
        Some(n) if !n.trim().is_empty() => n,
        Some(_) => return Err(TestCaseError(format!("{p}: name is empty"))),
        None => default_name,
    };
    Ok(TestCase {
        name,
        event: raw.event,
        expect: raw.expect,
        expect_error: raw.expect_error,
        max_compute_utilization,
        source: path.to_path_buf(),
    })
}

fn check_event(event: &Value, path: &Path) -> Result<(), TestCaseError> {
    let p = path.display();
    if !event.is_object() {
        return Err(TestCaseError(format!("{p}: event must be an object")));
    }
    match event.pointer("/context/eventType") {
        Some(Value::String(t)) if EVENT_TYPES.contains(&t.as_str()) => Ok(()),
        Some(other) => Err(TestCaseError(format!(
            "{p}: event.context.eventType must be \"viewer-request\" or \"viewer-response\", got {other}"
        ))),
        None => Err(TestCaseError(format!(
            "{p}: the event has no context.eventType (\"viewer-request\" or \"viewer-response\")"
        ))),
    }
}

/// Expands files, globs and folders (one per item; the `test-events` input is split by
/// `checks::split_list`, a manifest's `tests` is a YAML list) relative to `base` and loads every
/// match, sorted. A folder means every `*.json`, `*.yaml` and `*.yml` directly in it. A pattern
/// that matches nothing is an error that says what it is relative to (`relative_to`, e.g. "the
/// workspace").
pub fn load_patterns(
    patterns: &[String],
    base: &Path,
    relative_to: &str,
) -> Result<Vec<TestCase>, TestCaseError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let items = patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty());
    // An empty base (the working directory) keeps paths as the user wrote them.
    let whence = || {
        if base.as_os_str().is_empty() {
            format!("relative to {relative_to}")
        } else {
            format!("relative to {relative_to}, {}", base.display())
        }
    };
    for pattern in items {
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern)
        };
        let before = paths.len();
        if pattern.contains(['*', '?', '[']) {
            expand_glob(pattern, &full, &mut paths)?;
            if paths.len() == before {
                return Err(TestCaseError(format!(
                    "test case pattern {pattern:?} matches no files ({})",
                    whence()
                )));
            }
        } else if full.is_dir() {
            folder_cases(pattern, &full, &mut paths)?;
            if paths.len() == before {
                return Err(TestCaseError(format!(
                    "test case folder {pattern:?} has no .json, .yaml or .yml files ({})",
                    whence()
                )));
            }
        } else if full.is_file() {
            paths.push(full);
        } else {
            return Err(TestCaseError(format!(
                "test case file {pattern:?} does not exist ({})",
                whence()
            )));
        }
    }
    paths.sort();
    paths.dedup();
    paths.iter().map(|p| load(p)).collect()
}

/// Appends the files a glob matches.
fn expand_glob(pattern: &str, full: &Path, paths: &mut Vec<PathBuf>) -> Result<(), TestCaseError> {
    let matches = glob::glob(&full.to_string_lossy()).map_err(|e| {
        TestCaseError(format!(
            "test case pattern {pattern:?} is not a valid glob: {e}"
        ))
    })?;
    for entry in matches {
        let entry =
            entry.map_err(|e| TestCaseError(format!("test case pattern {pattern:?}: {e}")))?;
        if entry.is_file() {
            paths.push(entry);
        }
    }
    Ok(())
}

/// Appends the test case files directly in a folder (not recursive; other files are skipped).
fn folder_cases(pattern: &str, dir: &Path, paths: &mut Vec<PathBuf>) -> Result<(), TestCaseError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| TestCaseError(format!("test case folder {pattern:?}: cannot read it: {e}")))?;
    for entry in entries {
        let path = entry
            .map_err(|e| TestCaseError(format!("test case folder {pattern:?}: {e}")))?
            .path();
        if path.is_file() && format_of(&path).is_some() {
            paths.push(path);
        }
    }
    Ok(())
}

/// Checks one run's result against the case's expectations and utilization limit
/// (`default_max` when the case sets none). A utilization that was not reported fails any limit
/// below 100: a limit that cannot be checked is not met.
pub fn check(
    case: &TestCase,
    output: Option<&serde_json::Value>,
    error: Option<&str>,
    compute_utilization: Option<u32>,
    default_max: u32,
) -> Verdict {
    let mut failures = Vec::new();
    match (&case.expect_error, error) {
        (Some(want), Some(got)) if got.contains(want.as_str()) => {}
        (Some(want), Some(got)) => failures.push(format!(
            "error: expected it to contain {}, got {}",
            quote(want),
            quote(got)
        )),
        (Some(want), None) => failures.push(format!(
            "error: expected an error containing {}, got none",
            quote(want)
        )),
        (None, Some(got)) => failures.push(format!("error: {got}")),
        (None, None) => {}
    }
    if let Some(expect) = &case.expect {
        match output {
            Some(actual) => diff(expect, Some(actual), "", &mut failures),
            None if error.is_some() => {}
            None => failures.push("output: expected output, got none".to_owned()),
        }
    }
    // A case may tighten the run's limit, never loosen it.
    let max = case
        .max_compute_utilization
        .map_or(default_max, |m| m.min(default_max));
    match compute_utilization {
        Some(u) if u > max => failures.push(format!(
            "compute utilization: {u} is over the limit of {max}"
        )),
        None if max < 100 => failures.push(format!(
            "compute utilization: TestFunction reported no readable value, so the limit of {max} cannot be checked"
        )),
        _ => {}
    }
    Verdict {
        passed: failures.is_empty(),
        failures,
    }
}

fn quote(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends one line per place where `actual` does not contain `expected`.
fn diff(expected: &Value, actual: Option<&Value>, path: &str, out: &mut Vec<String>) {
    let here = if path.is_empty() { "output" } else { path };
    match (expected, actual) {
        (Value::Null, None | Some(Value::Null)) => {}
        (Value::Null, Some(a)) => out.push(format!("{here}: expected absent, got {a}")),
        (e, None) => out.push(format!("{here}: expected {e}, got nothing")),
        (Value::Object(em), Some(Value::Object(am))) => {
            for (k, ev) in em {
                diff(ev, am.get(k), &join(path, k), out);
            }
        }
        (Value::Array(ea), Some(Value::Array(aa))) => {
            if ea.len() != aa.len() {
                out.push(format!(
                    "{here}: expected {} items, got {} ({})",
                    ea.len(),
                    aa.len(),
                    Value::Array(aa.clone())
                ));
                return;
            }
            for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                diff(ev, Some(av), &format!("{path}[{i}]"), out);
            }
        }
        (e, Some(a)) => {
            if !scalar_eq(e, a) {
                out.push(format!("{here}: expected {e}, got {a}"));
            }
        }
    }
}

fn scalar_eq(e: &Value, a: &Value) -> bool {
    match (e, a) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(_) | Value::Bool(_)) => {
            s.as_str() == a.to_string().as_str()
        }
        (Value::Number(_) | Value::Bool(_), Value::String(s)) => {
            s.as_str() == e.to_string().as_str()
        }
        _ => e == a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(text: &str) -> Result<TestCase, TestCaseError> {
        from_str(text, true, Path::new("tests/case.yaml"))
    }

    const EVENT_YAML: &str = "event:\n  version: '1.0'\n  context:\n    eventType: viewer-request\n  request:\n    method: GET\n    uri: /\n";

    #[test]
    fn bare_event_is_a_case_named_after_the_file() {
        let c = from_str(
            r#"{"version":"1.0","context":{"eventType":"viewer-request"},"request":{"uri":"/"}}"#,
            false,
            Path::new("dir/ev.json"),
        )
        .unwrap();
        assert_eq!(c.name, "ev.json");
        assert_eq!(c.expect, None);
        assert_eq!(c.event["request"]["uri"], "/");
    }

    #[test]
    fn wrapped_case_reads_every_key() {
        let text = format!(
            "name: redirect\n{EVENT_YAML}expect:\n  response:\n    statusCode: 301\nmax-compute-utilization: 50\n"
        );
        let c = yaml(&text).unwrap();
        assert_eq!(c.name, "redirect");
        assert_eq!(c.expect, Some(json!({"response": {"statusCode": 301}})));
        assert_eq!(c.max_compute_utilization, Some(50));
    }

    #[test]
    fn unknown_key_is_an_error_naming_key_file_and_line() {
        let text = format!("name: x\n{EVENT_YAML}expekt:\n  response: {{}}\n");
        let err = yaml(&text).unwrap_err().0;
        assert!(err.contains("tests/case.yaml"), "{err}");
        assert!(err.contains("expekt"), "{err}");
        assert!(err.contains("line 9"), "{err}");
    }

    #[test]
    fn unknown_key_in_json_names_the_line() {
        let text =
            "{\n \"event\": {\"context\": {\"eventType\": \"viewer-request\"}},\n \"bogus\": 1\n}";
        let err = from_str(text, false, Path::new("c.json")).unwrap_err().0;
        assert!(err.contains("bogus") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn unknown_key_in_an_event_is_an_error_with_its_line() {
        let text = "name: x\nevent:\n  context: {eventType: viewer-request}\n  requets: {uri: /}\n";
        let err = yaml(text).unwrap_err().0;
        assert!(err.contains("requets") && err.contains("line 4"), "{err}");
        let err = from_str(
            "{\"context\": {\"eventType\": \"viewer-request\"},\n \"reqest\": {}}",
            false,
            Path::new("bare.json"),
        )
        .unwrap_err()
        .0;
        assert!(err.contains("reqest") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn event_without_event_type_is_an_error() {
        let err = yaml("name: x\nevent:\n  request: {uri: /}\n")
            .unwrap_err()
            .0;
        assert!(err.contains("context.eventType"), "{err}");
        let err = from_str(r#"{"request":{}}"#, false, Path::new("e.json"))
            .unwrap_err()
            .0;
        assert!(err.contains("context.eventType"), "{err}");
    }

    #[test]
    fn wrapped_case_without_event_is_an_error() {
        let err = yaml("name: x\nexpect:\n  request: {uri: /}\n")
            .unwrap_err()
            .0;
        assert!(err.contains("missing") && err.contains("event"), "{err}");
    }

    #[test]
    fn max_compute_utilization_must_be_0_to_100() {
        for bad in ["101", "-1", "5.5", "'50'"] {
            let text = format!("{EVENT_YAML}max-compute-utilization: {bad}\n");
            let err = yaml(&text).unwrap_err().0;
            assert!(err.contains("max-compute-utilization"), "{bad}: {err}");
        }
    }

    #[test]
    fn expect_must_be_request_or_response() {
        let text = format!("{EVENT_YAML}expect:\n  statusCode: 301\n");
        assert!(yaml(&text).unwrap_err().0.contains("expect must be"));
    }

    fn case_expecting(expect: Value) -> TestCase {
        TestCase {
            name: "c".into(),
            event: json!({"context": {"eventType": "viewer-request"}}),
            expect: Some(expect),
            expect_error: None,
            max_compute_utilization: None,
            source: PathBuf::from("c.yaml"),
        }
    }

    #[test]
    fn a_case_limit_tightens_the_run_limit_but_never_loosens_it() {
        let out = json!({"response": {"statusCode": 301}});
        let mut case = case_expecting(json!({"response": {"statusCode": 301}}));
        case.max_compute_utilization = Some(100);
        assert!(
            !check(&case, Some(&out), None, Some(90), 50).passed,
            "the run's 50 still applies"
        );
        case.max_compute_utilization = Some(30);
        assert!(
            !check(&case, Some(&out), None, Some(40), 50).passed,
            "the case's 30 applies"
        );
        assert!(check(&case, Some(&out), None, Some(30), 50).passed);
    }

    #[test]
    fn subset_match_passes_with_extra_output_keys() {
        let case = case_expecting(json!({"response": {"statusCode": 301}}));
        let out = json!({"response": {"statusCode": 301, "headers": {}, "cookies": {}}});
        assert_eq!(
            check(&case, Some(&out), None, Some(5), 100),
            Verdict {
                passed: true,
                failures: vec![]
            }
        );
    }

    #[test]
    fn mismatch_gives_a_readable_line_per_difference() {
        let case = case_expecting(json!({"response": {"statusCode": 301,
            "headers": {"location": {"value": "https://www.example.com/"}}}}));
        let out = json!({"response": {"statusCode": 302, "headers": {}}});
        let v = check(&case, Some(&out), None, Some(5), 100);
        assert!(!v.passed);
        assert_eq!(
            v.failures,
            vec![
                "response.statusCode: expected 301, got 302",
                "response.headers.location: expected {\"value\":\"https://www.example.com/\"}, got nothing",
            ]
        );
    }

    #[test]
    fn request_expected_but_response_returned_is_reported() {
        let case = case_expecting(json!({"request": {"uri": "/a"}}));
        let out = json!({"response": {"statusCode": 200}});
        let v = check(&case, Some(&out), None, Some(0), 100);
        assert_eq!(
            v.failures,
            vec!["request: expected {\"uri\":\"/a\"}, got nothing"]
        );
    }

    #[test]
    fn null_expects_absence_and_numbers_match_their_string_form() {
        let case =
            case_expecting(json!({"request": {"headers": {"x-debug": null, "x-n": {"value": 5}}}}));
        let out = json!({"request": {"headers": {"x-n": {"value": "5"}}}});
        assert!(check(&case, Some(&out), None, Some(0), 100).passed);
        let out =
            json!({"request": {"headers": {"x-debug": {"value": "1"}, "x-n": {"value": "5"}}}});
        let v = check(&case, Some(&out), None, Some(0), 100);
        assert_eq!(
            v.failures,
            vec!["request.headers.x-debug: expected absent, got {\"value\":\"1\"}"]
        );
    }

    #[test]
    fn arrays_must_match_length_and_items() {
        let case = case_expecting(
            json!({"request": {"cookies": {"a": {"multiValue": [{"value": "1"}]}}}}),
        );
        let out = json!({"request": {"cookies": {"a": {"multiValue": [{"value": "2"}]}}}});
        let v = check(&case, Some(&out), None, Some(0), 100);
        assert_eq!(
            v.failures,
            vec!["request.cookies.a.multiValue[0].value: expected \"1\", got \"2\""]
        );
    }

    #[test]
    fn expect_error_matches_a_substring() {
        let mut case = case_expecting(json!({}));
        case.expect = None;
        case.expect_error = Some("boom".into());
        assert!(check(&case, None, Some("Error: boom"), Some(0), 100).passed);
        let v = check(&case, None, Some("Error: bang"), Some(0), 100);
        assert_eq!(
            v.failures,
            vec!["error: expected it to contain \"boom\", got \"Error: bang\""]
        );
        let v = check(&case, Some(&json!({"request": {}})), None, Some(0), 100);
        assert!(!v.passed);
    }

    #[test]
    fn an_unexpected_error_fails_the_case() {
        let case = case_expecting(json!({"request": {"uri": "/"}}));
        let v = check(&case, None, Some("TypeError: x"), Some(0), 100);
        assert_eq!(v.failures, vec!["error: TypeError: x"]);
    }

    #[test]
    fn utilization_over_the_case_or_default_limit_fails() {
        let mut case = case_expecting(json!({"request": {}}));
        let out = json!({"request": {}});
        assert!(check(&case, Some(&out), None, Some(60), 100).passed);
        assert!(!check(&case, Some(&out), None, Some(60), 50).passed);
        case.max_compute_utilization = Some(70);
        // The run's 50 is the policy; a case's 70 cannot loosen it.
        assert!(!check(&case, Some(&out), None, Some(60), 50).passed);
        let v = check(&case, Some(&out), None, Some(71), 100);
        assert_eq!(
            v.failures,
            vec!["compute utilization: 71 is over the limit of 70"]
        );
    }

    #[test]
    fn an_unreported_utilization_fails_any_limit_below_100() {
        let mut case = case_expecting(json!({"request": {}}));
        let out = json!({"request": {}});
        assert!(check(&case, Some(&out), None, None, 100).passed);
        let v = check(&case, Some(&out), None, None, 90);
        assert!(!v.passed && v.failures[0].contains("limit of 90"), "{v:?}");
        // The case's own limit counts as much as the run's.
        case.max_compute_utilization = Some(50);
        let v = check(&case, Some(&out), None, None, 100);
        assert!(!v.passed && v.failures[0].contains("limit of 50"), "{v:?}");
    }

    #[test]
    fn load_patterns_expands_globs_sorted_and_rejects_empty_matches() {
        let dir = tempfile::tempdir().unwrap();
        let ev = r#"{"context":{"eventType":"viewer-request"},"request":{"uri":"/"}}"#;
        std::fs::create_dir(dir.path().join("t")).unwrap();
        std::fs::write(dir.path().join("t/b.json"), ev).unwrap();
        std::fs::write(dir.path().join("t/a.json"), ev).unwrap();
        std::fs::write(dir.path().join("one.json"), ev).unwrap();
        let cases = load_patterns(
            &["t/*.json".to_owned(), "one.json".to_owned()],
            dir.path(),
            "here",
        )
        .unwrap();
        let names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["one.json", "a.json", "b.json"]);
        let err = load_patterns(&["t/*.yaml".to_owned()], dir.path(), "here")
            .unwrap_err()
            .0;
        assert!(
            err.contains("t/*.yaml") && err.contains("matches no files"),
            "{err}"
        );
        let err = load_patterns(&["missing.json".to_owned()], dir.path(), "the workspace")
            .unwrap_err()
            .0;
        assert!(err.contains("missing.json"), "{err}");
        assert!(err.contains("relative to the workspace"), "{err}");
    }

    #[test]
    fn a_folder_means_its_test_case_files_sorted_and_an_empty_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ev = r#"{"context":{"eventType":"viewer-request"},"request":{"uri":"/"}}"#;
        std::fs::create_dir_all(dir.path().join("t/nested")).unwrap();
        for f in ["t/c.yml", "t/b.yaml", "t/a.json", "t/nested/d.json"] {
            std::fs::write(dir.path().join(f), ev).unwrap();
        }
        std::fs::write(dir.path().join("t/notes.md"), "not a case").unwrap();
        for form in ["t", "t/"] {
            let cases = load_patterns(&[form.to_owned()], dir.path(), "here").unwrap();
            let names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, vec!["a.json", "b.yaml", "c.yml"], "{form}");
        }
        std::fs::create_dir(dir.path().join("empty")).unwrap();
        let err = load_patterns(&["empty".to_owned()], dir.path(), "here")
            .unwrap_err()
            .0;
        assert!(err.contains("\"empty\"") && err.contains("folder"), "{err}");
    }

    #[test]
    fn load_rejects_other_extensions() {
        let err = load(Path::new("case.txt")).unwrap_err().0;
        assert!(err.contains("case.txt") && err.contains(".json"), "{err}");
    }
}
