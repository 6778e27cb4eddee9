//! The `test` command through its library entry point (`localtest::run_to`): the bundled example,
//! text and JSON output, key value stores from flags and files, and errors that name their flag
//! or file.

use std::path::{Path, PathBuf};

use cloudfront_publish::localtest::{TestArgs, run_to};
use serde_json::Value;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runtime")
}

fn args(file: PathBuf, events: Vec<PathBuf>) -> TestArgs {
    TestArgs {
        file,
        events,
        runtime: "cloudfront-js-2.0".into(),
        kvs: vec![],
        kvs_file: None,
        format: "text".into(),
    }
}

fn example_cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(example_dir().join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn run_capture(a: &TestArgs) -> (Result<bool, String>, String) {
    let mut buf = Vec::new();
    let r = run_to(a, &mut buf).map_err(|e| e.to_string());
    (r, String::from_utf8(buf).unwrap())
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn bundled_example_has_three_cases_and_all_pass() {
    let cases = example_cases();
    assert_eq!(cases.len(), 3, "{cases:?}");
    let a = args(example_dir().join("function.js"), cases);
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
    assert_eq!(text.matches("\nPASS\n").count(), 3, "{text}");
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

#[test]
fn bundled_example_is_small_enough_for_the_service() {
    let code = std::fs::read_to_string(example_dir().join("function.js")).unwrap();
    assert!(code.len() < 10 * 1024);
}

#[test]
fn json_format_prints_one_object_per_event_with_the_documented_fields() {
    let mut a = args(example_dir().join("function.js"), example_cases());
    a.format = "json".into();
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true));
    let lines = json_lines(&text);
    assert_eq!(lines.len(), 3);
    for l in &lines {
        for key in [
            "name",
            "output",
            "logs",
            "error",
            "compute-utilization",
            "passed",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert_eq!(l["passed"], true);
        assert!(l["error"].is_null());
    }
    let redirect = lines
        .iter()
        .find(|l| l["name"].as_str().unwrap().contains("redirect"))
        .unwrap();
    assert_eq!(redirect["output"]["response"]["statusCode"], 301);
    assert_eq!(redirect["logs"].as_array().unwrap().len(), 1);
}

#[test]
fn failing_expectation_returns_false_and_prints_the_diff() {
    let a = args(
        example_dir().join("function.js"),
        vec![fixtures().join("wrong-status.yaml")],
    );
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(false));
    assert!(text.contains("FAIL"), "{text}");
    assert!(
        text.contains("response.statusCode: expected 302, got 301"),
        "{text}"
    );
}

#[test]
fn bare_event_file_runs_and_passes_without_expectations() {
    let a = args(
        example_dir().join("function.js"),
        vec![fixtures().join("bare-event.json")],
    );
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
    assert!(text.contains("\"uri\": \"/index.html\""), "{text}");
}

#[test]
fn kvs_flags_fill_the_store_and_missing_keys_reject() {
    let func = fixtures().join("kvs-redirect.js");
    let mut a = args(func.clone(), vec![fixtures().join("kvs-hit.yaml")]);
    a.kvs = vec!["/old=/new?x=1".into()];
    a.format = "json".into();
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
    let line = &json_lines(&text)[0];
    assert_eq!(
        line["output"]["response"]["headers"]["location"]["value"],
        "/new?x=1"
    );

    // No entry: get() rejects, the function catches it and passes the request through.
    let mut a = args(func, vec![fixtures().join("kvs-miss.yaml")]);
    a.format = "json".into();
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
    let line = &json_lines(&text)[0];
    assert_eq!(line["logs"][0], "no redirect for /old");
}

#[test]
fn kvs_file_fills_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("kvs.json");
    std::fs::write(&f, r#"{"/old": "/from-file"}"#).unwrap();
    let mut a = args(
        fixtures().join("kvs-redirect.js"),
        vec![fixtures().join("kvs-any.json")],
    );
    a.kvs_file = Some(f);
    a.format = "json".into();
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
    assert_eq!(
        json_lines(&text)[0]["output"]["response"]["headers"]["location"]["value"],
        "/from-file"
    );
}

#[test]
fn runtime_1_flag_applies_runtime_1_rules() {
    let mut a = args(
        example_dir().join("function.js"),
        vec![example_cases()[0].clone()],
    );
    a.runtime = "cloudfront-js-1.0".into();
    let (r, text) = run_capture(&a);
    // The example uses const: runtime 1.0 refuses it.
    assert_eq!(r, Ok(false));
    assert!(text.contains("SyntaxError"), "{text}");
}

#[test]
fn expect_error_case_passes_when_the_function_throws() {
    let a = args(
        fixtures().join("throws.js"),
        vec![fixtures().join("expect-error.yaml")],
    );
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
    assert!(
        text.contains("error: Error: upstream config missing"),
        "{text}"
    );
}

#[test]
fn bad_inputs_name_the_flag_or_file() {
    let ex = example_dir().join("function.js");
    let ev = example_cases();

    let mut a = args(ex.clone(), ev.clone());
    a.runtime = "cloudfront-js-3.0".into();
    assert!(run_capture(&a).0.unwrap_err().starts_with("--runtime"));

    let a = args(PathBuf::from("/nonexistent/function.js"), ev.clone());
    assert!(
        run_capture(&a)
            .0
            .unwrap_err()
            .contains("/nonexistent/function.js")
    );

    let a = args(ex.clone(), vec![PathBuf::from("/nonexistent/event.json")]);
    let err = run_capture(&a).0.unwrap_err();
    assert!(
        err.starts_with("--event") && err.contains("/nonexistent/event.json"),
        "{err}"
    );

    let mut a = args(ex.clone(), ev.clone());
    a.kvs = vec!["no-equals".into()];
    assert!(run_capture(&a).0.unwrap_err().starts_with("--kvs"));

    let mut a = args(ex.clone(), ev.clone());
    a.kvs_file = Some(PathBuf::from("/nonexistent/kvs.json"));
    let err = run_capture(&a).0.unwrap_err();
    assert!(
        err.starts_with("--kvs-file") && err.contains("/nonexistent/kvs.json"),
        "{err}"
    );

    let a = args(ex, vec![fixtures().join("unknown-key.yaml")]);
    let err = run_capture(&a).0.unwrap_err();
    assert!(
        err.contains("unknown-key.yaml") && err.contains("expected-output"),
        "{err}"
    );
}

#[test]
fn empty_function_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.js");
    std::fs::write(&f, "\n").unwrap();
    let a = args(f, example_cases());
    assert!(run_capture(&a).0.unwrap_err().contains("empty"));
}

#[test]
fn real_world_function_with_cookies_and_querystring_module() {
    let a = args(
        fixtures().join("ab-test.js"),
        vec![fixtures().join("ab-test.yaml")],
    );
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
}

#[test]
fn runtime_1_function_with_byte_string_helpers_and_crypto() {
    let mut a = args(
        fixtures().join("signed-url-v1.js"),
        vec![
            fixtures().join("signed-url-valid.yaml"),
            fixtures().join("signed-url-bad.yaml"),
        ],
    );
    a.runtime = "cloudfront-js-1.0".into();
    let (r, text) = run_capture(&a);
    assert_eq!(r, Ok(true), "{text}");
}

#[test]
fn events_take_a_folder_a_glob_and_a_comma_list_like_test_events() {
    let dir = example_dir().join("tests");
    let files = example_cases();
    let forms: Vec<(&str, Vec<PathBuf>)> = vec![
        ("folder", vec![dir.clone()]),
        ("glob", vec![dir.join("*.yaml")]),
        (
            "comma list",
            vec![PathBuf::from(
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            )],
        ),
    ];
    for (what, events) in forms {
        let mut a = args(example_dir().join("function.js"), events);
        a.format = "json".into();
        let (r, text) = run_capture(&a);
        assert_eq!(r, Ok(true), "{what}: {text}");
        assert_eq!(json_lines(&text).len(), files.len(), "{what}: {text}");
    }
}

#[test]
fn an_event_pattern_that_matches_nothing_names_the_flag_and_the_pattern() {
    let a = args(
        example_dir().join("function.js"),
        vec![example_dir().join("tests/*.json")],
    );
    let (r, _) = run_capture(&a);
    let err = r.unwrap_err();
    assert!(err.starts_with("--event"), "{err}");
    assert!(err.contains("*.json"), "{err}");
}
