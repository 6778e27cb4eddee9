//! The pipeline: read, sync, test, publish exactly the tested ETag, for each function of a [`Plan`],
//! with the fewest sequential round trips; then the PR comment.
//!
//! Talks to AWS and GitHub only through [`CloudFront`] and [`Commenter`]; knows no front door.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::aws::{AwsError, CloudFront, FunctionSpec, FunctionState, StageCode, TestRun};
use crate::github::Commenter;
use crate::plan::{FailFast, FunctionPlan, Plan};
use crate::report::{FunctionReport, Report, TestResult};
use crate::testcase::{self, TestCase};
use crate::types::{Etag, Stage};

/// Called once per function as soon as it is finished (terminal progress lines).
pub type OnDone = Arc<dyn Fn(&FunctionReport) + Send + Sync>;

/// The message of the guarantee: the ETag that was tested is no longer current.
pub const CHANGED_AFTER_TEST: &str = "not published: function changed after it was tested";

/// Runs the plan against CloudFront and, overlapping it, looks up the PR comment; writes the comment
/// once the report is complete. Never fails as a whole: every failure is in the report.
pub async fn execute(
    plan: &Plan,
    cf: &CloudFront,
    commenter: Option<&Commenter>,
    on_done: OnDone,
) -> (Report, Vec<String>) {
    let target = plan.comment_target();
    let lookup = async {
        match commenter {
            Some(c) => Some(c.lookup(&target).await),
            None => None,
        }
    };
    let (mut report, lookup) = tokio::join!(run(plan, cf, on_done), lookup);
    let mut warnings = Vec::new();
    if let (Some(c), Some(lookup)) = (commenter, lookup) {
        let body = crate::report::comment::render(&target, &report);
        let outcome = c.write(lookup, &body).await;
        report.comment_url = outcome.html_url;
        warnings.extend(outcome.warnings);
    }
    (report, warnings)
}

/// Runs every function of the plan, `concurrency` at a time, honouring `fail-fast`.
pub async fn run(plan: &Plan, cf: &CloudFront, on_done: OnDone) -> Report {
    // `concurrency` comes from the user; tokio panics above MAX_PERMITS.
    let sem = Arc::new(Semaphore::new(
        plan.concurrency.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let independent = plan.fail_fast == FailFast::Independent || plan.functions.len() == 1;

    // Phase 1: read, sync, test. In independent mode each function goes on to publish at once.
    let mut set = JoinSet::new();
    for (i, fp) in plan.functions.iter().cloned().enumerate() {
        let (cf, sem, on_done) = (cf.clone(), sem.clone(), on_done.clone());
        let (if_match, publish) = (plan.if_match.clone(), plan.publish);
        set.spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                return (i, Phase1::Done(failed_early(&fp, "cancelled")));
            };
            let report = match prepare_and_test(&cf, &fp, if_match.as_ref()).await {
                Ok(t) if !independent => return (i, Phase1::Ready(t)),
                Ok(t) => finish(&cf, t, publish).await,
                Err(report) => report,
            };
            on_done(&report);
            (i, Phase1::Done(report))
        });
    }
    let mut slots: Vec<Option<Phase1>> = (0..plan.functions.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        // A panicking task is a bug; report it as a failure of an unknown function rather than abort.
        if let Ok((i, r)) = joined {
            slots[i] = Some(r);
        }
    }

    // Phase 2 (all-or-nothing manifests): publish only when every function passed.
    let all_passed = slots.iter().all(|s| matches!(s, Some(Phase1::Ready(_))));
    let mut reports: Vec<Option<FunctionReport>> = (0..slots.len()).map(|_| None).collect();
    let mut set = JoinSet::new();
    for (i, slot) in slots.into_iter().enumerate() {
        match slot {
            Some(Phase1::Ready(t)) if all_passed || t.live_matches => {
                let (cf, sem, on_done, publish) =
                    (cf.clone(), sem.clone(), on_done.clone(), plan.publish);
                set.spawn(async move {
                    let _permit = sem.acquire_owned().await.ok();
                    let report = finish(&cf, t, publish).await;
                    on_done(&report);
                    (i, report)
                });
            }
            Some(Phase1::Ready(t)) => {
                let mut report = t.into_unpublished();
                report.note = Some("not published: another function of the manifest failed (fail-fast: all-or-nothing)".to_owned());
                on_done(&report);
                reports[i] = Some(report);
            }
            Some(Phase1::Done(report)) => reports[i] = Some(report),
            None => {
                reports[i] = Some(failed_early(
                    &plan.functions[i],
                    "internal error: the task did not finish",
                ))
            }
        }
    }
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            reports[i] = Some(r);
        }
    }
    let functions = reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| {
                failed_early(
                    &plan.functions[i],
                    "internal error: the task did not finish",
                )
            })
        })
        .collect();
    Report {
        functions,
        manifest: plan.manifest.clone(),
        sha: plan.sha.clone(),
        run_url: plan.run_url.clone(),
        comment_url: None,
    }
}

/// Where a function stands after phase 1.
// One value per function per run: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Phase1 {
    /// Finished (failed, or published in independent mode).
    Done(FunctionReport),
    /// Tested and waiting for the others (all-or-nothing).
    Ready(Tested),
}

/// A function that passed its reads, sync and tests, ready to publish.
struct Tested {
    report: FunctionReport,
    name: crate::types::FunctionName,
    dev: FunctionState,
    live: Option<FunctionState>,
    live_matches: bool,
    started: Instant,
}

impl Tested {
    fn into_unpublished(mut self) -> FunctionReport {
        self.report.stage = Stage::Development;
        self.report.etag = Some(self.dev.etag.to_string());
        self.report.status = Some(self.dev.status.clone());
        self.report.duration = self.started.elapsed();
        self.report
    }
}

/// The report of a run that could not start (no credentials): every function failed, nothing
/// published, so that outputs are still written.
pub fn failed(plan: &Plan, error: &str) -> Report {
    Report {
        functions: plan
            .functions
            .iter()
            .map(|fp| failed_early(fp, error))
            .collect(),
        manifest: plan.manifest.clone(),
        sha: plan.sha.clone(),
        run_url: plan.run_url.clone(),
        comment_url: None,
    }
}

fn failed_early(fp: &FunctionPlan, error: &str) -> FunctionReport {
    let mut r = blank_report(fp);
    r.error = Some(format!("{}: {error}", fp.name));
    r
}

fn blank_report(fp: &FunctionPlan) -> FunctionReport {
    FunctionReport {
        name: fp.name.to_string(),
        function_arn: None,
        stage: Stage::Development,
        etag: None,
        status: None,
        published: false,
        changed: false,
        compute_utilization: None,
        test_results: Vec::new(),
        error: None,
        note: None,
        warnings: Vec::new(),
        steps: Vec::new(),
        duration: Default::default(),
    }
}

/// One line naming the function, the step and what to do.
fn aws_failure(fp: &FunctionPlan, step: &str, e: &AwsError) -> String {
    let hint = match e.code.as_str() {
        "PreconditionFailed" => {
            " The function changed meanwhile; rerun to test the current version."
        }
        "NoSuchFunctionExists" => " Set function-file to create it, or check function-name.",
        "InvalidIfMatchVersion" => " The ETag sent is not valid for this function; rerun.",
        "FunctionSizeLimitExceeded" => " CloudFront functions are limited to 10 KB.",
        "AccessDenied"
        | "AccessDeniedException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken" => " Check the credentials and the IAM policy (see README).",
        "NoCredentials" => {
            " Give the job AWS credentials: role-to-assume (with `id-token: write`) or aws-actions/configure-aws-credentials."
        }
        "DispatchFailure" => {
            " The endpoint could not be reached after retries; check endpoint-url and the network, or rerun later."
        }
        "Throttling" | "ServiceUnavailable" | "Timeout" => {
            " AWS did not answer after retries; rerun later."
        }
        _ => "",
    };
    format!(
        "{}: {step}: {}: {}.{hint}",
        fp.name,
        e.code,
        e.message.trim_end_matches('.')
    )
}

async fn prepare_and_test(
    cf: &CloudFront,
    fp: &FunctionPlan,
    if_match: Option<&Etag>,
) -> Result<Tested, FunctionReport> {
    let started = Instant::now();
    let mut report = blank_report(fp);
    let fail = |mut report: FunctionReport, msg: String| {
        report.error = Some(msg);
        report.duration = started.elapsed();
        report
    };

    // Read: both stages' config and code in one round trip.
    let reads = tokio::try_join!(
        cf.describe(&fp.name, Stage::Development),
        cf.get_code(&fp.name, Stage::Development),
        cf.describe(&fp.name, Stage::Live),
        cf.get_code(&fp.name, Stage::Live),
    );
    let (dev, dev_code, live, live_code) = match reads {
        Ok(r) => r,
        Err(e) => return Err(fail(report, aws_failure(fp, "read", &e))),
    };
    // Config and code come from two requests: another writer in between would make us compare
    // (and test) one version while believing it is another.
    for (stage, state, code) in [
        (Stage::Development, &dev, &dev_code),
        (Stage::Live, &live, &live_code),
    ] {
        if let Err(why) = same_version(state, code) {
            return Err(fail(
                report,
                format!(
                    "{}: read: the {stage} stage changed while it was being read ({why}); nothing was changed, rerun",
                    fp.name
                ),
            ));
        }
    }
    let dev_code = dev_code.map(|c| c.code);
    let live_code = live_code.map(|c| c.code);
    report.steps.push(match &dev {
        Some(d) => format!(
            "read: DEVELOPMENT ETag {} ({}), LIVE {}",
            d.etag,
            d.status,
            live.as_ref()
                .map_or("none".to_owned(), |l| format!("ETag {}", l.etag))
        ),
        None => "read: the function does not exist yet".to_owned(),
    });
    // A missing function has no ETag, which is not the one expected either: never create it then.
    if let Some(expected) = if_match {
        let current = dev.as_ref().map(|d| &d.etag);
        if current != Some(expected) {
            let found = current.map_or("the function does not exist".to_owned(), |e| {
                format!("the DEVELOPMENT ETag is {e}")
            });
            return Err(fail(
                report,
                format!(
                    "{}: if-match: {found}, not {expected}: nothing was changed",
                    fp.name
                ),
            ));
        }
    }

    // Sync: create if missing; update only when code or config differ.
    let (dev, code) = match (dev, &fp.code) {
        (None, None) => {
            return Err(fail(
                report,
                format!(
                    "{}: read: NoSuchFunctionExists: the function does not exist. Set function-file to create it, or check function-name.",
                    fp.name
                ),
            ));
        }
        (None, Some(code)) => {
            let spec = FunctionSpec {
                runtime: fp.runtime,
                comment: fp.comment.clone().unwrap_or_default(),
                kvs_arns: fp.kvs_arns.clone().unwrap_or_default(),
                code: code.clone(),
            };
            match cf.create(&fp.name, &spec).await {
                Ok(state) => {
                    report.changed = true;
                    report
                        .steps
                        .push(format!("CreateFunction: DEVELOPMENT ETag {}", state.etag));
                    (state, code.as_bytes().to_vec())
                }
                Err(e) => return Err(fail(report, aws_failure(fp, "create", &e))),
            }
        }
        (Some(dev), Some(code)) => {
            let spec = FunctionSpec {
                runtime: fp.runtime,
                comment: fp.comment.clone().unwrap_or_else(|| dev.comment.clone()),
                kvs_arns: fp.kvs_arns.clone().unwrap_or_else(|| dev.kvs_arns.clone()),
                code: code.clone(),
            };
            let differs = dev_code.as_deref() != Some(code.as_bytes())
                || dev.runtime != spec.runtime.as_str()
                || dev.comment != spec.comment
                || dev.kvs_arns != spec.kvs_arns;
            if differs {
                match cf.update(&fp.name, &dev.etag, &spec).await {
                    Ok(state) => {
                        report.changed = true;
                        report.steps.push(format!(
                            "UpdateFunction: DEVELOPMENT ETag {} -> {}",
                            dev.etag, state.etag
                        ));
                        (state, code.as_bytes().to_vec())
                    }
                    Err(e) => return Err(fail(report, aws_failure(fp, "update", &e))),
                }
            } else {
                report
                    .steps
                    .push("sync: DEVELOPMENT already holds this code and config".to_owned());
                (dev, code.as_bytes().to_vec())
            }
        }
        (Some(dev), None) => (dev, dev_code.unwrap_or_default()),
    };
    report.function_arn = Some(dev.arn.clone());

    // Test: every case at once, each against the exact ETag that will be published.
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
    if failed > 0 {
        report.etag = Some(dev.etag.to_string());
        report.status = Some(dev.status.clone());
        return Err(fail(
            report,
            format!(
                "{}: {failed} of {total} tests failed: not published",
                fp.name
            ),
        ));
    }

    let live_matches = match (&live, &live_code) {
        (Some(l), Some(lc)) => {
            lc == &code
                && l.runtime == dev.runtime
                && l.comment == dev.comment
                && l.kvs_arns == dev.kvs_arns
        }
        _ => false,
    };
    Ok(Tested {
        report,
        name: fp.name.clone(),
        dev,
        live,
        live_matches,
        started,
    })
}

/// Checks that DescribeFunction and GetFunction saw the same version of a stage.
fn same_version(state: &Option<FunctionState>, code: &Option<StageCode>) -> Result<(), String> {
    match (state, code) {
        (None, None) => Ok(()),
        (Some(s), Some(StageCode { etag: Some(e), .. })) if &s.etag != e => Err(format!(
            "DescribeFunction saw ETag {}, GetFunction {e}",
            s.etag
        )),
        (Some(_), Some(_)) => Ok(()),
        (Some(_), None) | (None, Some(_)) => {
            Err("it appeared or vanished between DescribeFunction and GetFunction".to_owned())
        }
    }
}

async fn run_tests(cf: &CloudFront, fp: &FunctionPlan, etag: &Etag) -> Vec<TestResult> {
    let mut set = JoinSet::new();
    for (i, case) in fp.tests.iter().cloned().enumerate() {
        let (cf, name, etag, max) = (
            cf.clone(),
            fp.name.clone(),
            etag.clone(),
            fp.max_compute_utilization,
        );
        set.spawn(async move {
            let event = serde_json::to_vec(&case.event).unwrap_or_default();
            let result = match cf.test(&name, &etag, &event).await {
                Ok(run) => judge(&case, run, max),
                Err(e) => TestResult {
                    name: case.name.clone(),
                    passed: false,
                    compute_utilization: None,
                    output: None,
                    logs: Vec::new(),
                    error: Some(format!("TestFunction: {}: {}", e.code, e.message)),
                    diff: Vec::new(),
                },
            };
            (i, result)
        });
    }
    let mut out: Vec<Option<TestResult>> = (0..fp.tests.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        // A panicked task leaves its slot empty (reported below); the others still count.
        if let Ok((i, r)) = joined {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| TestResult {
                name: fp.tests[i].name.clone(),
                passed: false,
                compute_utilization: None,
                output: None,
                logs: Vec::new(),
                error: Some("internal error: the test did not finish".to_owned()),
                diff: Vec::new(),
            })
        })
        .collect()
}

/// Turns one TestFunction answer into a result, checking the case's expectations.
fn judge(case: &TestCase, run: TestRun, max: u32) -> TestResult {
    let output = run.output.as_deref().map(|s| {
        serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_owned()))
    });
    let mut verdict = testcase::check(
        case,
        output.as_ref(),
        run.error.as_deref(),
        run.compute_utilization.unwrap_or(0),
        max,
    );
    // A limit that cannot be checked is not met.
    if run.compute_utilization.is_none() && max < 100 {
        verdict.passed = false;
        verdict.failures.push(format!(
            "compute utilization: TestFunction reported no readable value, so the limit of {max} cannot be checked"
        ));
    }
    TestResult {
        name: case.name.clone(),
        passed: verdict.passed,
        compute_utilization: run.compute_utilization,
        output,
        logs: run.logs,
        error: run.error,
        diff: verdict.failures,
    }
}

/// Publishes the tested ETag (unless LIVE already holds it, or `publish` is false) and reads LIVE
/// back for the `etag` output.
async fn finish(cf: &CloudFront, t: Tested, publish: bool) -> FunctionReport {
    let Tested {
        mut report,
        name,
        dev,
        live,
        live_matches,
        started,
    } = t;
    // `publish: false` reports DEVELOPMENT even when LIVE holds the same code: its `etag` output
    // is then the DEVELOPMENT ETag that a later run's `if-match` expects.
    if !publish {
        report.stage = Stage::Development;
        report.etag = Some(dev.etag.to_string());
        report.status = Some(dev.status);
        report.note = Some("not published: publish is false".to_owned());
        report.duration = started.elapsed();
        return report;
    }
    if live_matches {
        let live = live.unwrap_or_else(|| dev.clone());
        report.stage = Stage::Live;
        report.etag = Some(live.etag.to_string());
        report.status = Some(live.status);
        report.steps.push(
            "publish: LIVE already holds this code and config; nothing to publish".to_owned(),
        );
        report.duration = started.elapsed();
        return report;
    }
    match cf.publish(&name, &dev.etag).await {
        Ok(()) => {
            report.published = true;
            report.steps.push(format!(
                "PublishFunction: published DEVELOPMENT ETag {} to LIVE",
                dev.etag
            ));
            report.stage = Stage::Live;
            match cf.describe(&name, Stage::Live).await {
                Ok(Some(l)) => {
                    report.etag = Some(l.etag.to_string());
                    report.status = Some(l.status);
                    report.function_arn = Some(l.arn);
                }
                Ok(None) => {
                    report.error = Some(format!(
                        "{name}: DescribeFunction LIVE: the function vanished after publishing"
                    ))
                }
                // The tested code is live: reading it back is only for the `etag` output, so a
                // failure here is a warning, not a failed deployment.
                Err(e) => report.warnings.push(format!(
                    "{name}: published, but DescribeFunction LIVE failed ({}: {}), so the etag and status outputs are empty",
                    e.code, e.message
                )),
            }
        }
        Err(e) if e.is_precondition_failed() => {
            report.stage = Stage::Development;
            report.etag = Some(dev.etag.to_string());
            report.status = Some(dev.status);
            report.error = Some(format!(
                "{name}: {CHANGED_AFTER_TEST} (PublishFunction: PreconditionFailed). Rerun to test the current version."
            ));
        }
        Err(e) => {
            report.stage = Stage::Development;
            report.etag = Some(dev.etag.to_string());
            report.status = Some(dev.status);
            report.error = Some(format!("{name}: publish: {}: {}", e.code, e.message));
        }
    }
    report.duration = started.elapsed();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(etag: &str) -> FunctionState {
        FunctionState {
            arn: String::new(),
            etag: etag.parse().unwrap(),
            status: "UNPUBLISHED".to_owned(),
            runtime: "cloudfront-js-2.0".to_owned(),
            comment: String::new(),
            kvs_arns: Vec::new(),
        }
    }

    fn code(etag: Option<&str>) -> StageCode {
        StageCode {
            code: b"x".to_vec(),
            etag: etag.map(|e| e.parse().unwrap()),
        }
    }

    #[test]
    fn reads_of_two_versions_of_one_stage_are_refused() {
        assert!(same_version(&Some(state("E1")), &Some(code(Some("E1")))).is_ok());
        assert!(same_version(&None, &None).is_ok());
        // No ETag on GetFunction: nothing to compare, accepted.
        assert!(same_version(&Some(state("E1")), &Some(code(None))).is_ok());
        let err = same_version(&Some(state("E1")), &Some(code(Some("E2")))).unwrap_err();
        assert!(err.contains("E1") && err.contains("E2"), "{err}");
        assert!(same_version(&None, &Some(code(Some("E1")))).is_err());
        assert!(same_version(&Some(state("E1")), &None).is_err());
    }
}
