//! The emulator's options as a user relies on them: state persisted across a restart, the request
//! log, seeded fault injection and latency that does not serialise concurrent requests.

mod emulator_support;

use std::time::Duration;

use aws_sdk_cloudfront::error::ProvideErrorMetadata as _;
use aws_sdk_cloudfront::types::FunctionStage;
use cloudfront_publish::emulator::Config;
use emulator_support::{CODE, client, client_with_retries, create, emulator};

fn log_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("request log exists")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let config = Config {
        state_file: Some(state.clone()),
        ..Config::default()
    };

    let emu = emulator(config.clone()).await;
    let cf = client(&emu.endpoint_url());
    let dev_etag = create(&cf, "kept", CODE).await;
    cf.publish_function()
        .name("kept")
        .if_match(&dev_etag)
        .send()
        .await
        .expect("publish");
    let live_etag = cf
        .describe_function()
        .name("kept")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("describe")
        .e_tag()
        .map(str::to_owned);
    create(&cf, "deleted", CODE).await;
    let etag = cf
        .describe_function()
        .name("deleted")
        .send()
        .await
        .expect("describe")
        .e_tag()
        .map(str::to_owned);
    cf.delete_function()
        .name("deleted")
        .if_match(etag.unwrap_or_default())
        .send()
        .await
        .expect("delete");
    emu.shutdown().await.expect("shutdown");

    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["state.json"],
        "atomic write leaves no temp file"
    );

    let emu = emulator(config).await;
    let cf = client(&emu.endpoint_url());
    let dev = cf
        .get_function()
        .name("kept")
        .send()
        .await
        .expect("reloaded");
    assert_eq!(dev.e_tag(), Some(dev_etag.as_str()));
    assert_eq!(
        dev.function_code().map(|b| b.as_ref()),
        Some(CODE.as_bytes())
    );
    let live = cf
        .describe_function()
        .name("kept")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("live reloaded");
    assert_eq!(live.e_tag().map(str::to_owned), live_etag);
    let gone = cf.describe_function().name("deleted").send().await;
    assert!(
        gone.expect_err("deleted stays deleted")
            .into_service_error()
            .is_no_such_function_exists()
    );
}

#[tokio::test]
async fn a_corrupt_state_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("broken.json");
    std::fs::write(&state, "not json").expect("write");
    let err = cloudfront_publish::emulator::start(Config {
        state_file: Some(state),
        ..Config::default()
    })
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("broken.json"), "{err}");
}

#[tokio::test]
async fn bad_options_are_refused_naming_the_flag() {
    let err = cloudfront_publish::emulator::start(Config {
        fault_rate: 1.5,
        ..Config::default()
    })
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("--fault-rate"), "{err}");
    let err = cloudfront_publish::emulator::start(Config {
        account_id: "abc".to_owned(),
        ..Config::default()
    })
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("--account-id"), "{err}");
}

#[tokio::test]
async fn request_log_has_one_line_per_request_with_operation_and_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("requests.jsonl");
    let emu = emulator(Config {
        request_log: Some(log.clone()),
        account_id: "210987654321".to_owned(),
        ..Config::default()
    })
    .await;
    let cf = client(&emu.endpoint_url());
    create(&cf, "logged", CODE).await;
    let arn = cf
        .describe_function()
        .name("logged")
        .send()
        .await
        .expect("describe")
        .function_summary()
        .and_then(|s| s.function_metadata())
        .map(|m| m.function_arn().to_owned());
    assert_eq!(
        arn.as_deref(),
        Some("arn:aws:cloudfront::210987654321:function/logged")
    );
    let _ = cf
        .get_function()
        .name("missing")
        .send()
        .await
        .expect_err("404");
    emu.shutdown().await.expect("shutdown");

    let lines = log_lines(&log);
    assert_eq!(lines.len(), 3);
    let created = &lines[0];
    assert_eq!(created["method"], "POST");
    assert_eq!(created["path"], "/2020-05-31/function");
    assert_eq!(created["operation"], "CreateFunction");
    assert_eq!(created["function"], "logged");
    assert_eq!(created["status"], 201);
    assert!(created["error_code"].is_null());
    let start = created["start_ms"].as_u64().expect("start_ms is a number");
    let end = created["end_ms"].as_u64().expect("end_ms is a number");
    assert!(start <= end);
    assert_eq!(lines[1]["operation"], "DescribeFunction");
    let missing = &lines[2];
    assert_eq!(missing["operation"], "GetFunction");
    assert_eq!(missing["function"], "missing");
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["error_code"], "NoSuchFunctionExists");
}

/// The sequence of outcomes (error code or "ok") of `n` sequential ListFunctions calls.
async fn fault_sequence(seed: u64, n: usize) -> Vec<String> {
    let emu = emulator(Config {
        fault_rate: 0.5,
        fault_seed: seed,
        ..Config::default()
    })
    .await;
    let cf = client_with_retries(&emu.endpoint_url(), false);
    let mut outcomes = Vec::new();
    for _ in 0..n {
        outcomes.push(match cf.list_functions().send().await {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().unwrap_or("no code").to_owned(),
        });
    }
    outcomes
}

#[tokio::test]
async fn fault_injection_is_deterministic_for_a_seed() {
    let first = fault_sequence(42, 40).await;
    let again = fault_sequence(42, 40).await;
    assert_eq!(first, again);
    for code in ["ok", "ServiceUnavailable", "Throttling"] {
        assert!(first.iter().any(|c| c == code), "{code} in {first:?}");
    }
    assert_ne!(
        first,
        fault_sequence(43, 40).await,
        "another seed, other faults"
    );
}

#[tokio::test]
async fn faulted_requests_change_nothing_and_the_sdk_retries_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("requests.jsonl");
    let emu = emulator(Config {
        fault_rate: 0.3,
        fault_seed: 3,
        request_log: Some(log.clone()),
        ..Config::default()
    })
    .await;
    // Default SDK retries (standard mode, 3 attempts) treat both faults as transient.
    let cf = aws_sdk_cloudfront::Client::from_conf(
        client(&emu.endpoint_url())
            .config()
            .to_builder()
            .retry_config(
                aws_sdk_cloudfront::config::retry::RetryConfig::standard()
                    .with_max_attempts(10)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build(),
    );
    for i in 0..10 {
        create(&cf, &format!("f{i}"), CODE).await;
    }
    emu.shutdown().await.expect("shutdown");
    let lines = log_lines(&log);
    let faults = lines.iter().filter(|l| l["status"] != 201).count();
    assert!(faults > 0, "some requests were faulted");
    for line in &lines {
        let code = line["error_code"].as_str();
        assert!(
            matches!(code, None | Some("ServiceUnavailable") | Some("Throttling")),
            "a retried create never saw FunctionAlreadyExists: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latency_delays_responses_without_serialising_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("requests.jsonl");
    let emu = emulator(Config {
        latency: Duration::from_millis(300),
        request_log: Some(log.clone()),
        ..Config::default()
    })
    .await;
    let cf = client(&emu.endpoint_url());
    create(&cf, "slow", CODE).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let cf = cf.clone();
        tasks.spawn(async move { cf.describe_function().name("slow").send().await });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("describe");
    }
    emu.shutdown().await.expect("shutdown");

    let spans: Vec<(u64, u64)> = log_lines(&log)
        .iter()
        .filter(|l| l["operation"] == "DescribeFunction")
        .map(|l| {
            (
                l["start_ms"].as_u64().unwrap_or(0),
                l["end_ms"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(spans.len(), 8);
    // Each delayed response spans the latency, so its interval is non-empty...
    assert!(spans.iter().all(|(s, e)| e > s));
    // ...and at some instant several were in flight at once.
    let most_in_flight = spans
        .iter()
        .map(|(s, _)| spans.iter().filter(|(s2, e2)| s2 <= s && s < e2).count())
        .max()
        .unwrap_or(0);
    assert!(most_in_flight >= 2, "requests overlapped: {spans:?}");
}

/// A `Write` that hands each write to a channel, so a test can read output while serving.
struct ChannelWriter(std::sync::mpsc::Sender<Vec<u8>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .send(buf.to_vec())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_the_real_bound_port_first_and_stops_on_request() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    let server = tokio::spawn(async move {
        let mut out = ChannelWriter(tx);
        cloudfront_publish::emulator::serve_until(config, &mut out, async {
            let _ = stopped.await;
        })
        .await
    });
    let first = tokio::task::spawn_blocking(move || rx.recv().expect("a line"))
        .await
        .expect("task");
    let line = String::from_utf8(first).expect("UTF-8");
    let url = line
        .strip_prefix("listening on ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .expect("exactly `listening on URL`");
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .expect("http://HOST:PORT");
    assert_ne!(port, 0, "the real port, not the requested 0");
    let cf = client(url);
    cf.list_functions()
        .send()
        .await
        .expect("the printed URL serves");
    stop.send(()).expect("server waiting");
    server.await.expect("task").expect("clean shutdown");
}
