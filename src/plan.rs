//! The validated plan of a run: which functions, with which code, config and tests, and how to
//! reach AWS and GitHub. Pure data, built only by [`crate::inputs`]; no I/O happens here.

use crate::github::GithubSettings;
use crate::testcase::TestCase;
use crate::types::{Etag, FunctionName, Runtime};

/// Everything one run will do, fully validated.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The functions, in order (one, or a manifest's).
    pub functions: Vec<FunctionPlan>,
    /// Manifest path as the user wrote it, for a manifest run.
    pub manifest: Option<String>,
    /// False: update and test only.
    pub publish: bool,
    /// Expected DEVELOPMENT ETag (single-function runs).
    pub if_match: Option<Etag>,
    /// Functions processed at once.
    pub concurrency: usize,
    /// Whether one function's failed test blocks the others' publish.
    pub fail_fast: FailFast,
    /// How to reach CloudFront.
    pub aws: AwsSettings,
    /// How to reach GitHub for the PR comment.
    pub github: GithubSettings,
    /// Commit the run is for.
    pub sha: Option<String>,
    /// Link to the workflow run.
    pub run_url: Option<String>,
}

impl Plan {
    /// The sticky comment's target: the function name, or `manifest:PATH`.
    pub fn comment_target(&self) -> String {
        match (&self.manifest, self.functions.first()) {
            (Some(path), _) => format!("manifest:{path}"),
            (None, Some(f)) => f.name.to_string(),
            (None, None) => "cloudfront-publish".to_owned(),
        }
    }
}

/// One function's desired state and tests.
#[derive(Debug, Clone)]
pub struct FunctionPlan {
    /// The function.
    pub name: FunctionName,
    /// Code to sync; `None` tests and publishes what DEVELOPMENT holds.
    pub code: Option<String>,
    /// Runtime for create and update.
    pub runtime: Runtime,
    /// Comment to set; `None` keeps the existing one.
    pub comment: Option<String>,
    /// Key value store ARNs to associate; `None` keeps the existing associations.
    pub kvs_arns: Option<Vec<String>>,
    /// Test cases, run through TestFunction.
    pub tests: Vec<TestCase>,
    /// Highest compute utilization any test may report.
    pub max_compute_utilization: u32,
}

/// How a manifest run treats one function's failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailFast {
    /// Publish nothing unless every function's tests pass (default).
    #[default]
    AllOrNothing,
    /// Publish each function whose own tests pass.
    Independent,
}

/// How to reach CloudFront.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Signing region (CloudFront is global; us-east-1 by default).
    pub region: String,
    /// Endpoint override for CloudFront only.
    pub endpoint_url: Option<String>,
    /// Role to assume with the workflow's OIDC token.
    pub role_to_assume: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and its bearer token.
    pub oidc_request: Option<(String, String)>,
}
