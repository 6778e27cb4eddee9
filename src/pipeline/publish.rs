//! Steps 4 and 5, publish and read back: publish exactly the tested ETag (unless LIVE already holds
//! it, or `publish` is false), then read LIVE for the `etag` and `status` outputs.
//!
//! A PublishFunction without a clear answer (timeout, dropped connection, 5xx after the retries,
//! or a 412 that may be the SDK's retry of this run's own applied publish) is settled by reading
//! LIVE: the outputs say what LIVE holds, never what the run hoped for.

use crate::aws::{AwsError, CloudFront, FunctionState};
use crate::report::FunctionReport;
use crate::types::{FunctionName, Stage};

use super::{FunctionError, Tested, at_stage, read};

/// Publishes a tested function and finishes its report.
pub(super) async fn finish(cf: &CloudFront, t: Tested, publish: bool) -> FunctionReport {
    // `publish: false` reports DEVELOPMENT even when LIVE holds the same code: its `etag` output
    // is then the DEVELOPMENT ETag that a later run's `if-match` expects.
    if !publish {
        return t.unpublished("not published: publish is false");
    }
    let Tested {
        mut report,
        dev,
        code,
        live_already,
        started,
        mut store,
    } = t;
    let name = report.name.clone();
    if let Some(live) = live_already {
        if let Some(s) = &mut store {
            s.live();
        }
        at_stage(&mut report, Stage::Live, &live);
        report.steps.push(
            "publish: LIVE already holds this code and config; nothing to publish".to_owned(),
        );
        report.duration = started.elapsed();
        return report;
    }
    match cf.publish(&name, &dev.etag).await {
        Ok(()) => {
            // The store's deletes may start now, overlapping the read-back below.
            if let Some(s) = &mut store {
                s.live();
            }
            report.published = true;
            report.steps.push(format!(
                "PublishFunction: published DEVELOPMENT ETag {} to LIVE",
                dev.etag
            ));
            report.stage = Stage::Live;
            read_back(cf, &mut report).await;
        }
        Err(e) if e.is_precondition_failed() || e.may_have_applied() => {
            settle(cf, &mut report, &dev, &code, e).await;
        }
        Err(e) => {
            at_stage(&mut report, Stage::Development, &dev);
            report.error = Some(FunctionError::aws(&name, e).to_string());
        }
    }
    report.duration = started.elapsed();
    report
}

/// After a PublishFunction that may or may not have gone through, reads LIVE: when it holds
/// exactly the tested code and config, the publish happened (`published=true`); otherwise the
/// publish's own error stands (the 412 message for a real change by someone else), and after a
/// call without a clear answer the error says that it may still go through.
async fn settle(
    cf: &CloudFront,
    report: &mut FunctionReport,
    dev: &FunctionState,
    code: &[u8],
    err: AwsError,
) {
    let name = report.name.clone();
    let failed = |report: &mut FunctionReport, why: String| {
        at_stage(report, Stage::Development, dev);
        report.error = Some(why);
    };
    match read::read_stage(cf, &name, Stage::Live).await {
        Ok(Some((live, live_code))) if live_code == code && live.same_config(dev) => {
            report.published = true;
            report.steps.push(format!(
                "PublishFunction: the answer was lost (the call ended in {}); LIVE ETag {} holds exactly the tested code and config: recognised as this run's publish",
                err.code, live.etag
            ));
            report.function_arn = Some(live.arn.clone());
            at_stage(report, Stage::Live, &live);
        }
        // Timed out or unanswered: the service may apply it after this read.
        Ok(_) if err.may_have_applied() => failed(
            report,
            FunctionError::PublishUnclear { name, source: err }.to_string(),
        ),
        Ok(_) => failed(report, publish_error(&name, err).to_string()),
        Err(read_err) => failed(
            report,
            format!(
                "{}; reading LIVE to see whether the publish went through failed too ({read_err}), so whether LIVE holds the tested code is unknown",
                publish_error(&name, err)
            ),
        ),
    }
}

/// The publish's own failure: a 412 means the tested ETag is no longer current.
fn publish_error(name: &FunctionName, err: AwsError) -> FunctionError {
    if err.is_precondition_failed() {
        FunctionError::ChangedAfterTest { name: name.clone() }
    } else {
        FunctionError::aws(name, err)
    }
}

/// Reads LIVE after a publish for the outputs.
async fn read_back(cf: &CloudFront, report: &mut FunctionReport) {
    let name = report.name.clone();
    match cf.describe(&name, Stage::Live).await {
        Ok(Some(l)) => {
            at_stage(report, Stage::Live, &l);
            report.function_arn = Some(l.arn);
        }
        Ok(None) => report.error = Some(FunctionError::VanishedAfterPublish { name }.to_string()),
        // The tested code is live: reading it back is only for the `etag` output, so a
        // failure here is a warning, not a failed deployment.
        Err(e) => report.warnings.push(format!(
            "{name}: published, but reading LIVE back failed ({e}), so the etag and status outputs are empty"
        )),
    }
}
