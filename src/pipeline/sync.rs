//! Step 2, sync: make DEVELOPMENT hold the plan's code and config. Create the function when it is
//! missing; update it only when code or config differ; otherwise leave it alone.

use crate::aws::{CloudFront, FunctionSpec, FunctionState};
use crate::plan::FunctionPlan;
use crate::report::FunctionReport;

use super::FunctionError;

/// DEVELOPMENT after the sync, with the code it holds (the code that will be tested).
pub(super) struct Synced {
    pub(super) dev: FunctionState,
    pub(super) code: Vec<u8>,
}

impl Synced {
    /// True when LIVE already holds exactly this code and config (nothing to publish).
    pub(super) fn matches(&self, live: Option<&FunctionState>, live_code: Option<&[u8]>) -> bool {
        match (live, live_code) {
            (Some(l), Some(lc)) => {
                lc == self.code.as_slice()
                    && l.runtime == self.dev.runtime
                    && l.comment == self.dev.comment
                    && l.kvs_arns == self.dev.kvs_arns
            }
            _ => false,
        }
    }
}

/// Creates, updates or keeps DEVELOPMENT; records what it did in `report`.
pub(super) async fn sync(
    cf: &CloudFront,
    fp: &FunctionPlan,
    dev: Option<FunctionState>,
    dev_code: Option<Vec<u8>>,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    match (dev, fp.code()) {
        (None, None) => Err(FunctionError::Missing {
            name: fp.name().clone(),
        }),
        (None, Some(code)) => create(cf, fp, code, report).await,
        (Some(dev), Some(code)) => update(cf, fp, dev, dev_code, code, report).await,
        (Some(dev), None) => Ok(Synced {
            dev,
            code: dev_code.unwrap_or_default(),
        }),
    }
}

async fn create(
    cf: &CloudFront,
    fp: &FunctionPlan,
    code: &str,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    let spec = FunctionSpec {
        runtime: fp.runtime(),
        comment: fp.comment().unwrap_or_default().to_owned(),
        kvs_arns: fp.kvs_arns().map(<[_]>::to_vec).unwrap_or_default(),
        code: code.to_owned(),
    };
    let state = cf
        .create(fp.name(), &spec)
        .await
        .map_err(|e| FunctionError::aws(fp.name(), e))?;
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
    dev: FunctionState,
    dev_code: Option<Vec<u8>>,
    code: &str,
    report: &mut FunctionReport,
) -> Result<Synced, FunctionError> {
    // What the plan leaves unset keeps what DEVELOPMENT has.
    let spec = FunctionSpec {
        runtime: fp.runtime(),
        comment: fp.comment().unwrap_or(&dev.comment).to_owned(),
        kvs_arns: fp.kvs_arns().unwrap_or(&dev.kvs_arns).to_vec(),
        code: code.to_owned(),
    };
    let differs = dev_code.as_deref() != Some(code.as_bytes())
        || dev.runtime != spec.runtime
        || dev.comment != spec.comment
        || dev.kvs_arns != spec.kvs_arns;
    if !differs {
        report
            .steps
            .push("sync: DEVELOPMENT already holds this code and config".to_owned());
        return Ok(Synced {
            dev,
            code: code.as_bytes().to_vec(),
        });
    }
    let state = cf
        .update(fp.name(), &dev.etag, &spec)
        .await
        .map_err(|e| FunctionError::aws(fp.name(), e))?;
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
