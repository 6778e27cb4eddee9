//! What a run found, and its renderings: step outputs, job summary, annotations, PR comment.
//!
//! Renders; never fetches. The pipeline fills a [`Report`]; the front doors write it out.

pub mod comment;
pub mod distributions;
pub mod kvs;
mod markdown;
pub mod outputs;
pub mod summary;
pub mod terminal;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::distributions::Distribution;
use crate::types::{Etag, FunctionName, FunctionStatus, Stage};

/// One test case's result, as the `test-results` output lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TestResult {
    /// The case's name.
    pub name: String,
    /// Whether every expectation held (and utilization was within the limit).
    pub passed: bool,
    /// ComputeUtilization reported by TestFunction.
    pub compute_utilization: Option<u32>,
    /// FunctionOutput, parsed when it is JSON.
    pub output: Option<serde_json::Value>,
    /// FunctionExecutionLogs.
    pub logs: Vec<String>,
    /// FunctionErrorMessage, or why the case failed to run.
    pub error: Option<String>,
    /// Readable differences from `expect` (empty when passed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
    /// The test case file, for a person looking for the failing case (not an output).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

impl TestResult {
    /// What went wrong, one line each: the error, then the differences from `expect`. Every
    /// rendering (annotations, summary, comment, terminal) shows these lines.
    pub fn detail(&self) -> impl Iterator<Item = &String> {
        self.error.iter().chain(self.diff.iter())
    }
}

/// Final state of one function after the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FunctionReport {
    /// Function name.
    #[serde(serialize_with = "ser_display")]
    pub name: FunctionName,
    /// The function's ARN (same for both stages), when known.
    pub function_arn: Option<String>,
    /// `LIVE` after a publish (or when LIVE already held this code), else `DEVELOPMENT`.
    #[serde(serialize_with = "ser_stage")]
    pub stage: Stage,
    /// ETag of that stage, as DescribeFunction returns it.
    #[serde(serialize_with = "ser_opt_display")]
    pub etag: Option<Etag>,
    /// FunctionMetadata.Status of that stage (UNPUBLISHED / UNASSOCIATED / DEPLOYED).
    #[serde(serialize_with = "ser_opt_display")]
    pub status: Option<FunctionStatus>,
    /// True when PublishFunction succeeded in this run.
    pub published: bool,
    /// True when at least one test ran and every test passed, on the ETag that was published (or
    /// reported); false for a function without test cases.
    pub tested: bool,
    /// True when code or config was created or updated in this run.
    pub changed: bool,
    /// Highest ComputeUtilization over the tests.
    pub compute_utilization: Option<u32>,
    /// Every test case's result.
    pub test_results: Vec<TestResult>,
    /// Why this function failed, when it did (one line).
    pub error: Option<String>,
    /// Why a function that did not fail was still not published (all-or-nothing manifests, `publish: false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Passed, but not published because another function of an all-or-nothing manifest failed.
    #[serde(skip)]
    pub held_back: bool,
    /// Problems that did not fail the function (annotated as warnings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The key value store this function's run synced (shared stores: the same for each user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_value_store: Option<kvs::StoreReport>,
    /// The distributions whose cache behaviors run the function; `None` when unknown (the listing
    /// failed, or the function's ARN is not known). Serialized as an array either way.
    #[serde(serialize_with = "ser_distributions")]
    pub distributions: Option<Vec<Distribution>>,
    /// What was done, one line per step, for the log's `::group::` (not an output).
    #[serde(skip)]
    pub steps: Vec<String>,
    /// Wall time spent on this function.
    #[serde(skip)]
    pub duration: Duration,
}

fn ser_stage<S: serde::Serializer>(stage: &Stage, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(stage.as_str())
}

fn ser_distributions<S: serde::Serializer>(
    d: &Option<Vec<Distribution>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    d.as_deref().unwrap_or_default().serialize(s)
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn ser_opt_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

impl FunctionReport {
    /// True when the function ended without error.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// True when this run published code that no test ran against (no test cases).
    pub fn published_untested(&self) -> bool {
        self.published && !self.tested
    }
}

/// Everything one run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// One entry per function, in plan order.
    pub functions: Vec<FunctionReport>,
    /// Manifest path when the run came from one.
    pub manifest: Option<String>,
    /// Commit the run was for (`GITHUB_SHA`).
    pub sha: Option<String>,
    /// Link to the workflow run.
    pub run_url: Option<String>,
    /// The PR comment's `html_url`, when one was written.
    pub comment_url: Option<String>,
    /// Problems of the whole run that failed nothing (one distribution listing for all functions).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Report {
    /// True when every function succeeded.
    pub fn succeeded(&self) -> bool {
        self.functions.iter().all(FunctionReport::succeeded)
    }
}
