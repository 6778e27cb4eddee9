//! What a person meets first, run through the binary as they run it: a failing `publish` in a
//! terminal (which test, which file, what differed; colour only on a TTY, `NO_COLOR` honoured), the
//! bare command outside GitHub Actions, misspelt `INPUT_*` variables, one grammar for naming test
//! files (`publish --test-events`, `test --event`, the action input and the manifest), held-back
//! functions, and the runner files that cannot be written.
//!
//! No timing: every assertion is about stdout, stderr, the exit code or the written outputs.
//! Not for: the pipeline's own guarantees (see the pipeline and manifest tests).

mod common;

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{ACCESS_KEY, Emu, SECRET_KEY, example_workspace, parse_outputs, run_action};

const BIN: &str = env!("CARGO_BIN_EXE_cloudfront-publish");

/// A case the bundled example fails: it redirects the apex with a 301.
const FAILING_CASE: &str = "name: apex answers 404
event:
  version: \"1.0\"
  context: { eventType: viewer-request }
  viewer: { ip: 198.51.100.7 }
  request:
    method: GET
    uri: /pricing
    querystring: {}
    headers: { host: { value: example.com } }
    cookies: {}
expect:
  response:
    statusCode: 404
";

/// A second failing case with a different difference.
const FAILING_HEADER_CASE: &str = "name: apex redirects to the wrong host
event:
  version: \"1.0\"
  context: { eventType: viewer-request }
  viewer: { ip: 198.51.100.7 }
  request:
    method: GET
    uri: /pricing
    querystring: {}
    headers: { host: { value: example.com } }
    cookies: {}
expect:
  response:
    headers: { location: { value: https://elsewhere.example/pricing } }
";

/// What one run left behind.
#[derive(Debug)]
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A command with a clean environment: no GitHub Actions variables, fake AWS credentials.
fn clean(cmd: &mut Command) -> &mut Command {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
}

fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().expect("run the binary");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `publish` in `ws` against the emulator at `url`, off the async runtime (the emulator
/// runs in this process).
async fn publish(ws: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(BIN);
    clean(&mut cmd)
        .current_dir(ws)
        .arg("publish")
        .args(args)
        .args(["--endpoint-url", url, "--pr-comment", "off"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

/// Runs `cmd` with its stderr on a pseudo-terminal (stdout stays a pipe); returns what the
/// terminal showed as `stderr`.
fn run_on_tty(cmd: &mut Command) -> Out {
    // SAFETY: plain POSIX pty calls on descriptors this function owns; every result is checked.
    let (master, slave) = unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(m), 0, "grantpt");
        assert_eq!(libc::unlockpt(m), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let s = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(s >= 0, "open the pty slave");
        // Wide enough that no line wraps.
        let size = libc::winsize {
            ws_row: 50,
            ws_col: 250,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        libc::ioctl(s, libc::TIOCSWINSZ, &size);
        (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s))
    };
    let mut master = std::fs::File::from(master);
    cmd.stderr(Stdio::from(slave)).stdout(Stdio::piped());
    let child = cmd.spawn().expect("spawn on the pty");
    // The parent's copy of the slave lives in `cmd`; replace it so the master sees EOF (EIO) when
    // the child exits.
    cmd.stderr(Stdio::null());
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        seen
    });
    let out = child.wait_with_output().expect("wait for the child");
    let tty = reader.join().expect("pty reader");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&tty).replace("\r\n", "\n"),
    }
}

/// True when `s` holds an SGR (colour/style) escape sequence, `ESC [ digits ; ... m`.
fn has_colour(s: &str) -> bool {
    s.split('\x1b').skip(1).any(|rest| {
        let Some(body) = rest.strip_prefix('[') else {
            return false;
        };
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(body.len());
        body[end..].starts_with('m')
    })
}

/// `s` without its SGR sequences: the text a person sees.
fn strip_colour(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let body = &rest[i + 2..];
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(body.len());
        if body[end..].starts_with('m') {
            rest = &body[end + 1..];
        } else {
            out.push_str("\x1b[");
            rest = body;
        }
    }
    out.push_str(rest);
    out
}

/// Every stdout line of a terminal run is a `name=value` output.
fn assert_stdout_is_only_outputs(o: &Out) {
    for line in o.stdout.lines() {
        let name = line.split_once('=').map(|(n, _)| n).unwrap_or("");
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "stdout line is not an output: {line:?}\n{}",
            o.all()
        );
    }
}

/// The example workspace plus two failing cases.
fn failing_workspace() -> tempfile::TempDir {
    let ws = example_workspace();
    std::fs::write(ws.path().join("tests/fail-404.yaml"), FAILING_CASE).unwrap();
    std::fs::write(
        ws.path().join("tests/fail-location.yaml"),
        FAILING_HEADER_CASE,
    )
    .unwrap();
    ws
}

// ---- a failing publish in a terminal ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn failing_publish_names_each_failed_test_its_file_and_the_diff_on_stderr() {
    let emu = Emu::start(|_| {}).await;
    let ws = failing_workspace();
    let summary = ws.path().join("summary.md");
    let o = publish(
        ws.path(),
        &emu.url(),
        &[
            "--function-name",
            "hello",
            "--function-file",
            "function.js",
            "--test-events",
            "tests/*.yaml",
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    )
    .await;
    let all = o.all();
    assert_eq!(o.code, Some(1), "{all}");
    // Each failed test: its name, its file, and the readable difference.
    for needle in [
        "apex answers 404",
        "tests/fail-404.yaml",
        "response.statusCode: expected 404, got 301",
        "apex redirects to the wrong host",
        "tests/fail-location.yaml",
        "response.headers.location.value: expected \"https://elsewhere.example/pricing\", got \"https://www.example.com/pricing\"",
    ] {
        assert!(o.stderr.contains(needle), "{needle:?} not on stderr\n{all}");
    }
    // The same difference lines as the job summary has.
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("response.statusCode: expected 404, got 301"),
        "{summary}"
    );
    // Passing tests are not listed as failures.
    assert!(
        !o.stderr.contains("hidden files such as"),
        "a passing test is not a failure\n{all}"
    );
    // Outputs on stdout only, no detail there; and no colour off a terminal.
    assert_stdout_is_only_outputs(&o);
    assert!(o.stdout.lines().any(|l| l == "published=false"), "{all}");
    assert!(!o.stderr.contains('\x1b'), "no escapes off a TTY\n{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_coloured_on_a_tty_and_plain_with_no_color() {
    let emu = Emu::start(|_| {}).await;
    let ws = failing_workspace();
    let url = emu.url();
    let path = ws.path().to_path_buf();
    let (coloured, plain) = tokio::task::spawn_blocking(move || {
        let cmd = |no_color: bool| {
            let mut cmd = Command::new(BIN);
            clean(&mut cmd)
                .current_dir(&path)
                .env("TERM", "xterm")
                .args([
                    "publish",
                    "--function-name",
                    "hello",
                    "--function-file",
                    "function.js",
                    "--test-events",
                    "tests/fail-404.yaml",
                    "--endpoint-url",
                    &url,
                    "--pr-comment",
                    "off",
                ]);
            if no_color {
                cmd.env("NO_COLOR", "1");
            }
            cmd
        };
        (run_on_tty(&mut cmd(false)), run_on_tty(&mut cmd(true)))
    })
    .await
    .unwrap();
    for o in [&coloured, &plain] {
        assert_eq!(o.code, Some(1), "{}", o.all());
        assert!(
            o.stderr
                .contains("response.statusCode: expected 404, got 301"),
            "{}",
            o.all()
        );
        assert_stdout_is_only_outputs(o);
    }
    assert!(has_colour(&coloured.stderr), "{}", coloured.all());
    assert!(!has_colour(&plain.stderr), "NO_COLOR\n{}", plain.all());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_publish_on_a_tty_shows_progress_and_the_finished_line() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let path = ws.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(BIN);
        clean(&mut cmd)
            .current_dir(&path)
            .env("TERM", "xterm")
            .args([
                "publish",
                "--function-name",
                "hello",
                "--function-file",
                "function.js",
                "--test-events",
                "tests/*.yaml",
                "--endpoint-url",
                &url,
                "--pr-comment",
                "off",
            ]);
        run_on_tty(&mut cmd)
    })
    .await
    .unwrap();
    assert_eq!(o.code, Some(0), "{}", o.all());
    let seen = strip_colour(&o.stderr);
    assert!(seen.contains("hello published to LIVE"), "{}", o.all());
    // The spinner's first frame is drawn at once, counting functions and naming the first step.
    assert!(
        seen.contains("0/1 functions connecting to AWS"),
        "{}",
        o.all()
    );
    assert_stdout_is_only_outputs(&o);
}

// ---- held back by all-or-nothing -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn functions_held_back_by_all_or_nothing_are_not_shown_as_passed() {
    let emu = Emu::start(|_| {}).await;
    let ws = failing_workspace();
    std::fs::write(
        ws.path().join("cloudfront-functions.yaml"),
        "functions:\n  - name: good\n    file: function.js\n    tests: [tests/redirect-apex.yaml]\n  - name: bad\n    file: function.js\n    tests: [tests/fail-404.yaml]\n",
    )
    .unwrap();
    let summary = ws.path().join("summary.md");
    let o = publish(
        ws.path(),
        &emu.url(),
        &["--manifest", "cloudfront-functions.yaml"],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    )
    .await;
    let all = o.all();
    assert_eq!(o.code, Some(1), "{all}");
    let good = o
        .stderr
        .lines()
        .find(|l| l.contains(" good "))
        .unwrap_or_else(|| panic!("no line for `good`\n{all}"));
    assert!(!good.contains('✓'), "held back is not passed: {good:?}");
    assert!(good.contains("held back"), "{good:?}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("| `good`"))
        .unwrap_or_else(|| panic!("no summary row for good\n{summary}"));
    assert!(!row.contains('✅'), "{row}");
    assert!(row.contains("held back"), "{row}");
}

// ---- the bare command and --help ------------------------------------------------------------

#[test]
fn bare_command_outside_actions_prints_a_short_usage_and_exits_2() {
    let o = run(clean(&mut Command::new(BIN)));
    let all = o.all();
    assert_eq!(o.code, Some(2), "{all}");
    let text = format!("{}{}", o.stdout, o.stderr);
    for word in ["publish", "test", "emulator", "demo", "--help"] {
        assert!(text.contains(word), "usage should name {word}\n{all}");
    }
    assert!(!text.contains("::"), "no workflow commands\n{all}");
    assert!(text.lines().count() <= 15, "short\n{all}");
}

#[test]
fn bare_command_with_input_variables_but_no_actions_points_to_the_action_command() {
    let o = run(clean(&mut Command::new(BIN)).env("INPUT_FUNCTION-NAME", "hello"));
    assert_eq!(o.code, Some(2), "{}", o.all());
    assert!(
        o.stderr.contains("cloudfront-publish action"),
        "{}",
        o.all()
    );
    assert!(!o.stderr.contains("::"), "{}", o.all());
}

#[test]
fn help_says_what_no_command_does() {
    let o = run(clean(&mut Command::new(BIN)).arg("--help"));
    assert_eq!(o.code, Some(0), "{}", o.all());
    assert!(o.stdout.contains("GITHUB_ACTIONS"), "{}", o.all());
    assert!(o.stdout.contains("action"), "{}", o.all());
}

#[test]
fn action_command_runs_action_mode_outside_actions() {
    let o = run(clean(&mut Command::new(BIN)).arg("action"));
    assert_eq!(o.code, Some(1), "{}", o.all());
    assert!(
        o.stdout
            .contains("::error title=invalid input function-name::"),
        "{}",
        o.all()
    );
}

#[test]
fn bare_command_inside_actions_is_action_mode() {
    let o = run(clean(&mut Command::new(BIN)).env("GITHUB_ACTIONS", "true"));
    assert_eq!(o.code, Some(1), "{}", o.all());
    assert!(
        o.stdout
            .contains("::error title=invalid input function-name::"),
        "{}",
        o.all()
    );
}

// ---- misspelt INPUT_ variables --------------------------------------------------------------

/// The `::warning` lines of an action-mode run.
fn warnings(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn misspelt_inputs_are_warned_with_the_closest_real_input() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    for (var, want) in [
        ("INPUT_TEST-EVENT", "test-events"),
        ("INPUT_TEST_EVENT", "test-events"),
        ("INPUT_FUNCTON-FILE", "function-file"),
        ("INPUT_function-name", "function-name"),
    ] {
        let r = run_action(
            ws.path(),
            &[
                ("function-name", "hello"),
                ("function-file", "function.js"),
                ("endpoint-url", &emu.url()),
            ],
            &[(var, "tests/*.yaml")],
        )
        .await;
        let w = warnings(&r.stdout);
        let hit = w
            .iter()
            .find(|l| l.contains(var))
            .unwrap_or_else(|| panic!("no warning naming {var}\n{}", r.stdout));
        assert!(
            hit.contains(&format!("did you mean `{want}`?")),
            "{var}: {hit}"
        );
    }
}

/// The inputs declared in action.yml, read from the file (not from the binary's list).
fn action_yml_inputs() -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    doc["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_input_of_action_yml_in_either_spelling_is_not_warned() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    // As the runner sets them: every declared input, empty meaning "the default".
    let mut env: Vec<(String, String)> = action_yml_inputs()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let upper = name.to_ascii_uppercase();
            // Half in the runner's spelling, half with underscores (hand-written `env:` blocks).
            let var = if i % 2 == 0 {
                format!("INPUT_{upper}")
            } else {
                format!("INPUT_{}", upper.replace('-', "_"))
            };
            (var, String::new())
        })
        .collect();
    for (var, value) in &mut env {
        match var.as_str() {
            "INPUT_FUNCTION-NAME" | "INPUT_FUNCTION_NAME" => *value = "hello".into(),
            "INPUT_FUNCTION-FILE" | "INPUT_FUNCTION_FILE" => *value = "function.js".into(),
            "INPUT_ENDPOINT-URL" | "INPUT_ENDPOINT_URL" => *value = url.clone(),
            "INPUT_PR-COMMENT" | "INPUT_PR_COMMENT" => *value = "off".into(),
            _ => {}
        }
    }
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = run_action(ws.path(), &[], &env_refs).await;
    assert_eq!(r.code, 0, "{r:#?}");
    let w = warnings(&r.stdout);
    assert!(
        !w.iter().any(|l| l.contains("INPUT_")),
        "a real input was warned about: {w:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_input_is_warned_even_when_the_inputs_are_invalid() {
    let ws = example_workspace();
    // `function-name` is missing because it is misspelt: both the error and the hint appear.
    let r = run_action(ws.path(), &[], &[("INPUT_FUNCTION-NAM", "hello")]).await;
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(
        r.stdout
            .contains("::error title=invalid input function-name::"),
        "{r:#?}"
    );
    assert!(
        warnings(&r.stdout)
            .iter()
            .any(|l| l.contains("INPUT_FUNCTION-NAM") && l.contains("`function-name`")),
        "{r:#?}"
    );
}

// ---- one grammar for test files -------------------------------------------------------------

/// The names of the tests a run reported, in order.
fn test_names(test_results: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(test_results).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The example's three cases by name, in file order (block-hidden-files, redirect-apex,
/// rewrite-directory).
fn example_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            doc["name"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn publish_outputs(o: &Out) -> std::collections::BTreeMap<String, String> {
    parse_outputs(&o.stdout)
}

/// Every way to name the example's test files with `flag` (one grammar for `publish` and `test`),
/// with the test names each must select.
fn grammar_forms(
    flag: &'static str,
    names: &[String],
) -> Vec<(&'static str, Vec<&'static str>, Vec<String>)> {
    let (all, two) = (names.to_vec(), names[1..].to_vec());
    vec![
        (
            "repeated flag",
            vec![
                flag,
                "tests/redirect-apex.yaml",
                flag,
                "tests/rewrite-directory.yaml",
            ],
            two.clone(),
        ),
        (
            "comma list",
            vec![
                flag,
                "tests/redirect-apex.yaml,tests/rewrite-directory.yaml",
            ],
            two.clone(),
        ),
        (
            "newline list",
            vec![
                flag,
                "tests/redirect-apex.yaml\ntests/rewrite-directory.yaml\n",
            ],
            two,
        ),
        ("quoted glob", vec![flag, "tests/*.yaml"], all.clone()),
        ("folder", vec![flag, "tests"], all.clone()),
        ("folder with slash", vec![flag, "tests/"], all.clone()),
        (
            // What the shell passes for an unquoted `tests/*.yaml`.
            "unquoted glob",
            vec![
                flag,
                "tests/block-hidden-files.yaml",
                "tests/redirect-apex.yaml",
                "tests/rewrite-directory.yaml",
            ],
            all,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_test_events_takes_files_globs_lists_folders_and_repeats() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    // Not a test case: a folder means its .json/.yaml/.yml files only.
    std::fs::write(ws.path().join("tests/README.md"), "notes\n").unwrap();
    let names = example_names();
    for (what, flags, want) in grammar_forms("--test-events", &names) {
        let mut args = vec![
            "--function-name",
            "grammar",
            "--function-file",
            "function.js",
        ];
        args.extend(flags);
        let o = publish(ws.path(), &emu.url(), &args, &[]).await;
        assert_eq!(o.code, Some(0), "{what}\n{}", o.all());
        let outs = publish_outputs(&o);
        assert_eq!(test_names(&outs["test-results"]), want, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn action_input_and_manifest_take_folders_too() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let names = example_names();
    let r = run_action(
        ws.path(),
        &[
            ("function-name", "folder-input"),
            ("function-file", "function.js"),
            ("test-events", "tests\n"),
            ("endpoint-url", &emu.url()),
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(test_names(r.out("test-results")), names);

    // Manifest paths are relative to the manifest's folder.
    std::fs::create_dir(ws.path().join("deploy")).unwrap();
    std::fs::write(
        ws.path().join("deploy/cloudfront-functions.yaml"),
        "functions:\n  - name: folder-manifest\n    file: ../function.js\n    tests: [../tests]\n",
    )
    .unwrap();
    let r = run_action(
        ws.path(),
        &[
            ("manifest", "deploy/cloudfront-functions.yaml"),
            ("endpoint-url", &emu.url()),
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 0, "{r:#?}");
    let results: serde_json::Value = serde_json::from_str(r.out("results")).unwrap();
    let got: Vec<String> = results[0]["test-results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, names);
}

#[test]
fn test_command_event_takes_files_globs_lists_folders_and_repeats() {
    let ws = example_workspace();
    std::fs::write(ws.path().join("tests/README.md"), "notes\n").unwrap();
    let names = example_names();
    for (what, flags, want) in grammar_forms("--event", &names) {
        let o = run(clean(&mut Command::new(BIN))
            .current_dir(ws.path())
            .args(["test", "function.js", "--format", "json"])
            .args(&flags));
        assert_eq!(o.code, Some(0), "{what}\n{}", o.all());
        let got: Vec<String> = o
            .stdout
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["name"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn an_empty_folder_of_tests_is_refused_with_a_line_that_says_so() {
    let ws = example_workspace();
    std::fs::create_dir(ws.path().join("empty")).unwrap();
    let o = run(clean(&mut Command::new(BIN)).current_dir(ws.path()).args([
        "test",
        "function.js",
        "--event",
        "empty",
    ]));
    assert_eq!(o.code, Some(1), "{}", o.all());
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.all());
    for needle in ["empty", "folder", ".json", ".yaml"] {
        assert!(o.stderr.contains(needle), "{needle:?}\n{}", o.all());
    }
}

#[test]
fn help_and_action_yml_describe_the_same_test_file_grammar() {
    let help = run(clean(&mut Command::new(BIN)).args(["publish", "--help"]));
    let test_help = run(clean(&mut Command::new(BIN)).args(["test", "--help"]));
    let action =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&action).unwrap();
    let described = doc["inputs"]["test-events"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    for (what, text) in [
        ("publish --help", help.stdout.as_str()),
        ("test --help", test_help.stdout.as_str()),
        ("action.yml test-events", described.as_str()),
    ] {
        let text = text.to_ascii_lowercase();
        for word in ["comma", "newline", "glob", "folder"] {
            assert!(text.contains(word), "{what} should mention {word}:\n{text}");
        }
    }
}

// ---- runner files that cannot be written ------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_github_output_or_summary_fails_the_step() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let missing = ws.path().join("no-such-dir/file");
    for var in ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"] {
        let r = run_action(
            ws.path(),
            &[
                ("function-name", "unwritable"),
                ("function-file", "function.js"),
                ("test-events", "tests/*.yaml"),
                ("endpoint-url", &emu.url()),
            ],
            &[(var, missing.to_str().unwrap())],
        )
        .await;
        assert_eq!(r.code, 1, "{var}: {r:#?}");
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with("::error") && l.contains(var)),
            "{var}: {r:#?}"
        );
    }
}
