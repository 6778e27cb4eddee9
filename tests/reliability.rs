//! Reliability of the binary as the runner runs it: a manifest never has more functions in flight
//! than `concurrency` allows, and an API endpoint that dies mid-run (the emulator process killed
//! with SIGKILL) ends the run with a clean `::error` and exit 1, not a panic or a hang.
//!
//! Not for: speed (see `benches/`); no assertion here depends on how long anything takes.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Emu, run_action};

const EXAMPLE: &str = include_str!("../examples/function.js");
const REDIRECT_TEST: &str = include_str!("../examples/tests/redirect-apex.yaml");

/// A workspace with the example function, one test and a manifest of `count` functions using both.
fn manifest_workspace(count: usize) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("function.js"), EXAMPLE).unwrap();
    std::fs::write(ws.path().join("redirect.yaml"), REDIRECT_TEST).unwrap();
    let mut manifest = String::from("functions:\n");
    for i in 1..=count {
        manifest.push_str(&format!(
            "  - name: fn-{i:02}\n    file: function.js\n    tests: [redirect.yaml]\n"
        ));
    }
    std::fs::write(ws.path().join("cloudfront-functions.yaml"), manifest).unwrap();
    ws
}

/// The largest number of distinct functions with a request in flight at one moment, from the
/// log's arrival and completion positions (one counter, so no clock and no ties).
fn max_functions_in_flight(log: &[serde_json::Value]) -> usize {
    let spans: Vec<(u64, u64, &str)> = log
        .iter()
        .filter_map(|l| {
            Some((
                l["start_seq"].as_u64()?,
                l["end_seq"].as_u64()?,
                l["function"].as_str()?,
            ))
        })
        .collect();
    spans
        .iter()
        .map(|&(t, _, _)| {
            spans
                .iter()
                .filter(|&&(start, end, _)| start <= t && t < end)
                .map(|&(_, _, f)| f)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn in_flight_count_uses_half_open_intervals_per_function() {
    let entry =
        |s: u64, e: u64, f: &str| serde_json::json!({"start_seq": s, "end_seq": e, "function": f});
    // a and b overlap; c starts exactly when a ends; a's two requests count once.
    let log = [
        entry(0, 10, "a"),
        entry(0, 10, "a"),
        entry(5, 15, "b"),
        entry(10, 20, "c"),
    ];
    assert_eq!(max_functions_in_flight(&log), 2);
    assert_eq!(max_functions_in_flight(&[]), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_run_keeps_functions_in_flight_within_concurrency_and_publishes_all() {
    // The latency makes each request last long enough for overlaps to show in the log.
    let emu = Emu::start(|c| c.latency = Duration::from_millis(40)).await;
    let ws = manifest_workspace(12);

    let run = run_action(
        ws.path(),
        &[
            ("manifest", "cloudfront-functions.yaml"),
            ("concurrency", "3"),
            ("endpoint-url", &emu.url()),
        ],
        &[],
    )
    .await;

    assert_eq!(run.code, 0, "{run:#?}");
    let results: Vec<serde_json::Value> = serde_json::from_str(run.out("results")).unwrap();
    assert_eq!(results.len(), 12);
    for r in &results {
        assert_eq!(r["published"], true, "{r}");
    }
    let sdk = emu.client();
    for i in 1..=12 {
        let live = sdk
            .describe_function()
            .name(format!("fn-{i:02}"))
            .stage(aws_sdk_cloudfront::types::FunctionStage::Live)
            .send()
            .await;
        assert!(live.is_ok(), "fn-{i:02} has no LIVE stage: {live:?}");
    }

    let log = emu.requests();
    let in_flight = max_functions_in_flight(&log);
    assert!(
        in_flight <= 3,
        "{in_flight} functions in flight at once with concurrency 3"
    );
    // Not a speed check: 3 permits taken at once overlap their first 40 ms reads; a run that never
    // overlaps has lost its concurrency.
    assert!(in_flight >= 2, "the functions ran one at a time");
}

/// A `cloudfront-publish emulator` child process and its endpoint.
struct EmulatorProcess {
    child: std::process::Child,
    url: String,
}

impl EmulatorProcess {
    fn spawn(log: &Path, latency_ms: u64) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cloudfront-publish"))
            .args(["emulator", "--listen", "127.0.0.1:0", "--latency-ms"])
            .arg(latency_ms.to_string())
            .arg("--request-log")
            .arg(log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_killed_mid_run_gives_one_clean_error_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let mut emulator = EmulatorProcess::spawn(&log, 300);
    let ws = common::example_workspace();
    let url = emulator.url.clone();

    let killer = async {
        // The first line is written when the first response is ready: the run is under way.
        while std::fs::metadata(&log).map_or(true, |m| m.len() == 0) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        emulator.child.kill().unwrap();
        emulator.child.wait().unwrap();
    };
    let inputs = [
        ("function-name", "killed"),
        ("function-file", "function.js"),
        ("test-events", "tests/*.yaml"),
        ("endpoint-url", url.as_str()),
    ];
    let action = run_action(ws.path(), &inputs, &[]);
    let (run, ()) = tokio::join!(action, killer);

    assert_eq!(run.code, 1, "{run:#?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("::error"), "no ::error line: {run:#?}");
    assert!(
        all.contains("killed"),
        "the error does not name the function: {run:#?}"
    );
    for bad in ["panicked", "internal error", "RUST_BACKTRACE"] {
        assert!(!all.contains(bad), "{bad:?} in the output: {run:#?}");
    }
    assert_eq!(run.out("published"), "false");
}
