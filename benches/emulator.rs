//! Throughput of the emulator as an SDK client sees it: DescribeFunction and TestFunction
//! requests per second with a bounded number in flight.
//!
//! Plain `main` (no bench harness): `cargo bench --bench emulator [-- REQUESTS IN_FLIGHT]`.
//! Not a test: it asserts nothing beyond every request succeeding.

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::config::{Credentials, Region};
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{FunctionConfig, FunctionRuntime};
use cloudfront_publish::emulator::{Config, start};
use tokio::sync::Semaphore;

/// Rounds of every case, interleaved so a noisy neighbour slows them alike; medians are printed.
const ROUNDS: usize = 5;

const CODE: &str = "function handler(event) { var r = event.request; r.headers['x-bench'] = {value: '1'}; return r; }";
const EVENT: &str = r#"{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/","querystring":{},"headers":{},"cookies":{}}}"#;

#[derive(Clone, Copy)]
enum Op {
    Describe,
    Test,
}

async fn measure(client: &Client, etag: &str, op: Op, requests: usize, in_flight: usize) -> f64 {
    let permits = Arc::new(Semaphore::new(in_flight));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for _ in 0..requests {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let client = client.clone();
        let etag = etag.to_owned();
        tasks.spawn(async move {
            let ok = match op {
                Op::Describe => client
                    .describe_function()
                    .name("bench")
                    .send()
                    .await
                    .is_ok(),
                Op::Test => client
                    .test_function()
                    .name("bench")
                    .if_match(etag)
                    .event_object(Blob::new(EVENT))
                    .send()
                    .await
                    .is_ok(),
            };
            drop(permit);
            ok
        });
    }
    let mut failed = 0usize;
    while let Some(done) = tasks.join_next().await {
        if !matches!(done, Ok(true)) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if failed > 0 {
        eprintln!("{failed} requests failed");
        std::process::exit(1);
    }
    requests as f64 / elapsed
}

fn main() {
    // `cargo bench` passes `--bench`; numbers are the only positional arguments we take.
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let requests = numbers.first().copied().unwrap_or(2000);
    let in_flight = numbers.get(1).copied().unwrap_or(16).max(1);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async move {
        let emu = match start(Config::default()).await {
            Ok(emu) => emu,
            Err(e) => {
                eprintln!("emulator: {e}");
                std::process::exit(1);
            }
        };
        let client = Client::from_conf(
            aws_sdk_cloudfront::Config::builder()
                .behavior_version_latest()
                .endpoint_url(emu.endpoint_url())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new(
                    "AKIDEXAMPLE",
                    "secret",
                    None,
                    None,
                    "bench",
                ))
                .build(),
        );
        let config = FunctionConfig::builder()
            .comment("bench")
            .runtime(FunctionRuntime::CloudfrontJs20)
            .build();
        let created = match config {
            Ok(config) => {
                client
                    .create_function()
                    .name("bench")
                    .function_config(config)
                    .function_code(Blob::new(CODE))
                    .send()
                    .await
            }
            Err(e) => {
                eprintln!("config: {e}");
                std::process::exit(1);
            }
        };
        let etag = match created.ok().and_then(|c| c.e_tag().map(str::to_owned)) {
            Some(etag) => etag,
            None => {
                eprintln!("CreateFunction failed");
                std::process::exit(1);
            }
        };
        println!(
            "emulator bench: {requests} requests, {in_flight} in flight, median of {ROUNDS} interleaved rounds"
        );
        // "unpooled" is the embedded runtime before runtimes were reused, measured in the same run.
        let cases = [
            ("DescribeFunction", Op::Describe, false),
            ("TestFunction (unpooled)", Op::Test, true),
            ("TestFunction", Op::Test, false),
        ];
        let mut rates = vec![Vec::new(); cases.len()];
        for _ in 0..ROUNDS {
            for (i, (_, op, unpooled)) in cases.iter().enumerate() {
                cloudfront_publish::runtime::set_unpooled_for_benchmarks(*unpooled);
                // One warm-up pass so connection set-up is not counted.
                measure(&client, &etag, *op, in_flight * 4, in_flight).await;
                rates[i].push(measure(&client, &etag, *op, requests, in_flight).await);
            }
        }
        for ((label, _, _), mut rate) in cases.iter().zip(rates) {
            rate.sort_by(f64::total_cmp);
            println!(
                "{label:>24}: {:>8.0} requests/s (rounds: {})",
                rate[rate.len() / 2],
                rate.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", ")
            );
        }
        cloudfront_publish::runtime::set_unpooled_for_benchmarks(false);
        let _ = emu.shutdown().await;
    });
}
