//! `demo`: the whole pipeline on the bundled example against an in-process emulator. Needs no AWS
//! account, no GitHub and no files beside the binary (the example is compiled in, state is in
//! memory), so it also runs in the scratch image.

use std::path::Path;

use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};

use crate::aws::CloudFront;
use crate::cli::{RunnerFiles, Style, run_plan};
use crate::emulator;
use crate::plan::{AwsSettings, CommentMode, FunctionPlan, GithubSettings, Plan};
use crate::report::comment;
use crate::testcase;
use crate::types::{FunctionName, Runtime};

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

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The bundled example does not make a valid plan (a bug in the build).
    #[error("the bundled example: {0}")]
    Example(String),
    /// The in-process emulator failed.
    #[error(transparent)]
    Emulator(#[from] emulator::EmulatorError),
}

/// The demo's plan: create, test and publish the bundled example; no PR comment. Built through the
/// same validated constructors as the inputs' plan.
pub fn example_plan(endpoint_url: &str) -> Result<Plan, DemoError> {
    let bad = |e: &dyn std::fmt::Display| DemoError::Example(e.to_string());
    let tests = EXAMPLE_TESTS
        .iter()
        .map(|(path, text)| testcase::from_str(text, true, Path::new(path)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    let name: FunctionName = EXAMPLE_NAME.parse().map_err(|e| bad(&e))?;
    let function = FunctionPlan::new(name, Runtime::Js2)
        .with_code(EXAMPLE_FUNCTION.to_owned())
        .and_then(|f| f.with_comment("cloudfront-publish demo".to_owned()))
        .map_err(|e| bad(&e))?
        .with_tests(tests);
    let plan = Plan::new(vec![function])
        .and_then(|p| p.with_concurrency(1))
        .map_err(|e| bad(&e))?
        .with_aws(AwsSettings {
            region: "us-east-1".to_owned(),
            endpoint_url: Some(endpoint_url.to_owned()),
            ..AwsSettings::default()
        })
        .with_github(GithubSettings {
            mode: CommentMode::Off,
            sha: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
            ..GithubSettings::default()
        });
    Ok(plan)
}

/// Runs the demo, printing the step outputs and the PR comment it would post; `Ok(true)` when
/// the example was published.
pub async fn run() -> Result<bool, DemoError> {
    let emu = emulator::start(emulator::Config::default()).await?;
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
    let report = run_plan(&plan, &cf, Style::Terminal, &RunnerFiles::default()).await;
    println!("\nPR comment it would post:\n");
    println!("{}", comment::render(&plan.comment_target(), &report));
    emu.shutdown().await?;
    Ok(report.succeeded())
}
