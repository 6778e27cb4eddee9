//! `demo`: the whole pipeline on the bundled example against an in-process emulator. Needs no AWS
//! account, no GitHub and no files beside the binary (the example is compiled in, state is in
//! memory), so it also runs in the scratch image.

use std::path::Path;
use std::process::ExitCode;

use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};

use crate::aws::CloudFront;
use crate::cli::{RunnerFiles, Style, run_plan};
use crate::emulator;
use crate::github::{CommentMode, GithubSettings};
use crate::plan::{AwsSettings, FailFast, FunctionPlan, Plan};
use crate::report::comment;
use crate::testcase;
use crate::types::Runtime;

/// The bundled example function.
pub const EXAMPLE_FUNCTION: &str = include_str!("../examples/function.js");

/// The bundled example's test cases (file name, YAML).
pub const EXAMPLE_TESTS: &[(&str, &str)] = &[
    (
        "tests/block-hidden-files.yaml",
        include_str!("../examples/tests/block-hidden-files.yaml"),
    ),
    (
        "tests/redirect-apex.yaml",
        include_str!("../examples/tests/redirect-apex.yaml"),
    ),
    (
        "tests/rewrite-directory.yaml",
        include_str!("../examples/tests/rewrite-directory.yaml"),
    ),
];

/// The function name the demo creates.
pub const EXAMPLE_NAME: &str = "example-viewer-request";

/// The demo's plan: create, test and publish the bundled example; no PR comment.
pub fn example_plan(endpoint_url: &str) -> Result<Plan, String> {
    let tests = EXAMPLE_TESTS
        .iter()
        .map(|(path, text)| {
            testcase::from_str(text, true, Path::new(path)).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan {
        functions: vec![FunctionPlan {
            name: EXAMPLE_NAME
                .parse()
                .map_err(|e: crate::types::InvalidValue| e.0)?,
            code: Some(EXAMPLE_FUNCTION.to_owned()),
            runtime: Runtime::Js2,
            comment: Some("cloudfront-publish demo".to_owned()),
            kvs_arns: None,
            tests,
            max_compute_utilization: 100,
        }],
        manifest: None,
        publish: true,
        if_match: None,
        concurrency: 1,
        fail_fast: FailFast::AllOrNothing,
        aws: AwsSettings {
            region: "us-east-1".to_owned(),
            endpoint_url: Some(endpoint_url.to_owned()),
            ..AwsSettings::default()
        },
        github: GithubSettings {
            mode: CommentMode::Off,
            ..GithubSettings::default()
        },
        sha: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        run_url: None,
    })
}

/// Runs the demo and prints the step outputs and the PR comment it would post.
pub async fn run() -> ExitCode {
    match run_demo().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: demo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_demo() -> Result<ExitCode, String> {
    let emu = emulator::start(emulator::Config::default())
        .await
        .map_err(|e| e.to_string())?;
    let url = emu.endpoint_url();
    println!("Started the CloudFront Functions emulator on {url} (in memory).");
    println!(
        "Publishing the bundled example `{EXAMPLE_NAME}`: create, {} tests through TestFunction, publish the tested ETag.\n",
        EXAMPLE_TESTS.len()
    );
    let plan = example_plan(&url)?;
    // Fixed fake credentials: the emulator checks that requests are signed, not by whom.
    let conf = aws_sdk_cloudfront::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&url)
        .credentials_provider(Credentials::new(
            "AKIDEMO",
            "demo-secret",
            None,
            None,
            "demo",
        ))
        .build();
    let cf = CloudFront::from_conf(conf);
    println!("Step outputs:");
    let (code, report) = run_plan(&plan, &cf, Style::Terminal, &RunnerFiles::default()).await;
    println!("\nPR comment it would post:\n");
    println!("{}", comment::render(&plan.comment_target(), &report));
    emu.shutdown().await.map_err(|e| e.to_string())?;
    Ok(code)
}
