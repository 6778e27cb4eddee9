//! Steps 4 and 5, publish and read back: publish exactly the tested ETag (unless LIVE already holds
//! it, or `publish` is false), then read LIVE for the `etag` and `status` outputs.

use crate::aws::CloudFront;
use crate::report::FunctionReport;
use crate::types::Stage;

use super::{FunctionError, Tested, at_stage};

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
        live,
        live_matches,
        started,
    } = t;
    let name = report.name.clone();
    if live_matches {
        at_stage(&mut report, Stage::Live, live.as_ref().unwrap_or(&dev));
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
            read_back(cf, &mut report).await;
        }
        Err(e) => {
            at_stage(&mut report, Stage::Development, &dev);
            let err = if e.is_precondition_failed() {
                FunctionError::ChangedAfterTest { name }
            } else {
                FunctionError::aws(&name, e)
            };
            report.error = Some(err.to_string());
        }
    }
    report.duration = started.elapsed();
    report
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
