//! The pipeline: read, sync, test, publish exactly the tested ETag, for each function of a [`Plan`],
//! with the fewest sequential round trips; then the PR comment.
//!
//! Talks to AWS and GitHub only through [`CloudFront`] and [`Commenter`]; knows no front door.
//! This file orchestrates (phases, concurrency, fail-fast); each step has its own module:
//! `read` (both stages), `sync` (create or update DEVELOPMENT), `test` (TestFunction on the exact
//! ETag), `publish` (publish and read LIVE back); `error` words every failure. A new step (key
//! value store sync, say) is a new module called from `prepare_and_test` (before the tests) or
//! `publish::finish` (after the publish).

mod distributions;
mod error;
mod kvs;
mod publish;
mod read;
mod sync;
mod test;

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use error::FunctionError;

use crate::aws::{AwsError, CloudFront, FunctionState};
use crate::github::{CommentOutcome, Commenter};
use crate::plan::{FailFast, FunctionPlan, Plan};
use crate::report::{FunctionReport, Report};
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
) -> (Report, CommentOutcome) {
    let target = plan.comment_target();
    let lookup = async {
        match commenter {
            Some(c) => Some(c.lookup(&target).await),
            None => None,
        }
    };
    let (mut report, lookup) = tokio::join!(run(plan, cf, on_done), lookup);
    let mut outcome = CommentOutcome::default();
    if let (Some(c), Some(lookup)) = (commenter, lookup) {
        let body = crate::report::comment::render(&target, &report);
        outcome = c.write(lookup, &body).await;
        report.comment_url = outcome.html_url.clone();
    }
    (report, outcome)
}

/// Runs every function of the plan, `concurrency` at a time, honouring `fail-fast`.
pub async fn run(plan: &Plan, cf: &CloudFront, on_done: OnDone) -> Report {
    // `concurrency` comes from the user; tokio panics above MAX_PERMITS.
    let sem = Arc::new(Semaphore::new(
        plan.concurrency().clamp(1, Semaphore::MAX_PERMITS),
    ));
    // The stores are read while the functions are; each function waits for its store's writes.
    let mut stores = kvs::start(plan, cf);
    let uses = std::mem::take(&mut stores.uses);
    let functions = async {
        let slots = phase1(plan, cf, &sem, &on_done, uses).await;
        phase2(plan, cf, &sem, &on_done, slots).await
    };
    // One listing for the whole plan, started with the first reads: no round trip of its own.
    let (reports, listing) = tokio::join!(functions, distributions::list(cf));
    let store_reports = kvs::finish(stores).await;
    let functions = reports
        .into_iter()
        .zip(plan.functions())
        .map(|(r, fp)| {
            let mut r = r.unwrap_or_else(|| unfinished(fp));
            attach_store(&mut r, fp, &store_reports);
            r
        })
        .collect();
    let mut report = report_of(plan, functions);
    distributions::attach(&mut report, plan, listing);
    report
}

/// Gives a function its store's report (shared stores: each user the same one).
fn attach_store(
    report: &mut FunctionReport,
    fp: &FunctionPlan,
    stores: &[(crate::kvs::StoreRef, crate::report::kvs::StoreReport)],
) {
    let Some((_, sr)) = stores.iter().find(|(s, _)| Some(s) == fp.store()) else {
        return;
    };
    let name = &sr.name;
    report.steps.extend(
        sr.steps
            .iter()
            .map(|l| format!("key value store {name}: {l}")),
    );
    // A store problem after the publish does not undo the publish: it is a warning.
    if report.succeeded() {
        report.warnings.extend(
            sr.notes
                .iter()
                .filter(|n| n.contains("could not"))
                .map(|n| format!("{}: key value store {name}: {n}", report.name)),
        );
    }
    report.key_value_store = Some(sr.clone());
}

/// Phase 1: read, sync, test every function. In independent mode (and for a single function) each
/// goes on to publish at once; otherwise it waits as [`Phase1::Ready`].
async fn phase1(
    plan: &Plan,
    cf: &CloudFront,
    sem: &Arc<Semaphore>,
    on_done: &OnDone,
    uses: Vec<Option<kvs::StoreUse>>,
) -> Vec<Option<Phase1>> {
    let independent = plan.fail_fast() == FailFast::Independent || plan.functions().len() == 1;
    let mut set = JoinSet::new();
    for ((i, fp), store) in plan.functions().iter().cloned().enumerate().zip(uses) {
        let (cf, sem, on_done) = (cf.clone(), sem.clone(), on_done.clone());
        let (if_match, publish) = (plan.if_match().cloned(), plan.publish());
        set.spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                let err = FunctionError::internal(fp.name(), "cancelled");
                return (i, Phase1::Done(failed_early(&fp, &err)));
            };
            let report = match prepare_and_test(&cf, &fp, if_match.as_ref(), store).await {
                Ok(t) if !independent => return (i, Phase1::Ready(t)),
                Ok(t) => publish::finish(&cf, t, publish).await,
                Err(report) => report,
            };
            on_done(&report);
            (i, Phase1::Done(report))
        });
    }
    let mut slots: Vec<Option<Phase1>> = (0..plan.functions().len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        // A panicking task is a bug; its slot stays empty and is reported as unfinished.
        if let Ok((i, r)) = joined {
            slots[i] = Some(r);
        }
    }
    slots
}

/// Phase 2 (all-or-nothing manifests): publish only when every function passed.
async fn phase2(
    plan: &Plan,
    cf: &CloudFront,
    sem: &Arc<Semaphore>,
    on_done: &OnDone,
    slots: Vec<Option<Phase1>>,
) -> Vec<Option<FunctionReport>> {
    let all_passed = slots.iter().all(|s| matches!(s, Some(Phase1::Ready(_))));
    let mut reports: Vec<Option<FunctionReport>> = (0..slots.len()).map(|_| None).collect();
    let mut set = JoinSet::new();
    for (i, slot) in slots.into_iter().enumerate() {
        match slot {
            Some(Phase1::Ready(t)) if all_passed || t.live_already.is_some() => {
                let (cf, sem, on_done, publish) =
                    (cf.clone(), sem.clone(), on_done.clone(), plan.publish());
                set.spawn(async move {
                    let _permit = sem.acquire_owned().await.ok();
                    let report = publish::finish(&cf, t, publish).await;
                    on_done(&report);
                    (i, report)
                });
            }
            Some(Phase1::Ready(t)) => {
                let mut report = t.unpublished(
                    "not published: another function of the manifest failed (fail-fast: all-or-nothing)",
                );
                report.held_back = true;
                on_done(&report);
                reports[i] = Some(report);
            }
            Some(Phase1::Done(report)) => reports[i] = Some(report),
            None => reports[i] = Some(unfinished(&plan.functions()[i])),
        }
    }
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            reports[i] = Some(r);
        }
    }
    reports
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
    dev: FunctionState,
    /// The code DEVELOPMENT held when it was tested at `dev.etag`.
    code: Vec<u8>,
    /// LIVE, when it already holds exactly this code and config (nothing to publish).
    live_already: Option<FunctionState>,
    started: Instant,
    /// The function's key value store, told when the function is live.
    store: Option<kvs::StoreUse>,
}

impl Tested {
    /// The report of a tested function that is not published, for `reason`.
    fn unpublished(mut self, reason: &str) -> FunctionReport {
        at_stage(&mut self.report, Stage::Development, &self.dev);
        self.report.note = Some(reason.to_owned());
        self.report.duration = self.started.elapsed();
        self.report
    }
}

/// Read, sync and test one function; a failure comes back as the function's finished report.
async fn prepare_and_test(
    cf: &CloudFront,
    fp: &FunctionPlan,
    if_match: Option<&Etag>,
    mut store: Option<kvs::StoreUse>,
) -> Result<Tested, FunctionReport> {
    let started = Instant::now();
    let mut report = blank_report(fp);
    let store_err = |message: String| FunctionError::KeyValueStore {
        name: fp.name().clone(),
        store: fp.store().map(ToString::to_string).unwrap_or_default(),
        message,
    };
    let steps = async {
        let stages = read::read(cf, fp).await?;
        report.steps.push(stages.step_line());
        read::check_if_match(fp, stages.dev.as_ref(), if_match)?;
        let store_arn = match &mut store {
            Some(s) => Some(s.arn().await.map_err(store_err)?),
            None => None,
        };
        kvs::check_association(fp, stages.dev.as_ref(), store_arn.as_ref()).map_err(store_err)?;
        if let Some(s) = &mut store {
            s.proceed();
        }
        // The store's puts run meanwhile; the tests wait for them below.
        let synced = sync::sync(
            cf,
            fp,
            store_arn.as_ref(),
            stages.dev,
            stages.dev_code,
            &mut report,
        )
        .await?;
        report.function_arn = Some(synced.dev.arn.clone());
        if let Some(s) = &mut store {
            s.written().await.map_err(store_err)?;
        }
        test::test(cf, fp, &synced.dev, &mut report).await?;
        let live_already = stages
            .live
            .filter(|l| synced.matches(l, stages.live_code.as_deref()));
        Ok::<_, FunctionError>((synced, live_already))
    };
    match steps.await {
        Ok((synced, live_already)) => Ok(Tested {
            report,
            dev: synced.dev,
            code: synced.code,
            live_already,
            started,
            store,
        }),
        Err(e) => {
            report.error = Some(e.to_string());
            report.duration = started.elapsed();
            Err(report)
        }
    }
}

/// Reports `state` as the function's final stage: the stage, its ETag and status.
fn at_stage(report: &mut FunctionReport, stage: Stage, state: &FunctionState) {
    report.stage = stage;
    report.etag = Some(state.etag.clone());
    report.status = Some(state.status.clone());
}

/// The report of a run that could not start (no credentials): every function failed, nothing
/// published, so that outputs are still written.
pub fn failed(plan: &Plan, error: &AwsError) -> Report {
    let functions = plan
        .functions()
        .iter()
        .map(|fp| failed_early(fp, &FunctionError::credentials(fp.name(), error.clone())))
        .collect();
    report_of(plan, functions)
}

fn report_of(plan: &Plan, functions: Vec<FunctionReport>) -> Report {
    Report {
        functions,
        manifest: plan.manifest().map(str::to_owned),
        sha: plan.sha().map(str::to_owned),
        run_url: plan.run_url().map(str::to_owned),
        comment_url: None,
        warnings: Vec::new(),
    }
}

fn unfinished(fp: &FunctionPlan) -> FunctionReport {
    let err = FunctionError::internal(fp.name(), "internal error: the task did not finish");
    failed_early(fp, &err)
}

fn failed_early(fp: &FunctionPlan, error: &FunctionError) -> FunctionReport {
    let mut r = blank_report(fp);
    r.error = Some(error.to_string());
    r
}

fn blank_report(fp: &FunctionPlan) -> FunctionReport {
    FunctionReport {
        name: fp.name().clone(),
        function_arn: None,
        stage: Stage::Development,
        etag: None,
        status: None,
        published: false,
        tested: false,
        changed: false,
        compute_utilization: None,
        test_results: Vec::new(),
        error: None,
        note: None,
        held_back: false,
        warnings: Vec::new(),
        key_value_store: None,
        distributions: None,
        steps: Vec::new(),
        duration: Default::default(),
    }
}
