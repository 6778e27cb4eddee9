//! Step 2, sync: make DEVELOPMENT hold the plan's code and config. Create the function when it is
//! missing; update it only when code or config differ; otherwise leave it alone.
//!
//! A write whose answer was lost (the service applied it, the response never arrived) makes the
//! SDK's retry meet the state the first attempt left: 409 on a create, 412 on an update. Then
//! DEVELOPMENT is read, and when it holds exactly what this run sent, the run goes on from there.

use crate::aws::{AwsError, CloudFront, FunctionSpec, FunctionState};
use crate::plan::FunctionPlan;
use crate::report::FunctionReport;
use crate::types::{KvsArn, Stage};

use super::{FunctionError, read};

/// DEVELOPMENT after the sync, with the code it holds (the code that will be tested).
pub(super) struct Synced {
    pub(super) dev: FunctionState,
    pub(super) code: Vec<u8>,
}

impl Synced {
    /// True when LIVE already holds exactly this code and config (nothing to publish).
    pub(super) fn matches(&self, live: &FunctionState, live_code: Option<&[u8]>) -> bool {
        live_code == Some(self.code.as_slice()) && live.same_config(&self.dev)
    }
}

/// Creates, updates or keeps DEVELOPMENT; records what it did in `report`. `store_arn` is the
/// ARN of the store the plan names (resolved by the store's task), which the plan cannot hold.
pub(super) async fn sync(
    cf: &CloudFront,
    fp: &FunctionPlan,
    store_arn: Option<&KvsArn>,
    dev: Option<FunctionState>,
    dev_code: Option<Vec<u8>>,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    match (dev, fp.code()) {
        (None, None) => Err(FunctionError::Missing {
            name: fp.name().clone(),
        }),
        (None, Some(code)) => create(cf, fp, store_arn, code, report).await,
        (Some(dev), Some(code)) => update(cf, fp, store_arn, dev, dev_code, code, report).await,
        (Some(dev), None) => Ok(Synced {
            dev,
            code: dev_code.unwrap_or_default(),
        }),
    }
}

/// The associations the plan asks for, with a resolved store in place of its name.
fn wanted_arns(fp: &FunctionPlan, store_arn: Option<&KvsArn>) -> Option<Vec<KvsArn>> {
    store_arn
        .map(|a| vec![a.clone()])
        .or_else(|| fp.kvs_arns().map(<[_]>::to_vec))
}

async fn create(
    cf: &CloudFront,
    fp: &FunctionPlan,
    store_arn: Option<&KvsArn>,
    code: &str,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    let spec = FunctionSpec {
        runtime: fp.runtime().unwrap_or_default(),
        comment: fp.comment().unwrap_or_default().to_owned(),
        kvs_arns: wanted_arns(fp, store_arn).unwrap_or_default(),
        code: code.to_owned(),
    };
    let state = match cf.create(fp.name(), &spec).await {
        Ok(state) => state,
        Err(e) if e.is_already_exists() || e.may_have_applied() => {
            return recognise(cf, fp, &spec, e, report).await;
        }
        Err(e) => return Err(FunctionError::aws(fp.name(), e)),
    };
    report.changed = true;
    report
        .steps
        .push(format!("CreateFunction: DEVELOPMENT ETag {}", state.etag));
    Ok(Synced {
        dev: state,
        code: code.as_bytes().to_vec(),
    })
}

async fn update(
    cf: &CloudFront,
    fp: &FunctionPlan,
    store_arn: Option<&KvsArn>,
    dev: FunctionState,
    dev_code: Option<Vec<u8>>,
    code: &str,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    // What the plan leaves unset keeps what DEVELOPMENT has, the runtime too.
    let spec = FunctionSpec {
        runtime: fp.runtime().unwrap_or(dev.runtime),
        comment: fp.comment().unwrap_or(&dev.comment).to_owned(),
        kvs_arns: wanted_arns(fp, store_arn).unwrap_or_else(|| dev.kvs_arns.clone()),
        code: code.to_owned(),
    };
    if dev_code.as_deref().is_some_and(|c| dev.holds(c, &spec)) {
        report
            .steps
            .push("sync: DEVELOPMENT already holds this code and config".to_owned());
        return Ok(Synced {
            dev,
            code: code.as_bytes().to_vec(),
        });
    }
    let state = match cf.update(fp.name(), &dev.etag, &spec).await {
        Ok(state) => state,
        Err(e) if e.is_precondition_failed() || e.may_have_applied() => {
            return recognise(cf, fp, &spec, e, report).await;
        }
        Err(e) => return Err(FunctionError::aws(fp.name(), e)),
    };
    report.changed = true;
    report.steps.push(format!(
        "UpdateFunction: DEVELOPMENT ETag {} -> {}",
        dev.etag, state.etag
    ));
    Ok(Synced {
        dev: state,
        code: code.as_bytes().to_vec(),
    })
}

/// After a create or update that may have been applied although it failed (`err`), reads
/// DEVELOPMENT: when it holds exactly `spec`, the write was this run's and the run goes on from
/// its ETag; otherwise (someone else's change, or the read fails) the write's own error stands.
async fn recognise(
    cf: &CloudFront,
    fp: &FunctionPlan,
    spec: &FunctionSpec,
    err: AwsError,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    let read = read::read_stage(cf, fp.name(), Stage::Development).await;
    let Ok(Some((dev, code))) = read else {
        return Err(FunctionError::aws(fp.name(), err));
    };
    if !dev.holds(&code, spec) {
        return Err(FunctionError::aws(fp.name(), err));
    }
    report.changed = true;
    report.steps.push(format!(
        "{}: the answer was lost (the call ended in {}); DEVELOPMENT ETag {} holds exactly this run's code and config: recognised as this run's write",
        err.operation, err.code, dev.etag
    ));
    Ok(Synced { dev, code })
}
