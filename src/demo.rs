//! `demo`: the whole pipeline on the bundled example against an in-process emulator, then on a
//! second, key-value-store-backed example (a redirect map kept as data, synced into a store the run
//! creates). Needs no AWS account, no GitHub and no files beside the binary (the examples are
//! compiled in, state is in memory), so it also runs in the scratch image.

use std::path::Path;

use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};

use crate::aws::CloudFront;
use crate::cli::{RunnerFiles, Style, run_plan};
use crate::emulator;
use crate::kvs::{self, DataFormat, StoreRef};
use crate::plan::{AwsSettings, CommentMode, FunctionPlan, GithubSettings, Plan, StorePlan};
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

/// The key-value-store-backed example: a redirect function, its store's data, its tests.
pub const KVS_EXAMPLE_FUNCTION: &str = include_str!("../examples/kvs/redirects.js");
/// The redirect map synced into the example's store.
pub const KVS_EXAMPLE_DATA: &str = include_str!("../examples/kvs/redirects.yaml");
/// The KVS example's test cases (file name, YAML).
pub const KVS_EXAMPLE_TESTS: &[(&str, &str)] = &[
    (
        "kvs/tests/redirect-old-path.yaml",
        include_str!("../examples/kvs/tests/redirect-old-path.yaml"),
    ),
    (
        "kvs/tests/pass-through.yaml",
        include_str!("../examples/kvs/tests/pass-through.yaml"),
    ),
];
/// The KVS example's function and store names.
pub const KVS_EXAMPLE_NAME: &str = "example-redirects";
/// The store the KVS example creates.
pub const KVS_EXAMPLE_STORE: &str = "example-redirect-map";

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

fn bad(e: &dyn std::fmt::Display) -> DemoError {
    DemoError::Example(e.to_string())
}

fn tests_of(files: &[(&str, &str)]) -> Result<Vec<testcase::TestCase>, DemoError> {
    files
        .iter()
        .map(|(path, text)| testcase::from_str(text, true, Path::new(path)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))
}

/// The demo's plan: create, test and publish the bundled example; no PR comment. Built through the
/// same validated constructors as the inputs' plan.
pub fn example_plan(endpoint_url: &str) -> Result<Plan, DemoError> {
    let name: FunctionName = EXAMPLE_NAME.parse().map_err(|e| bad(&e))?;
    let function = FunctionPlan::new(name, Runtime::Js2)
        .with_code(EXAMPLE_FUNCTION.to_owned(), "examples/function.js")
        .and_then(|f| f.with_comment("cloudfront-publish demo".to_owned()))
        .map_err(|e| bad(&e))?
        .with_tests(tests_of(EXAMPLE_TESTS)?);
    let plan = Plan::new(vec![function]).map_err(|e| bad(&e))?;
    demo_settings(plan, endpoint_url)
}

/// The KVS example's plan: the redirect function with its store, created and filled from the
/// bundled data file before the tests.
pub fn kvs_example_plan(endpoint_url: &str) -> Result<Plan, DemoError> {
    let name: FunctionName = KVS_EXAMPLE_NAME.parse().map_err(|e| bad(&e))?;
    let store = StoreRef::Name(KVS_EXAMPLE_STORE.to_owned());
    let data = kvs::data::parse(
        KVS_EXAMPLE_DATA,
        DataFormat::Yaml,
        Path::new("kvs/redirects.yaml"),
    )
    .map_err(|e| bad(&e))?;
    let function = FunctionPlan::new(name, Runtime::Js2)
        .with_code(KVS_EXAMPLE_FUNCTION.to_owned(), "examples/kvs/redirects.js")
        .and_then(|f| f.with_store(store.clone()))
        .map_err(|e| bad(&e))?
        .with_tests(tests_of(KVS_EXAMPLE_TESTS)?);
    let plan = Plan::new(vec![function])
        .and_then(|p| {
            p.with_stores(vec![StorePlan::new(
                store,
                data,
                "kvs/redirects.yaml".to_owned(),
            )])
        })
        .map_err(|e| bad(&e))?;
    demo_settings(plan, endpoint_url)
}

fn demo_settings(plan: Plan, endpoint_url: &str) -> Result<Plan, DemoError> {
    let plan = plan
        .with_concurrency(1)
        .map_err(|e| bad(&e))?
        .with_aws(AwsSettings {
            region: "us-east-1".to_owned(),
            endpoint_url: Some(endpoint_url.to_owned()),
            kvs_endpoint_url: Some(endpoint_url.to_owned()),
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
    let cf = demo_client(&url);
    let plan = example_plan(&url)?;
    let first = run_one(&plan, &cf).await;
    println!(
        "\nNow `{KVS_EXAMPLE_NAME}`, whose redirect map is data in the key value store `{KVS_EXAMPLE_STORE}`: \
         the run creates the store, writes the keys before the tests, and publishes the tested code.\n"
    );
    let plan = kvs_example_plan(&url)?;
    let second = run_one(&plan, &cf).await;
    emu.shutdown().await?;
    Ok(first && second)
}

/// Runs one plan, printing its step outputs and the comment it would post.
async fn run_one(plan: &Plan, cf: &CloudFront) -> bool {
    println!("Step outputs:");
    let report = run_plan(plan, cf, Style::Terminal, &RunnerFiles::default()).await;
    println!("\nPR comment it would post:\n");
    println!("{}", comment::render(&plan.comment_target(), &report));
    report.succeeded()
}

/// Both planes of the in-process emulator, with fixed fake credentials: the emulator checks that
/// requests are signed, not by whom.
fn demo_client(url: &str) -> CloudFront {
    let creds = Credentials::new("AKIDEMO", "demo-secret", None, None, "demo");
    let conf = aws_sdk_cloudfront::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(creds.clone())
        .build();
    let kvs_conf = aws_sdk_cloudfrontkeyvaluestore::Config::builder()
        .behavior_version(aws_sdk_cloudfrontkeyvaluestore::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudfrontkeyvaluestore::config::Region::new(
            "us-east-1",
        ))
        .endpoint_url(url)
        .credentials_provider(creds)
        .build();
    CloudFront::from_conf(conf).with_kvs(crate::aws::kvs::KvsClient::from_conf(kvs_conf))
}
