//! Step 1, read: both stages' config and code in one round trip, refused when a stage changed
//! between the two requests; then the `if-match` guard.

use crate::aws::{CloudFront, FunctionState, StageCode};
use crate::plan::FunctionPlan;
use crate::types::{Etag, FunctionName, Stage};

use super::FunctionError;

/// What both stages hold, each config and code from the same version.
pub(super) struct Stages {
    pub(super) dev: Option<FunctionState>,
    pub(super) dev_code: Option<Vec<u8>>,
    pub(super) live: Option<FunctionState>,
    pub(super) live_code: Option<Vec<u8>>,
}

impl Stages {
    /// The log line of the read step.
    pub(super) fn step_line(&self) -> String {
        match &self.dev {
            Some(d) => format!(
                "read: DEVELOPMENT ETag {} ({}), LIVE {}",
                d.etag,
                d.status,
                self.live
                    .as_ref()
                    .map_or("none".to_owned(), |l| format!("ETag {}", l.etag))
            ),
            None => "read: the function does not exist yet".to_owned(),
        }
    }
}

/// DescribeFunction and GetFunction on both stages, all four at once.
pub(super) async fn read(cf: &CloudFront, fp: &FunctionPlan) -> Result<Stages, FunctionError> {
    let name = fp.name();
    let (dev, dev_code, live, live_code) = tokio::try_join!(
        cf.describe(name, Stage::Development),
        cf.get_code(name, Stage::Development),
        cf.describe(name, Stage::Live),
        cf.get_code(name, Stage::Live),
    )
    .map_err(|e| FunctionError::aws(name, e))?;
    // Config and code come from two requests: another writer in between would make us compare
    // (and test) one version while believing it is another.
    for (stage, state, code) in [
        (Stage::Development, &dev, &dev_code),
        (Stage::Live, &live, &live_code),
    ] {
        same_version(state, code).map_err(|why| FunctionError::TornRead {
            name: name.clone(),
            stage,
            why,
        })?;
    }
    Ok(Stages {
        dev,
        dev_code: dev_code.map(|c| c.code),
        live,
        live_code: live_code.map(|c| c.code),
    })
}

/// A missing function has no ETag, which is not the one expected either: never create it then.
pub(super) fn check_if_match(
    fp: &FunctionPlan,
    dev: Option<&FunctionState>,
    expected: Option<&Etag>,
) -> Result<(), FunctionError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let current = dev.map(|d| &d.etag);
    if current == Some(expected) {
        return Ok(());
    }
    Err(FunctionError::IfMatch {
        name: fp.name().clone(),
        found: current.map_or("the function does not exist".to_owned(), |e| {
            format!("the DEVELOPMENT ETag is {e}")
        }),
        expected: expected.clone(),
    })
}

/// DescribeFunction and GetFunction of one stage at once, refused when they saw two versions:
/// what a lost answer's recovery reads to see whether this run's write went through.
pub(super) async fn read_stage(
    cf: &CloudFront,
    name: &FunctionName,
    stage: Stage,
) -> Result<Option<(FunctionState, Vec<u8>)>, FunctionError> {
    let (state, code) = tokio::try_join!(cf.describe(name, stage), cf.get_code(name, stage))
        .map_err(|e| FunctionError::aws(name, e))?;
    same_version(&state, &code).map_err(|why| FunctionError::TornRead {
        name: name.clone(),
        stage,
        why,
    })?;
    Ok(state.zip(code.map(|c| c.code)))
}

/// Checks that DescribeFunction and GetFunction saw the same version of a stage. A GetFunction
/// answer without an ETag proves nothing, so it is refused rather than trusted.
fn same_version(state: &Option<FunctionState>, code: &Option<StageCode>) -> Result<(), String> {
    match (state, code) {
        (None, None) => Ok(()),
        (Some(s), Some(StageCode { etag: Some(e), .. })) if &s.etag != e => Err(format!(
            "DescribeFunction saw ETag {}, GetFunction {e}",
            s.etag
        )),
        (Some(_), Some(StageCode { etag: None, .. })) => Err(
            "GetFunction answered without an ETag, so its code cannot be tied to DescribeFunction's version"
                .to_owned(),
        ),
        (Some(_), Some(_)) => Ok(()),
        (Some(_), None) | (None, Some(_)) => {
            Err("it appeared or vanished between DescribeFunction and GetFunction".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FunctionStatus, Runtime};

    fn state(etag: &str) -> FunctionState {
        FunctionState {
            arn: String::new(),
            etag: etag.parse().unwrap(),
            status: FunctionStatus::Unpublished,
            runtime: Runtime::Js2,
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
        // No ETag on GetFunction: nothing ties its code to the described version.
        let err = same_version(&Some(state("E1")), &Some(code(None))).unwrap_err();
        assert!(err.contains("without an ETag"), "{err}");
        let err = same_version(&Some(state("E1")), &Some(code(Some("E2")))).unwrap_err();
        assert!(err.contains("E1") && err.contains("E2"), "{err}");
        assert!(same_version(&None, &Some(code(Some("E1")))).is_err());
        assert!(same_version(&Some(state("E1")), &None).is_err());
    }
}
