//! Step 3, test: every test case at once through TestFunction, each against the exact DEVELOPMENT
//! ETag that will be published, judged by the case's expectations and the utilization limit.

use tokio::task::JoinSet;

use crate::aws::{CloudFront, FunctionState, TestRun};
use crate::plan::FunctionPlan;
use crate::report::{FunctionReport, TestResult};
use crate::testcase::{self, TestCase};
use crate::types::{Etag, Stage};

use super::{FunctionError, at_stage};

/// Runs the tests and records them in `report`; fails when any case failed.
pub(super) async fn test(
    cf: &CloudFront,
    fp: &FunctionPlan,
    dev: &FunctionState,
    report: &mut FunctionReport,
) -> Result<(), FunctionError> {
    let results = run_tests(cf, fp, &dev.etag).await;
    report.compute_utilization = results.iter().filter_map(|r| r.compute_utilization).max();
    let failed = results.iter().filter(|r| !r.passed).count();
    for r in &results {
        report.steps.push(format!(
            "TestFunction {}: {}{}",
            r.name,
            if r.passed { "passed" } else { "FAILED" },
            r.compute_utilization
                .map_or(String::new(), |c| format!(", compute utilization {c}"))
        ));
    }
    let total = results.len();
    report.test_results = results;
    report.tested = total > 0 && failed == 0;
    if failed > 0 {
        at_stage(report, Stage::Development, dev);
        return Err(FunctionError::TestsFailed {
            name: fp.name().clone(),
            failed,
            total,
        });
    }
    Ok(())
}

async fn run_tests(cf: &CloudFront, fp: &FunctionPlan, etag: &Etag) -> Vec<TestResult> {
    let mut set = JoinSet::new();
    for (i, case) in fp.tests().iter().cloned().enumerate() {
        let (cf, name, etag, max) = (
            cf.clone(),
            fp.name().clone(),
            etag.clone(),
            fp.max_compute_utilization(),
        );
        set.spawn(async move {
            let event = serde_json::to_vec(&case.event).unwrap_or_default();
            let result = match cf.test(&name, &etag, &event).await {
                Ok(run) => judge(&case, run, max),
                Err(e) => not_run(&case, e.to_string()),
            };
            (i, result)
        });
    }
    let mut out: Vec<Option<TestResult>> = (0..fp.tests().len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        // A panicked task leaves its slot empty (reported below); the others still count.
        if let Ok((i, r)) = joined {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .zip(fp.tests())
        .map(|(r, case)| {
            r.unwrap_or_else(|| not_run(case, "internal error: the test did not finish".to_owned()))
        })
        .collect()
}

/// A case that could not run, failed with `error`.
fn not_run(case: &TestCase, error: String) -> TestResult {
    TestResult {
        name: case.name.clone(),
        passed: false,
        compute_utilization: None,
        output: None,
        logs: Vec::new(),
        error: Some(error),
        diff: Vec::new(),
        file: Some(case.source.clone()),
    }
}

/// Turns one TestFunction answer into a result, checking the case's expectations.
fn judge(case: &TestCase, run: TestRun, max: u32) -> TestResult {
    let output = run.output.as_deref().map(|s| {
        serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_owned()))
    });
    let verdict = testcase::check(
        case,
        output.as_ref(),
        run.error.as_deref(),
        run.compute_utilization,
        max,
    );
    TestResult {
        name: case.name.clone(),
        passed: verdict.passed,
        compute_utilization: run.compute_utilization,
        output,
        logs: run.logs,
        error: run.error,
        diff: verdict.failures,
        file: Some(case.source.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(max: Option<u32>) -> TestCase {
        TestCase {
            name: "c".to_owned(),
            event: serde_json::json!({}),
            expect: None,
            expect_error: None,
            max_compute_utilization: max,
            source: "c.json".into(),
        }
    }

    fn run(cu: Option<u32>) -> TestRun {
        TestRun {
            compute_utilization: cu,
            ..TestRun::default()
        }
    }

    #[test]
    fn a_missing_utilization_fails_any_limit_below_100_the_case_or_the_run_sets() {
        let per_test = judge(&case(Some(50)), run(None), 100);
        assert!(!per_test.passed, "{per_test:?}");
        assert!(
            per_test.diff.iter().any(|d| d.contains("limit of 50")),
            "{:?}",
            per_test.diff
        );
        assert!(!judge(&case(None), run(None), 80).passed);
        // Nothing to check against: no limit below 100 anywhere.
        assert!(judge(&case(None), run(None), 100).passed);
        assert!(judge(&case(Some(50)), run(Some(40)), 100).passed);
        assert!(!judge(&case(Some(50)), run(Some(51)), 100).passed);
    }
}
