//! Bad inputs and files, run the way the Actions runner runs the binary: no subcommand, a clean
//! environment with `INPUT_*` variables, a workspace of files, and every endpoint (CloudFront, STS,
//! GitHub, the OIDC token URL) pointed at a loopback listener that counts connections.
//!
//! Each case must exit 1 with one `::error title=…` line naming the input or the file (and the line
//! where the spec promises one), must not panic, and must not open a single connection: validation
//! happens before the first API call. Not for: what happens after validation (see the pipeline tests).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad");
const KVS_ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/cloudfront-publish";

/// A loopback listener that accepts and drops every connection, counting them.
struct Trap {
    url: String,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Trap {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (count.clone(), stop.clone());
        // Polling, so that after `stop` the backlog is still drained: a connection the kernel
        // completed but nobody accepted yet still counts.
        let thread = std::thread::spawn(move || {
            loop {
                match listener.accept() {
                    Ok((stream, _)) => {
                        c.fetch_add(1, Ordering::SeqCst);
                        drop(stream);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        if s.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Trap {
            url,
            count,
            stop,
            thread,
        }
    }

    /// Stops accepting and returns how many connections arrived.
    fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("trap thread");
        self.count.load(Ordering::SeqCst)
    }
}

/// What one run of the binary left behind.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    connections: usize,
    /// `$GITHUB_OUTPUT` after the run.
    outputs: String,
    /// `$GITHUB_STEP_SUMMARY` after the run.
    summary: String,
}

impl Outcome {
    /// `(title, message)` of every `::error` line on stdout.
    fn errors(&self) -> Vec<(String, String)> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("::error title="))
            .filter_map(|rest| rest.split_once("::"))
            .map(|(t, m)| (unescape(t), unescape(m)))
            .collect()
    }
}

/// Undoes the workflow-command escaping, so assertions read like the message.
fn unescape(s: &str) -> String {
    s.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// One case: inputs on top of a valid baseline (`None` removes an input), extra environment, and a
/// hook that adds files to the workspace.
#[derive(Default)]
struct Case {
    inputs: Vec<(&'static str, Option<String>)>,
    env: Vec<(&'static str, String)>,
    no_oidc: bool,
    setup: Option<fn(&Path)>,
}

impl Case {
    fn input(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.inputs.push((name, Some(value.into())));
        self
    }

    fn without(mut self, name: &'static str) -> Self {
        self.inputs.push((name, None));
        self
    }

    fn setup(mut self, f: fn(&Path)) -> Self {
        self.setup = Some(f);
        self
    }

    /// A manifest run: the single-function inputs are removed.
    fn manifest(self, path: &str) -> Self {
        self.without("function-name")
            .without("function-file")
            .input("manifest", path)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixtures") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture");
        }
    }
}

/// Runs the binary in action mode with the baseline inputs patched by `case`.
fn run(case: Case) -> Outcome {
    let trap = Trap::start();
    let dir = TempDir::new().expect("tempdir");
    let workspace = dir.path().join("workspace");
    copy_dir(Path::new(FIXTURES), &workspace);
    if let Some(setup) = case.setup {
        setup(&workspace);
    }
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"synchronize","number":7,"pull_request":{"number":7}}"#,
    )
    .expect("event");
    let output = dir.path().join("github_output");
    let summary = dir.path().join("step_summary");
    std::fs::write(&output, "").expect("output file");
    std::fs::write(&summary, "").expect("summary file");

    // A valid baseline that would reach CloudFront and GitHub (the control test proves it does).
    let mut inputs: BTreeMap<&str, String> = BTreeMap::new();
    inputs.insert("function-name", "redirect-www".to_owned());
    inputs.insert("function-file", "functions/ok.js".to_owned());
    inputs.insert("github-token", "ghs_fake_token_for_tests_only".to_owned());
    inputs.insert("endpoint-url", trap.url.clone());
    for (name, value) in case.inputs {
        match value {
            Some(v) => inputs.insert(name, v),
            None => inputs.remove(name),
        };
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudfront-publish"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_API_URL", &trap.url)
        .env("GITHUB_REPOSITORY", "octo/site")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Every other way out leads to the trap as well.
        .env("AWS_ENDPOINT_URL", &trap.url)
        .env("AWS_ENDPOINT_URL_STS", &trap.url)
        .env("AWS_ENDPOINT_URL_CLOUDFRONT", &trap.url)
        .current_dir(&workspace);
    if !case.no_oidc {
        cmd.env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/token?api-version=2.0", trap.url),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "fake-request-token");
    }
    for (name, value) in &inputs {
        cmd.env(format!("INPUT_{}", name.to_ascii_uppercase()), value);
    }
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the binary");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        connections: trap.finish(),
        outputs: std::fs::read_to_string(&output).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

/// Runs `case` and checks the contract for a rejected input: exit 1, one `::error` whose title
/// contains `title` and whose message contains every one of `message`, no panic, no connection.
fn rejects(case: Case, title: &str, message: &[&str]) {
    let o = run(case);
    let all = format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.code, o.stdout, o.stderr
    );
    assert_eq!(o.code, Some(1), "{all}");
    assert_eq!(
        o.connections, 0,
        "validation must finish before any connection\n{all}"
    );
    for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "internal error"] {
        assert!(
            !o.stdout.contains(bad) && !o.stderr.contains(bad),
            "{bad:?} in the output\n{all}"
        );
    }
    let errors = o.errors();
    assert_eq!(errors.len(), 1, "exactly one ::error line\n{all}");
    let (t, m) = &errors[0];
    assert!(
        t.contains(title),
        "title {t:?} should contain {title:?}\n{all}"
    );
    for part in message {
        assert!(
            m.contains(part),
            "message {m:?} should contain {part:?}\n{all}"
        );
    }
    assert!(!m.contains('\n'), "one-line message\n{all}");
}

fn case() -> Case {
    Case::default()
}

// ---- control -------------------------------------------------------------------------------

/// Without this, "zero connections" could just mean the trap is not where the binary looks.
#[test]
fn control_valid_inputs_do_reach_the_listener() {
    let o = run(case());
    assert!(
        o.connections > 0,
        "a valid run must try the network\n{}\n{}",
        o.stdout,
        o.stderr
    );
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
}

// ---- inputs ---------------------------------------------------------------------------------

#[test]
fn function_name_with_a_space_and_bang_is_rejected() {
    rejects(
        case().input("function-name", "redirect www!"),
        "function-name",
        &["redirect www!", "a-z"],
    );
}

#[test]
fn function_name_of_65_characters_is_rejected() {
    let name = "a".repeat(65);
    rejects(
        case().input("function-name", name.clone()),
        "function-name",
        &[&name, "1-64"],
    );
}

#[test]
fn function_name_of_64_characters_is_not_the_error() {
    // The boundary itself is fine; a bad runtime then is the only complaint.
    rejects(
        case()
            .input("function-name", "a".repeat(64))
            .input("runtime", "cloudfront-js-3.0"),
        "runtime",
        &["cloudfront-js-3.0"],
    );
}

#[test]
fn missing_function_name_is_rejected() {
    rejects(
        case().without("function-name"),
        "function-name",
        &["required", "manifest"],
    );
}

#[test]
fn unknown_runtime_is_rejected() {
    rejects(
        case().input("runtime", "nodejs20.x"),
        "runtime",
        &["nodejs20.x", "cloudfront-js-2.0"],
    );
}

#[test]
fn comment_of_129_characters_is_rejected() {
    rejects(
        case().input("comment", "c".repeat(129)),
        "comment",
        &["129", "128"],
    );
}

#[test]
fn two_key_value_store_arns_are_rejected() {
    let two = format!("{KVS_ARN}\n{}", KVS_ARN.replace("11111", "22222"));
    rejects(
        case().input("key-value-store-arns", two),
        "key-value-store-arns",
        &["at most 1"],
    );
}

#[test]
fn key_value_store_with_runtime_1_is_rejected() {
    rejects(
        case()
            .input("runtime", "cloudfront-js-1.0")
            .input("key-value-store-arns", KVS_ARN),
        "key-value-store-arns",
        &["cloudfront-js-2.0"],
    );
}

// Without `function-file` nothing is created or updated: config inputs would be silently ignored.

#[test]
fn runtime_without_function_file_is_rejected() {
    rejects(
        case()
            .without("function-file")
            .input("runtime", "cloudfront-js-1.0"),
        "runtime",
        &["needs `function-file`", "ignored"],
    );
}

#[test]
fn comment_without_function_file_is_rejected() {
    rejects(
        case().without("function-file").input("comment", "hello"),
        "comment",
        &["needs `function-file`"],
    );
}

#[test]
fn key_value_store_arns_without_function_file_are_rejected() {
    rejects(
        case()
            .without("function-file")
            .input("key-value-store-arns", KVS_ARN),
        "key-value-store-arns",
        &["needs `function-file`"],
    );
}

#[test]
fn runtime_combined_with_manifest_is_rejected() {
    rejects(
        case()
            .manifest("manifests/duplicate.yaml")
            .input("runtime", "cloudfront-js-2.0"),
        "runtime",
        &["manifest"],
    );
}

#[test]
fn malformed_key_value_store_arn_is_rejected() {
    rejects(
        case().input("key-value-store-arns", "arn:aws:s3:::my-bucket"),
        "key-value-store-arns",
        &["arn:aws:s3:::my-bucket", "key value store ARN"],
    );
}

#[test]
fn max_compute_utilization_101_is_rejected() {
    rejects(
        case().input("max-compute-utilization", "101"),
        "max-compute-utilization",
        &["101", "0 to 100"],
    );
}

#[test]
fn max_compute_utilization_negative_is_rejected() {
    rejects(
        case().input("max-compute-utilization", "-1"),
        "max-compute-utilization",
        &["-1", "0 to 100"],
    );
}

#[test]
fn max_compute_utilization_not_a_number_is_rejected() {
    rejects(
        case().input("max-compute-utilization", "abc"),
        "max-compute-utilization",
        &["abc"],
    );
}

#[test]
fn publish_maybe_is_rejected() {
    rejects(
        case().input("publish", "maybe"),
        "publish",
        &["maybe", "true or false"],
    );
}

#[test]
fn concurrency_zero_is_rejected() {
    rejects(
        case().input("concurrency", "0"),
        "concurrency",
        &["positive integer"],
    );
}

#[test]
fn pr_number_not_a_number_is_rejected() {
    rejects(
        case().input("pr-number", "x"),
        "pr-number",
        &["\"x\"", "positive integer"],
    );
}

#[test]
fn pr_comment_unknown_mode_is_rejected() {
    rejects(
        case().input("pr-comment", "always"),
        "pr-comment",
        &["always", "sticky"],
    );
}

#[test]
fn fail_fast_unknown_mode_is_rejected() {
    rejects(
        case().input("fail-fast", "sometimes"),
        "fail-fast",
        &["sometimes", "all-or-nothing"],
    );
}

#[test]
fn endpoint_url_that_is_not_a_url_is_rejected() {
    rejects(
        case().input("endpoint-url", "localhost 4566"),
        "endpoint-url",
        &["localhost 4566", "URL"],
    );
}

#[test]
fn malformed_role_to_assume_is_rejected() {
    rejects(
        case().input("role-to-assume", "cloudfront-publish"),
        "role-to-assume",
        &["cloudfront-publish", "IAM role ARN"],
    );
}

#[test]
fn role_to_assume_without_the_oidc_url_names_the_permission() {
    let c = Case {
        no_oidc: true,
        ..case()
    }
    .input("role-to-assume", ROLE_ARN);
    rejects(
        c,
        "role-to-assume",
        &["ACTIONS_ID_TOKEN_REQUEST_URL", "id-token: write"],
    );
}

#[test]
fn manifest_combined_with_function_name_is_rejected() {
    rejects(
        case()
            .without("function-file")
            .input("manifest", "manifests/duplicate.yaml"),
        "function-name",
        &["manifest"],
    );
}

// ---- function files ---------------------------------------------------------------------------

#[test]
fn missing_function_file_is_rejected() {
    rejects(
        case().input("function-file", "functions/nope.js"),
        "functions/nope.js",
        &["functions/nope.js", "no such file"],
    );
}

#[test]
fn empty_function_file_is_rejected() {
    rejects(
        case().input("function-file", "functions/empty.js"),
        "functions/empty.js",
        &["functions/empty.js", "empty"],
    );
}

#[test]
fn function_file_over_10_kb_is_rejected() {
    let c = case()
        .input("function-file", "functions/big.js")
        .setup(|ws| {
            let mut code = String::from("function handler(event) {\n");
            while code.len() <= 10 * 1024 {
                code.push_str("    // padding padding padding padding padding padding padding\n");
            }
            code.push_str("    return event.request;\n}\n");
            std::fs::write(ws.join("functions/big.js"), code).expect("write big.js");
        });
    rejects(c, "functions/big.js", &["functions/big.js", "10240"]);
}

#[test]
fn function_file_of_exactly_10_kb_is_not_the_error() {
    // 10240 bytes is within the quota; test cases are read after the code, so a glob that matches
    // nothing is then the only complaint.
    let c = case()
        .input("function-file", "functions/edge.js")
        .input("test-events", "tests/*.yml")
        .setup(|ws| {
            let mut code = "function handler(event) { return event.request; }\n".to_owned();
            code.push_str(&"/".repeat(10 * 1024 - code.len()));
            std::fs::write(ws.join("functions/edge.js"), code).expect("write edge.js");
        });
    rejects(c, "test-events", &["tests/*.yml"]);
}

#[test]
fn function_file_that_is_not_utf8_is_rejected() {
    rejects(
        case().input("function-file", "functions/not-utf8.js"),
        "functions/not-utf8.js",
        &["functions/not-utf8.js", "UTF-8"],
    );
}

// ---- test cases -------------------------------------------------------------------------------

#[test]
fn test_case_with_an_unknown_key_is_rejected() {
    rejects(
        case().input("test-events", "tests/unknown-key.json"),
        "test-events",
        &["unknown-key.json", "expcet"],
    );
}

#[test]
fn test_case_without_context_event_type_is_rejected() {
    rejects(
        case().input("test-events", "tests/no-event-type.json"),
        "test-events",
        &["no-event-type.json", "eventType"],
    );
}

#[test]
fn test_case_with_invalid_json_is_rejected_with_its_line() {
    let o = run(case().input("test-events", "tests/invalid.json"));
    assert_rejected_with_line(&o, "invalid.json", 4);
}

#[test]
fn test_case_with_a_yaml_syntax_error_is_rejected_with_its_line() {
    let o = run(case().input("test-events", "tests/syntax.yaml"));
    assert_rejected_with_line(&o, "syntax.yaml", 6);
}

#[test]
fn test_events_glob_matching_nothing_is_rejected() {
    rejects(
        case().input("test-events", "tests/*.yml"),
        "test-events",
        &["tests/*.yml"],
    );
}

#[test]
fn one_bad_pattern_among_good_ones_is_rejected() {
    // A trailing newline (YAML `|` block) and a comma list are fine; the missing file is not.
    rejects(
        case().input("test-events", "tests/ok.json,\ntests/missing.json\n"),
        "test-events",
        &["tests/missing.json"],
    );
}

/// A parse error: the usual contract, plus the file and its line (`line 4`, or `file:4:`).
fn assert_rejected_with_line(o: &Outcome, file: &str, line: usize) {
    let all = format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.code, o.stdout, o.stderr
    );
    assert_eq!(o.code, Some(1), "{all}");
    assert_eq!(o.connections, 0, "{all}");
    assert!(!o.stderr.contains("panicked"), "{all}");
    let errors = o.errors();
    assert_eq!(errors.len(), 1, "{all}");
    let m = &errors[0].1;
    assert!(m.contains(file), "message should name {file}: {m}");
    assert!(
        m.contains(&format!("line {line}")) || m.contains(&format!("{file}:{line}")),
        "message should name line {line}: {m}"
    );
}

// ---- manifests ----------------------------------------------------------------------------------

#[test]
fn manifest_with_an_unknown_key_names_the_key_and_its_line() {
    rejects(
        case().manifest("manifests/unknown-key.yaml"),
        "manifests/unknown-key.yaml",
        &["manifests/unknown-key.yaml", "fiel", "line 4"],
    );
}

#[test]
fn manifest_with_duplicate_names_is_rejected() {
    rejects(
        case().manifest("manifests/duplicate.yaml"),
        "manifests/duplicate.yaml",
        &[
            "manifests/duplicate.yaml:6",
            "duplicate function name redirect-www",
        ],
    );
}

#[test]
fn missing_manifest_is_rejected() {
    rejects(
        case().manifest("manifests/nope.yaml"),
        "manifests/nope.yaml",
        &["manifests/nope.yaml", "no such file"],
    );
}

#[test]
fn manifest_entry_with_a_missing_file_names_the_entry() {
    rejects(
        case().manifest("manifests/missing-file.yaml"),
        "manifests/missing-file.yaml",
        &[
            "manifests/missing-file.yaml:4",
            "functions[1].file",
            "no-such-file.js",
        ],
    );
}

#[test]
fn manifest_with_a_bad_concurrency_is_rejected_before_reading_it() {
    rejects(
        case()
            .manifest("manifests/nope.yaml")
            .input("concurrency", "-2"),
        "concurrency",
        &["-2"],
    );
}

// ---- more edges -------------------------------------------------------------------------------

#[test]
fn if_match_with_whitespace_is_rejected() {
    rejects(
        case().input("if-match", "E2QWRUHAPOMQZL E3"),
        "if-match",
        &["E2QWRUHAPOMQZL E3"],
    );
}

#[test]
fn aws_region_with_spaces_is_rejected() {
    rejects(
        case().input("aws-region", "us east 1"),
        "aws-region",
        &["us east 1"],
    );
}

#[test]
fn pr_number_zero_is_rejected() {
    rejects(
        case().input("pr-number", "0"),
        "pr-number",
        &["positive integer"],
    );
}

#[test]
fn function_file_that_is_a_directory_is_rejected() {
    rejects(
        case().input("function-file", "functions"),
        "functions",
        &["functions", "directory"],
    );
}

#[test]
fn test_case_with_a_limit_over_100_is_rejected() {
    rejects(
        case().input("test-events", "tests/bad-limit.json"),
        "test-events",
        &["bad-limit.json", "max-compute-utilization"],
    );
}

#[test]
fn manifest_without_functions_is_rejected() {
    rejects(
        case().manifest("manifests/empty.yaml"),
        "manifests/empty.yaml",
        &["manifests/empty.yaml", "empty"],
    );
}

#[test]
fn manifest_entry_with_a_limit_over_100_names_the_entry_and_line() {
    rejects(
        case().manifest("manifests/bad-limit.yaml"),
        "manifests/bad-limit.yaml",
        &[
            "manifests/bad-limit.yaml:5",
            "functions[1].max-compute-utilization",
            "101",
        ],
    );
}

// ---- key value stores -------------------------------------------------------------------------

/// A value that must never be printed, whatever is wrong around it.
const SECRET_VALUE: &str = "s3cret-signing-key-0001";

/// The run prints the secret value nowhere (stdout, stderr, annotations).
fn prints_no_value(case: Case) {
    let o = run(case);
    assert!(
        !o.stdout.contains(SECRET_VALUE) && !o.stderr.contains(SECRET_VALUE),
        "a value was printed\n{}\n{}",
        o.stdout,
        o.stderr
    );
}

fn store_case(file: &str) -> Case {
    case()
        .input("key-value-store", "site-redirects")
        .input("key-value-store-data", file)
}

#[test]
fn kvs_data_that_is_not_an_object_is_rejected() {
    let c = store_case("kvs/list.json").setup(|w| {
        std::fs::create_dir_all(w.join("kvs")).unwrap();
        std::fs::write(w.join("kvs/list.json"), format!("[\"{SECRET_VALUE}\"]")).unwrap();
    });
    rejects(
        c,
        "key-value-store-data",
        &["kvs/list.json", "must be an object", "line 1"],
    );
}

#[test]
fn kvs_data_with_a_number_value_names_the_key_and_line_not_the_value() {
    let setup = |w: &Path| {
        std::fs::create_dir_all(w.join("kvs")).unwrap();
        std::fs::write(
            w.join("kvs/data.yaml"),
            format!("jwt-key: {SECRET_VALUE}\nport: 8443\n"),
        )
        .unwrap();
    };
    rejects(
        store_case("kvs/data.yaml").setup(setup),
        "key-value-store-data",
        &["kvs/data.yaml", "\"port\"", "a number", "line 2"],
    );
    prints_no_value(store_case("kvs/data.yaml").setup(setup));
}

#[test]
fn kvs_data_with_a_duplicate_key_names_it_and_its_line() {
    let setup = |w: &Path| {
        std::fs::create_dir_all(w.join("kvs")).unwrap();
        std::fs::write(
            w.join("kvs/data.json"),
            format!(
                "{{\"data\": [\n{{\"key\": \"/a\", \"value\": \"{SECRET_VALUE}\"}},\n{{\"key\": \"/a\", \"value\": \"2\"}}\n]}}"
            ),
        )
        .unwrap();
    };
    rejects(
        store_case("kvs/data.json").setup(setup),
        "key-value-store-data",
        &["kvs/data.json", "duplicate key \"/a\"", "line 3"],
    );
    prints_no_value(store_case("kvs/data.json").setup(setup));
}

#[test]
fn kvs_key_over_512_bytes_is_rejected() {
    let c = store_case("kvs/data.json").setup(|w| {
        std::fs::create_dir_all(w.join("kvs")).unwrap();
        let key = "k".repeat(513);
        std::fs::write(w.join("kvs/data.json"), format!("{{\"{key}\": \"v\"}}")).unwrap();
    });
    rejects(
        c,
        "key-value-store-data",
        &["kvs/data.json", "513 bytes", "at most 512"],
    );
}

#[test]
fn kvs_value_over_1024_bytes_names_the_key_not_the_value() {
    let setup = |w: &Path| {
        std::fs::create_dir_all(w.join("kvs")).unwrap();
        let value = format!("{SECRET_VALUE}{}", "x".repeat(1024));
        std::fs::write(w.join("kvs/data.json"), format!("{{\"big\": \"{value}\"}}")).unwrap();
    };
    rejects(
        store_case("kvs/data.json").setup(setup),
        "key-value-store-data",
        &["kvs/data.json", "\"big\"", "at most 1024"],
    );
    prints_no_value(store_case("kvs/data.json").setup(setup));
}

#[test]
fn kvs_store_over_5_mb_is_rejected() {
    let c = store_case("kvs/big.json").setup(|w| {
        std::fs::create_dir_all(w.join("kvs")).unwrap();
        let value = "v".repeat(1000);
        let items: Vec<String> = (0..5300)
            .map(|i| format!("\"k{i:05}\": \"{value}\""))
            .collect();
        std::fs::write(w.join("kvs/big.json"), format!("{{{}}}", items.join(","))).unwrap();
    });
    rejects(
        c,
        "key-value-store-data",
        &["kvs/big.json", "at most 5242880 bytes"],
    );
}

#[test]
fn kvs_data_without_a_store_is_rejected() {
    let c = case()
        .input("key-value-store-data", "kvs/data.json")
        .setup(|w| {
            std::fs::create_dir_all(w.join("kvs")).unwrap();
            std::fs::write(w.join("kvs/data.json"), "{}").unwrap();
        });
    rejects(c, "key-value-store-data", &["needs `key-value-store`"]);
}

#[test]
fn kvs_store_with_runtime_1_is_rejected() {
    rejects(
        case()
            .input("runtime", "cloudfront-js-1.0")
            .input("key-value-store", "site-redirects"),
        "key-value-store",
        &["cloudfront-js-2.0"],
    );
}

#[test]
fn kvs_store_name_that_is_neither_name_nor_arn_is_rejected() {
    rejects(
        case().input("key-value-store", "site redirects!"),
        "key-value-store",
        &[
            "site redirects!",
            "not a valid key value store name",
            "nor an ARN",
        ],
    );
}

#[test]
fn kvs_missing_data_file_is_rejected() {
    rejects(
        store_case("kvs/nope.yaml"),
        "key-value-store-data",
        &["kvs/nope.yaml", "no such file"],
    );
}

#[test]
fn manifest_store_that_no_function_uses_is_rejected_with_its_line() {
    let c = case().manifest("kvs.yaml").setup(|w| {
        std::fs::write(w.join("data.yaml"), "a: b\n").unwrap();
        std::fs::write(
            w.join("kvs.yaml"),
            "functions:\n  - name: redirect-www\n    file: functions/ok.js\nkey-value-stores:\n  unused: data.yaml\n",
        )
        .unwrap();
    });
    rejects(
        c,
        "kvs.yaml",
        &[
            "kvs.yaml:5",
            "key-value-stores.unused",
            "no function uses it",
        ],
    );
}

#[test]
fn manifest_store_with_a_bad_data_file_names_the_store_file_and_line() {
    let c = case().manifest("kvs.yaml").setup(|w| {
        std::fs::write(w.join("data.yaml"), "a: b\na: c\n").unwrap();
        std::fs::write(
            w.join("kvs.yaml"),
            "functions:\n  - name: redirect-www\n    file: functions/ok.js\n    key-value-store: redirects\nkey-value-stores:\n  redirects: data.yaml\n",
        )
        .unwrap();
    });
    rejects(
        c,
        "kvs.yaml",
        &[
            "key-value-stores.redirects",
            "data.yaml",
            "duplicate key \"a\"",
            "line 2",
        ],
    );
}

#[test]
fn key_value_store_with_manifest_is_rejected() {
    rejects(
        case()
            .manifest("manifests/nope.yaml")
            .input("key-value-store", "site-redirects"),
        "key-value-store",
        &["cannot be combined with `manifest`"],
    );
}

// ---- code that does not compile ------------------------------------------------------------------

/// A syntax error: the usual contract, and the message names the user's file (never the
/// runtime's internal `function.js`), the line and the column.
fn assert_syntax_error(o: &Outcome, file: &str, line: usize) {
    let all = format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.code, o.stdout, o.stderr
    );
    assert_eq!(o.code, Some(1), "{all}");
    assert_eq!(
        o.connections, 0,
        "no request for code that does not compile\n{all}"
    );
    let errors = o.errors();
    assert_eq!(errors.len(), 1, "{all}");
    let m = &errors[0].1;
    let at = format!("{file}:{line}:");
    let column = m
        .split_once(&at)
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).count())
        .unwrap_or(0);
    assert!(column > 0, "message should say {at}COLUMN: {m}");
    assert!(m.contains("SyntaxError"), "{m}");
    assert!(!m.contains("function.js"), "the runtime's name leaked: {m}");
}

#[test]
fn function_file_with_a_syntax_error_is_rejected_without_test_events() {
    let o = run(case().input("function-file", "functions/syntax-error.js"));
    assert_syntax_error(&o, "functions/syntax-error.js", 3);
}

#[test]
fn function_file_with_a_syntax_error_is_rejected_with_test_events() {
    let o = run(case()
        .input("function-file", "functions/syntax-error.js")
        .input("test-events", "tests/ok.json"));
    assert_syntax_error(&o, "functions/syntax-error.js", 3);
}

#[test]
fn runtime_1_code_using_const_is_rejected_before_any_request() {
    let o = run(case()
        .input("function-file", "functions/v1-const.js")
        .input("runtime", "cloudfront-js-1.0"));
    assert_syntax_error(&o, "functions/v1-const.js", 3);
    assert!(o.errors()[0].1.contains("const"), "{:?}", o.errors());
}

#[test]
fn valid_runtime_1_code_is_not_refused_when_the_runtime_is_not_named() {
    // The function may already exist on cloudfront-js-1.0: checking with the 2.0 rules must not
    // reject valid 1.0 code, so this run gets past validation and reaches the network.
    let o = run(case()
        .input("function-file", "functions/v1-valid.js")
        .without("runtime"));
    assert!(o.connections > 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.errors().iter().all(|(t, _)| !t.contains("function-file")),
        "{}",
        o.stdout
    );
}

#[test]
fn manifest_entry_with_a_syntax_error_is_rejected_without_tests() {
    let o = run(case().manifest("manifests/syntax-error.yaml"));
    assert_syntax_error(&o, "functions/syntax-error.js", 3);
    assert!(o.errors()[0].1.contains("functions[1]"), "{:?}", o.errors());
}

#[test]
fn manifest_entry_with_a_syntax_error_is_rejected_with_tests() {
    let o = run(case().manifest("manifests/syntax-error-tested.yaml"));
    assert_syntax_error(&o, "functions/syntax-error.js", 3);
}

// ---- what an input error leaves behind ------------------------------------------------------------

#[test]
fn an_input_error_still_writes_published_false_and_a_summary() {
    let o = run(case().input("runtime", "cloudfront-js-3.0"));
    assert_eq!(o.code, Some(1));
    assert_eq!(o.connections, 0);
    let lines: Vec<&str> = o.outputs.lines().collect();
    assert!(
        lines
            .windows(3)
            .any(|w| w[0].starts_with("published<<") && w[1] == "false"),
        "published=false in GITHUB_OUTPUT:\n{}",
        o.outputs
    );
    assert!(o.summary.contains("cloudfront-js-3.0"), "{}", o.summary);
}

#[test]
fn an_input_error_with_an_unwritable_github_output_is_still_one_error_per_problem() {
    let mut c = case().input("runtime", "cloudfront-js-3.0");
    c.env
        .push(("GITHUB_OUTPUT", "/nonexistent-dir/out".to_owned()));
    let o = run(c);
    assert_eq!(o.code, Some(1));
    assert_eq!(o.connections, 0);
    let titles: Vec<String> = o.errors().into_iter().map(|(t, _)| t).collect();
    assert!(titles.iter().any(|t| t.contains("runtime")), "{titles:?}");
    assert!(
        titles.iter().any(|t| t.contains("GITHUB_OUTPUT")),
        "{titles:?}"
    );
}

// ---- paths: relative to what -----------------------------------------------------------------

#[test]
fn manifest_paths_are_relative_to_the_manifest_and_the_error_says_so() {
    rejects(
        case().manifest("manifests/workspace-relative.yaml"),
        "manifests/workspace-relative.yaml",
        &["functions/ok.js", "relative to the manifest"],
    );
    rejects(
        case().manifest("manifests/workspace-relative-tests.yaml"),
        "manifests/workspace-relative-tests.yaml",
        &["tests/ok.json", "relative to the manifest"],
    );
}

#[test]
fn input_paths_are_relative_to_the_workspace_and_the_error_says_so() {
    rejects(
        case().input("function-file", "functions/nope.js"),
        "function-file",
        &["functions/nope.js", "relative to the workspace"],
    );
    rejects(
        case().input("test-events", "tests/nope.json"),
        "test-events",
        &["tests/nope.json", "relative to the workspace"],
    );
}

#[test]
fn a_folder_without_test_cases_is_refused_with_a_line_that_says_so() {
    rejects(
        case().input("test-events", "tests-empty"),
        "test-events",
        &["tests-empty", "folder", ".json", ".yaml"],
    );
}
