//! The emulator's options as a user relies on them: state persisted across a restart, the request
//! log, seeded fault injection, lost answers of applied writes, and latency that does not
//! serialise concurrent requests. Overlaps are read from the log's arrival/completion order, never
//! from clock times.

mod emulator_support;

use std::time::Duration;

use aws_sdk_cloudfront::error::{ProvideErrorMetadata as _, SdkError};
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{FunctionRuntime, FunctionStage};
use cloudfront_publish::emulator::{Config, LoseRule, Running};
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
    let err = cloudfront_publish::emulator::start(Config {
        lose_rate: -0.1,
        ..Config::default()
    })
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("--lose-rate"), "{err}");
}

fn rules(text: &str) -> Vec<LoseRule> {
    text.split(',')
        .map(|r| r.parse().expect("a valid --lose rule"))
        .collect()
}

/// An emulator that loses the answers `lose` names, with its request log.
async fn losing(lose: &str) -> (tempfile::TempDir, std::path::PathBuf, Running) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("requests.jsonl");
    let emu = emulator(Config {
        lose: rules(lose),
        request_log: Some(log.clone()),
        ..Config::default()
    })
    .await;
    (dir, log, emu)
}

/// (operation, status, lost) of each logged request.
fn outcomes(log: &std::path::Path) -> Vec<(String, u64, Option<String>)> {
    log_lines(log)
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap_or("?").to_owned(),
                l["status"].as_u64().unwrap_or(0),
                l["lost"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn entry(op: &str, status: u64, lost: Option<&str>) -> (String, u64, Option<String>) {
    (op.to_owned(), status, lost.map(str::to_owned))
}

#[tokio::test]
async fn a_lost_create_answer_is_applied_and_the_sdk_retry_meets_the_function() {
    let (_dir, log, emu) = losing("CreateFunction:503").await;
    let cf = client(&emu.endpoint_url());
    let err = cf
        .create_function()
        .name("lost")
        .function_config(emulator_support::config(
            "",
            FunctionRuntime::CloudfrontJs20,
        ))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("the retry meets the function the first attempt created");
    assert!(err.into_service_error().is_function_already_exists());
    let got = cf
        .get_function()
        .name("lost")
        .send()
        .await
        .expect("applied");
    assert_eq!(
        got.function_code().map(|b| b.as_ref()),
        Some(CODE.as_bytes())
    );
    emu.shutdown().await.expect("shutdown");
    assert_eq!(
        outcomes(&log),
        [
            entry("CreateFunction", 201, Some("503")),
            entry("CreateFunction", 409, None),
            entry("GetFunction", 200, None),
        ]
    );
}

#[tokio::test]
async fn a_dropped_update_answer_is_applied_and_the_retry_gets_precondition_failed() {
    let (_dir, log, emu) = losing("UpdateFunction:drop").await;
    let cf = client(&emu.endpoint_url());
    let etag = create(&cf, "f", CODE).await;
    let new_code = format!("// v2\n{CODE}");
    let err = cf
        .update_function()
        .name("f")
        .if_match(&etag)
        .function_config(emulator_support::config(
            "",
            FunctionRuntime::CloudfrontJs20,
        ))
        .function_code(Blob::new(new_code.as_bytes()))
        .send()
        .await
        .expect_err("the retry names the ETag the first attempt replaced");
    assert_eq!(err.code(), Some("PreconditionFailed"));
    let got = cf.get_function().name("f").send().await.expect("read");
    assert_eq!(
        got.function_code().map(|b| b.as_ref()),
        Some(new_code.as_bytes())
    );
    assert_ne!(got.e_tag(), Some(etag.as_str()));
    emu.shutdown().await.expect("shutdown");
    assert_eq!(
        outcomes(&log),
        [
            entry("CreateFunction", 201, None),
            entry("UpdateFunction", 200, Some("drop")),
            entry("UpdateFunction", 412, None),
            entry("GetFunction", 200, None),
        ]
    );
}

#[tokio::test]
async fn a_lost_publish_answer_is_applied_and_the_retry_gets_precondition_failed() {
    let (_dir, log, emu) = losing("PublishFunction:drop:1").await;
    let cf = client(&emu.endpoint_url());
    let etag = create(&cf, "f", CODE).await;
    let err = cf
        .publish_function()
        .name("f")
        .if_match(&etag)
        .send()
        .await
        .expect_err("the same DEVELOPMENT copy is not published twice");
    assert_eq!(err.code(), Some("PreconditionFailed"));
    let live = cf
        .get_function()
        .name("f")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("the first attempt published");
    assert_eq!(
        live.function_code().map(|b| b.as_ref()),
        Some(CODE.as_bytes())
    );
    // The DEVELOPMENT ETag survives the publish, as the service's does.
    let dev = cf.describe_function().name("f").send().await.expect("dev");
    assert_eq!(dev.e_tag(), Some(etag.as_str()));
    emu.shutdown().await.expect("shutdown");
    let ops: Vec<_> = outcomes(&log).into_iter().skip(1).take(2).collect();
    assert_eq!(
        ops,
        [
            entry("PublishFunction", 200, Some("drop")),
            entry("PublishFunction", 412, None),
        ]
    );
}

#[tokio::test]
async fn a_dropped_answer_sends_not_one_byte_and_reads_are_never_lost() {
    let (_dir, log, emu) = losing("writes:drop:all").await;
    let cf = client_with_retries(&emu.endpoint_url(), false);
    cf.list_functions()
        .send()
        .await
        .expect("reads are answered");
    let err = cf
        .create_function()
        .name("dropped")
        .function_config(emulator_support::config(
            "",
            FunctionRuntime::CloudfrontJs20,
        ))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("no answer");
    assert!(
        matches!(err, SdkError::DispatchFailure(_)),
        "a connection without an answer: {err:?}"
    );
    // On the wire: the connection closes before a status line.
    let body = format!(
        "<CreateFunctionRequest><Name>raw</Name><FunctionConfig><Comment></Comment><Runtime>cloudfront-js-2.0</Runtime></FunctionConfig><FunctionCode>{}</FunctionCode></CreateFunctionRequest>",
        base64_of(CODE)
    );
    let bytes = raw_bytes(emu.addr(), "POST", "/2020-05-31/function", &body).await;
    assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    let names: Vec<String> = cf
        .list_functions()
        .send()
        .await
        .expect("list")
        .function_list()
        .map(|l| l.items().iter().map(|i| i.name().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["dropped", "raw"], "both writes were applied");
    emu.shutdown().await.expect("shutdown");
    let lost: Vec<_> = outcomes(&log)
        .into_iter()
        .filter(|o| o.2.is_some())
        .collect();
    assert_eq!(
        lost,
        [
            entry("CreateFunction", 201, Some("drop")),
            entry("CreateFunction", 201, Some("drop")),
        ]
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Sends one signed-looking request and returns every byte the server sent before closing.
async fn raw_bytes(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
        emulator_support::AUTH,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    // A reset instead of a clean close is also "no answer".
    let _ = stream.read_to_end(&mut bytes).await;
    bytes
}

/// The outcome of each of `n` creates (retries off) at `--lose-rate 0.5` with `seed`, and the
/// functions that exist afterwards.
async fn lose_rate_run(seed: u64, n: usize) -> (Vec<String>, usize) {
    let emu = emulator(Config {
        lose_rate: 0.5,
        fault_seed: seed,
        ..Config::default()
    })
    .await;
    let cf = client_with_retries(&emu.endpoint_url(), false);
    let mut seen = Vec::new();
    for i in 0..n {
        let sent = cf
            .create_function()
            .name(format!("f{i}"))
            .function_config(emulator_support::config(
                "",
                FunctionRuntime::CloudfrontJs20,
            ))
            .function_code(Blob::new(CODE))
            .send()
            .await;
        seen.push(match sent {
            Ok(_) => "ok".to_owned(),
            Err(SdkError::DispatchFailure(_)) => "dropped".to_owned(),
            Err(e) => e.code().unwrap_or("no code").to_owned(),
        });
    }
    let listed = cf
        .list_functions()
        .send()
        .await
        .expect("list")
        .function_list()
        .map_or(0, |l| l.items().len());
    (seen, listed)
}

#[tokio::test]
async fn the_lose_rate_is_seeded_and_every_lost_write_was_applied() {
    let (first, listed) = lose_rate_run(5, 24).await;
    assert_eq!(listed, 24, "every create was applied: {first:?}");
    for outcome in ["ok", "ServiceUnavailable", "dropped"] {
        assert!(first.iter().any(|o| o == outcome), "{outcome} in {first:?}");
    }
    let (again, _) = lose_rate_run(5, 24).await;
    assert_eq!(first, again);
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
    assert!(created["lost"].is_null());
    // A sequential client: each request arrives after the previous one was answered.
    let seq = |l: &serde_json::Value, f: &str| l[f].as_u64().expect("seq is a number");
    for pair in lines.windows(2) {
        assert!(seq(&pair[0], "start_seq") < seq(&pair[0], "end_seq"));
        assert!(
            seq(&pair[0], "end_seq") < seq(&pair[1], "start_seq"),
            "{pair:?}"
        );
    }
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

    // Arrival and completion positions in the emulator's one event counter: no clock involved.
    let spans: Vec<(u64, u64)> = log_lines(&log)
        .iter()
        .filter(|l| l["operation"] == "DescribeFunction")
        .map(|l| {
            (
                l["start_seq"].as_u64().expect("start_seq"),
                l["end_seq"].as_u64().expect("end_seq"),
            )
        })
        .collect();
    assert_eq!(spans.len(), 8);
    // Some request arrived while another was still waiting out its latency.
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
