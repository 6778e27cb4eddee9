//! Manifest runs as the runner runs them: mixed create/update/unchanged functions, one failing test,
//! all-or-nothing (default) versus independent publishing, the `results` output.

mod common;

use std::path::Path;

use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{FunctionConfig, FunctionRuntime, FunctionStage};
use common::{Emu, run_action};

const EXAMPLE: &str = include_str!("../examples/function.js");
const REDIRECT_TEST: &str = include_str!("../examples/tests/redirect-apex.yaml");
const BROKEN: &str = "function handler(event) { return event.request; }\n";

fn workspace(with_broken: bool) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().join("cf");
    std::fs::create_dir_all(root.join("functions")).unwrap();
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(root.join("functions/site.js"), EXAMPLE).unwrap();
    std::fs::write(root.join("functions/broken.js"), BROKEN).unwrap();
    std::fs::write(root.join("tests/redirect.yaml"), REDIRECT_TEST).unwrap();
    let mut manifest = String::from("functions:\n");
    for name in ["fresh", "stale", "unchanged"] {
        manifest.push_str(&format!(
            "  - name: {name}\n    file: functions/site.js\n    comment: site\n    tests: [tests/*.yaml]\n"
        ));
    }
    if with_broken {
        manifest.push_str("  - name: broken\n    file: functions/broken.js\n    comment: site\n    tests: [tests/redirect.yaml]\n");
    }
    std::fs::write(root.join("cloudfront-functions.yaml"), manifest).unwrap();
    ws
}

/// `stale` exists with old code; `unchanged` already holds the example in both stages.
async fn arrange(emu: &Emu) {
    let sdk = emu.client();
    for (name, code) in [
        ("stale", "function handler(e) { return e.request; }"),
        ("unchanged", EXAMPLE),
    ] {
        let created = sdk
            .create_function()
            .name(name)
            .function_config(
                FunctionConfig::builder()
                    .comment("site")
                    .runtime(FunctionRuntime::CloudfrontJs20)
                    .build()
                    .unwrap(),
            )
            .function_code(Blob::new(code))
            .send()
            .await
            .unwrap();
        sdk.publish_function()
            .name(name)
            .if_match(created.e_tag().unwrap())
            .send()
            .await
            .unwrap();
    }
}

async fn live_code(emu: &Emu, name: &str) -> Option<Vec<u8>> {
    let out = emu
        .client()
        .get_function()
        .name(name)
        .stage(FunctionStage::Live)
        .send()
        .await
        .ok()?;
    Some(out.function_code()?.as_ref().to_vec())
}

fn results(run: &common::Run) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(run.out("results"))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn by_name<'a>(results: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    results
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}"))
}

async fn run(ws: &Path, url: &str, extra: &[(&str, &str)]) -> common::Run {
    let mut inputs = vec![
        ("manifest", "cf/cloudfront-functions.yaml"),
        ("endpoint-url", url),
        ("concurrency", "2"),
    ];
    inputs.extend_from_slice(extra);
    run_action(ws, &inputs, &[]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_test_blocks_every_publish_by_default() {
    let emu = Emu::start(|_| {}).await;
    arrange(&emu).await;
    let ws = workspace(true);
    let run = run(ws.path(), &emu.url(), &[]).await;
    assert_eq!(run.code, 1, "{run:#?}");
    let results = results(&run);
    assert_eq!(results.len(), 4);
    assert_eq!(by_name(&results, "broken")["published"], false);
    assert!(
        by_name(&results, "broken")["error"]
            .as_str()
            .unwrap()
            .contains("tests failed")
    );
    for name in ["fresh", "stale"] {
        let r = by_name(&results, name);
        assert_eq!(r["published"], false, "{name}: {r:#}");
        assert_eq!(r["changed"], true, "{name}");
        assert!(r["error"].is_null(), "{name} itself passed");
        assert!(
            r["note"].as_str().unwrap().contains("all-or-nothing"),
            "{r:#}"
        );
    }
    assert_eq!(
        live_code(&emu, "fresh").await,
        None,
        "fresh never reached LIVE"
    );
    assert_ne!(
        live_code(&emu, "stale").await.unwrap(),
        EXAMPLE.as_bytes(),
        "stale's LIVE is untouched"
    );
    assert_eq!(run.out("published"), "false");
}

#[tokio::test(flavor = "multi_thread")]
async fn independent_mode_publishes_every_function_that_passed() {
    let emu = Emu::start(|_| {}).await;
    arrange(&emu).await;
    let ws = workspace(true);
    let run = run(ws.path(), &emu.url(), &[("fail-fast", "independent")]).await;
    assert_eq!(
        run.code, 1,
        "the failing function still fails the run: {run:#?}"
    );
    let results = results(&run);
    assert_eq!(by_name(&results, "fresh")["published"], true);
    assert_eq!(by_name(&results, "stale")["published"], true);
    assert_eq!(by_name(&results, "unchanged")["published"], false);
    assert_eq!(by_name(&results, "unchanged")["changed"], false);
    assert_eq!(by_name(&results, "unchanged")["stage"], "LIVE");
    assert_eq!(by_name(&results, "broken")["published"], false);
    assert_eq!(live_code(&emu, "stale").await.unwrap(), EXAMPLE.as_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_create_update_unchanged_all_succeed_and_report_together() {
    let emu = Emu::start(|_| {}).await;
    arrange(&emu).await;
    let ws = workspace(false);
    let run = run(ws.path(), &emu.url(), &[]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    let results = results(&run);
    assert_eq!(
        results
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["fresh", "stale", "unchanged"]
    );
    assert_eq!(by_name(&results, "fresh")["changed"], true);
    assert_eq!(by_name(&results, "fresh")["published"], true);
    assert_eq!(by_name(&results, "stale")["changed"], true);
    assert_eq!(by_name(&results, "stale")["published"], true);
    assert_eq!(by_name(&results, "unchanged")["changed"], false);
    assert_eq!(by_name(&results, "unchanged")["published"], false);
    for r in &results {
        assert_eq!(r["stage"], "LIVE", "{r:#}");
        assert_eq!(r["test-results"].as_array().unwrap().len(), 1, "{r:#}");
    }
    for name in ["fresh", "stale", "unchanged"] {
        assert!(run.summary.contains(name), "summary lists {name}");
    }
    assert_eq!(run.out("published"), "true");
}
