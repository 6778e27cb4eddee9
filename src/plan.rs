//! The validated plan of a run: which functions, with which code, config and tests, and how to
//! reach AWS and GitHub. Pure data; no I/O happens here.
//!
//! A [`Plan`] and its [`FunctionPlan`]s can only be built through the `with_*` constructors below,
//! which run the same checks ([`crate::checks`]) as every loader, so code past the plan never
//! re-checks. The settings types for AWS and GitHub live here: the adapters depend on the plan,
//! not on each other.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::checks;
use crate::kvs::{KvsData, StoreRef};
use crate::testcase::TestCase;
use crate::types::{Etag, FunctionName, InvalidValue, KvsArn, Runtime};

/// Functions processed at once when nothing else is asked (the `concurrency` input's default).
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Everything one run will do, fully validated.
#[derive(Debug, Clone)]
pub struct Plan {
    functions: Vec<FunctionPlan>,
    stores: Vec<StorePlan>,
    manifest: Option<String>,
    publish: bool,
    if_match: Option<Etag>,
    concurrency: usize,
    fail_fast: FailFast,
    aws: AwsSettings,
    github: GithubSettings,
    run_url: Option<String>,
}

impl Plan {
    /// A plan for `functions` with the inputs' defaults (publish, concurrency 4, all-or-nothing).
    /// Fails when there is no function or a name appears twice.
    pub fn new(functions: Vec<FunctionPlan>) -> Result<Self, InvalidValue> {
        if functions.is_empty() {
            return Err(InvalidValue(
                "a plan needs at least one function".to_owned(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = functions.iter().find(|f| !seen.insert(&f.name)) {
            return Err(InvalidValue(format!(
                "duplicate function name {}",
                dup.name
            )));
        }
        Ok(Self {
            functions,
            stores: Vec::new(),
            manifest: None,
            publish: true,
            if_match: None,
            concurrency: DEFAULT_CONCURRENCY,
            fail_fast: FailFast::default(),
            aws: AwsSettings::default(),
            github: GithubSettings::default(),
            run_url: None,
        })
    }

    /// Key value stores to fill from data files; each must be one that a function of the plan uses,
    /// and appear once.
    pub fn with_stores(mut self, stores: Vec<StorePlan>) -> Result<Self, InvalidValue> {
        let mut seen = std::collections::BTreeSet::new();
        for sp in &stores {
            if !seen.insert(&sp.store) {
                return Err(InvalidValue(format!(
                    "key value store {} is given twice",
                    sp.store
                )));
            }
            if !self.functions.iter().any(|f| f.store() == Some(&sp.store)) {
                return Err(InvalidValue(format!(
                    "key value store {} has data but no function uses it",
                    sp.store
                )));
            }
        }
        self.stores = stores;
        Ok(self)
    }

    /// The run comes from the manifest at `path` (as the user wrote it).
    pub fn with_manifest(mut self, path: String) -> Self {
        self.manifest = Some(path);
        self
    }

    /// False: update and test only.
    pub fn with_publish(mut self, publish: bool) -> Self {
        self.publish = publish;
        self
    }

    /// The DEVELOPMENT ETag expected before anything changes; for a single function only.
    pub fn with_if_match(mut self, etag: Option<Etag>) -> Result<Self, InvalidValue> {
        if etag.is_some() && self.functions.len() > 1 {
            return Err(InvalidValue(
                "if-match applies to a single function, not a manifest".to_owned(),
            ));
        }
        self.if_match = etag;
        Ok(self)
    }

    /// Functions processed at once (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Result<Self, InvalidValue> {
        if n == 0 {
            return Err(InvalidValue(format!("{n:?} is not a positive integer")));
        }
        self.concurrency = n;
        Ok(self)
    }

    /// Whether one function's failed test blocks the others' publish.
    pub fn with_fail_fast(mut self, fail_fast: FailFast) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// How to reach CloudFront.
    pub fn with_aws(mut self, aws: AwsSettings) -> Self {
        self.aws = aws;
        self
    }

    /// How to reach GitHub for the PR comment (and which commit the run is for).
    pub fn with_github(mut self, github: GithubSettings) -> Self {
        self.github = github;
        self
    }

    /// Link to the workflow run.
    pub fn with_run_url(mut self, url: Option<String>) -> Self {
        self.run_url = url;
        self
    }

    /// The functions, in order (one, or a manifest's).
    pub fn functions(&self) -> &[FunctionPlan] {
        &self.functions
    }

    /// Key value stores filled from data files.
    pub fn stores(&self) -> &[StorePlan] {
        &self.stores
    }

    /// Manifest path as the user wrote it, for a manifest run.
    pub fn manifest(&self) -> Option<&str> {
        self.manifest.as_deref()
    }

    /// False: update and test only.
    pub fn publish(&self) -> bool {
        self.publish
    }

    /// Expected DEVELOPMENT ETag (single-function runs).
    pub fn if_match(&self) -> Option<&Etag> {
        self.if_match.as_ref()
    }

    /// Functions processed at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Whether one function's failed test blocks the others' publish.
    pub fn fail_fast(&self) -> FailFast {
        self.fail_fast
    }

    /// How to reach CloudFront.
    pub fn aws(&self) -> &AwsSettings {
        &self.aws
    }

    /// How to reach GitHub.
    pub fn github(&self) -> &GithubSettings {
        &self.github
    }

    /// Commit the run is for (`GITHUB_SHA`).
    pub fn sha(&self) -> Option<&str> {
        self.github.sha.as_deref()
    }

    /// Link to the workflow run.
    pub fn run_url(&self) -> Option<&str> {
        self.run_url.as_deref()
    }

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
    name: FunctionName,
    code: Option<String>,
    runtime: Option<Runtime>,
    comment: Option<String>,
    kvs_arns: Option<Vec<KvsArn>>,
    store: Option<StoreRef>,
    tests: Vec<TestCase>,
    max_compute_utilization: u32,
}

impl FunctionPlan {
    /// A function that keeps DEVELOPMENT's code, comment and associations, with no tests and a
    /// compute utilization limit of 100, synced with `runtime`.
    pub fn new(name: FunctionName, runtime: Runtime) -> Self {
        Self {
            runtime: Some(runtime),
            ..Self::keeping_runtime(name)
        }
    }

    /// Like [`FunctionPlan::new`], but an existing function keeps its runtime and a new one gets
    /// [`Runtime::default`]: for when neither the input nor the manifest names a runtime.
    pub fn keeping_runtime(name: FunctionName) -> Self {
        Self {
            name,
            code: None,
            runtime: None,
            comment: None,
            kvs_arns: None,
            store: None,
            tests: Vec::new(),
            max_compute_utilization: 100,
        }
    }

    /// Code to sync, read from `file` (named in messages): it compiles in the runtime the plan
    /// names (else in either runtime), and is not blank and within the size quota. Checked here
    /// once for every way a plan is built, before any request.
    pub fn with_code(mut self, code: String, file: &str) -> Result<Self, InvalidValue> {
        checks::compiles(&code, self.runtime, file)?;
        let code = checks::code(code.into_bytes())
            .map_err(|e| InvalidValue(format!("{file}: {}", e.0)))?;
        self.code = Some(code);
        Ok(self)
    }

    /// Comment to set (at most 128 characters).
    pub fn with_comment(mut self, comment: String) -> Result<Self, InvalidValue> {
        checks::comment(&comment)?;
        self.comment = Some(comment);
        Ok(self)
    }

    /// Key value stores to associate (at most one, runtime 2.0); an empty list removes them.
    pub fn with_kvs_arns(mut self, arns: Vec<KvsArn>) -> Result<Self, InvalidValue> {
        // An unnamed runtime is checked by CloudFront on update (a 1.0 function refuses them).
        checks::kvs_association(arns.len(), self.runtime.unwrap_or_default())?;
        self.kvs_arns = Some(arns);
        Ok(self)
    }

    /// The key value store to associate (runtime 2.0). An ARN is the same as `with_kvs_arns` of
    /// it; a name is resolved to its ARN when the run reads the store.
    pub fn with_store(mut self, store: StoreRef) -> Result<Self, InvalidValue> {
        checks::kvs_association(1, self.runtime.unwrap_or_default())?;
        if let StoreRef::Arn(arn) = &store {
            if self
                .kvs_arns
                .as_ref()
                .is_some_and(|a| a != std::slice::from_ref(arn))
            {
                return Err(InvalidValue(format!(
                    "key value store {arn} differs from the key value store ARN already given"
                )));
            }
            self.kvs_arns = Some(vec![arn.clone()]);
        } else if self.kvs_arns.as_ref().is_some_and(|a| !a.is_empty()) {
            return Err(InvalidValue(
                "give the store by name or by ARN, not both".to_owned(),
            ));
        }
        self.store = Some(store);
        Ok(self)
    }

    /// Test cases, run through TestFunction.
    pub fn with_tests(mut self, tests: Vec<TestCase>) -> Self {
        self.tests = tests;
        self
    }

    /// Highest compute utilization any test may report (0-100).
    pub fn with_max_compute_utilization(mut self, n: u32) -> Result<Self, InvalidValue> {
        self.max_compute_utilization = checks::utilization(n)?;
        Ok(self)
    }

    /// The function.
    pub fn name(&self) -> &FunctionName {
        &self.name
    }

    /// Code to sync; `None` tests and publishes what DEVELOPMENT holds.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Runtime for create and update; `None` keeps the function's (and creates with the default).
    pub fn runtime(&self) -> Option<Runtime> {
        self.runtime
    }

    /// Comment to set; `None` keeps the existing one.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// Key value store ARNs to associate; `None` keeps the existing associations.
    pub fn kvs_arns(&self) -> Option<&[KvsArn]> {
        self.kvs_arns.as_deref()
    }

    /// The key value store this function is associated with through the plan, if any.
    pub fn store(&self) -> Option<&StoreRef> {
        self.store.as_ref()
    }

    /// Test cases, run through TestFunction.
    pub fn tests(&self) -> &[TestCase] {
        &self.tests
    }

    /// Highest compute utilization any test may report.
    pub fn max_compute_utilization(&self) -> u32 {
        self.max_compute_utilization
    }
}

/// A key value store filled from a data file: the keys it must hold after the run.
#[derive(Debug, Clone)]
pub struct StorePlan {
    store: StoreRef,
    data: KvsData,
    source: String,
}

impl StorePlan {
    /// `data` (already validated by `kvs::data`) for `store`, read from `source` (as written).
    pub fn new(store: StoreRef, data: KvsData, source: String) -> Self {
        Self {
            store,
            data,
            source,
        }
    }

    /// The store.
    pub fn store(&self) -> &StoreRef {
        &self.store
    }

    /// The keys and values it must hold.
    pub fn data(&self) -> &KvsData {
        &self.data
    }

    /// The data file as the user wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }
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

/// How to reach CloudFront. Its `Debug` leaves out the OIDC bearer token.
#[derive(Clone, Default)]
pub struct AwsSettings {
    /// Signing region (CloudFront is global; us-east-1 by default).
    pub region: String,
    /// Endpoint override for CloudFront only.
    pub endpoint_url: Option<String>,
    /// Endpoint override for the key value store data plane (the `endpoint-url` input; without it
    /// the SDK reads `AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE`, then `AWS_ENDPOINT_URL`).
    pub kvs_endpoint_url: Option<String>,
    /// Role to assume with the workflow's OIDC token.
    pub role_to_assume: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and its bearer token.
    pub oidc_request: Option<(String, String)>,
}

impl std::fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSettings")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("kvs_endpoint_url", &self.kvs_endpoint_url)
            .field("role_to_assume", &self.role_to_assume)
            .field("oidc_request", &redacted_oidc(&self.oidc_request))
            .finish()
    }
}

/// The OIDC request URL and its bearer token as `Debug` may show them: the token left out.
pub(crate) fn redacted_oidc(request: &Option<(String, String)>) -> Option<(&str, &str)> {
    request
        .as_ref()
        .map(|(url, _)| (url.as_str(), "<redacted>"))
}

/// The GitHub API root when `GITHUB_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// How the run comments on its pull request (`pr-comment` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommentMode {
    /// Create one comment and update it on later runs (found by its marker).
    #[default]
    Sticky,
    /// Create a new comment on every run.
    New,
    /// Never talk to GitHub.
    Off,
}

impl CommentMode {
    /// The input value (`sticky` / `new` / `off`).
    pub fn as_str(self) -> &'static str {
        match self {
            CommentMode::Sticky => "sticky",
            CommentMode::New => "new",
            CommentMode::Off => "off",
        }
    }
}

impl FromStr for CommentMode {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sticky" => Ok(CommentMode::Sticky),
            "new" => Ok(CommentMode::New),
            "off" => Ok(CommentMode::Off),
            other => Err(InvalidValue(format!(
                "{other:?} is not a comment mode (expected sticky, new or off)"
            ))),
        }
    }
}

impl fmt::Display for CommentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The GitHub side of a run: the Actions context (filled from the environment) and the comment
/// inputs. The one copy of `GITHUB_SHA` and friends.
#[derive(Clone, Default)]
pub struct GithubSettings {
    /// `GITHUB_API_URL`, path included (`https://ghe.example/api/v3`); empty = api.github.com.
    pub api_url: String,
    /// The `github-token` input.
    pub token: Option<String>,
    /// `GITHUB_REPOSITORY` (`owner/repo`).
    pub repository: Option<String>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH` (the event payload JSON).
    pub event_path: Option<PathBuf>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// The `pr-number` input.
    pub pr_number: Option<u64>,
    /// The `pr-comment` input.
    pub mode: CommentMode,
}

// Hand-written so the token can never reach a log through `{:?}`.
impl fmt::Debug for GithubSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubSettings")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("repository", &self.repository)
            .field("event_name", &self.event_name)
            .field("event_path", &self.event_path)
            .field("sha", &self.sha)
            .field("pr_number", &self.pr_number)
            .field("mode", &self.mode)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> FunctionPlan {
        FunctionPlan::new(name.parse().unwrap(), Runtime::Js2)
    }

    #[test]
    fn a_plan_needs_functions_with_distinct_names() {
        assert!(Plan::new(vec![]).is_err());
        let err = Plan::new(vec![f("a"), f("b"), f("a")]).unwrap_err();
        assert!(err.0.contains("duplicate function name a"), "{err}");
        assert!(Plan::new(vec![f("a"), f("b")]).is_ok());
    }

    #[test]
    fn function_plans_refuse_what_cloudfront_refuses() {
        assert!(f("a").with_comment("x".repeat(129)).is_err());
        assert!(f("a").with_max_compute_utilization(101).is_err());
        assert!(f("a").with_code("  \n".to_owned(), "a.js").is_err());
        let arn: KvsArn =
            "arn:aws:cloudfront::123456789012:key-value-store/0123456789abcdef0123456789abcdef0123"
                .parse()
                .unwrap();
        assert!(
            f("a")
                .with_kvs_arns(vec![arn.clone(), arn.clone()])
                .is_err()
        );
        let js1 = FunctionPlan::new("a".parse().unwrap(), Runtime::Js1);
        assert!(js1.with_kvs_arns(vec![arn]).is_err());
    }

    #[test]
    fn code_must_compile_in_the_runtime_the_plan_names() {
        let code = "function handler(e) { let uri = e.request.uri; return e.request; }";
        let js1 = FunctionPlan::new("a".parse().unwrap(), Runtime::Js1);
        let err = js1.with_code(code.to_owned(), "fn/a.js").unwrap_err();
        assert!(err.0.contains("fn/a.js") && err.0.contains("let"), "{err}");
        assert!(f("a").with_code(code.to_owned(), "fn/a.js").is_ok());
        let unnamed = FunctionPlan::keeping_runtime("a".parse().unwrap());
        assert!(unnamed.with_code(code.to_owned(), "fn/a.js").is_ok());
        let err = f("a")
            .with_code("function handler(e) {".to_owned(), "fn/b.js")
            .unwrap_err();
        assert!(err.0.contains("fn/b.js"), "{err}");
    }

    #[test]
    fn stores_need_runtime_2_a_user_and_one_spelling() {
        let data = || StorePlan::new(StoreRef::Name("kv".into()), KvsData::new(), "d.json".into());
        let js1 = FunctionPlan::new("a".parse().unwrap(), Runtime::Js1);
        assert!(js1.with_store(StoreRef::Name("kv".into())).is_err());
        let user = f("a").with_store(StoreRef::Name("kv".into())).unwrap();
        assert!(
            Plan::new(vec![user.clone()])
                .unwrap()
                .with_stores(vec![data()])
                .is_ok()
        );
        let err = Plan::new(vec![f("b")])
            .unwrap()
            .with_stores(vec![data()])
            .unwrap_err();
        assert!(err.0.contains("no function uses it"), "{err}");
        let err = Plan::new(vec![user])
            .unwrap()
            .with_stores(vec![data(), data()])
            .unwrap_err();
        assert!(err.0.contains("given twice"), "{err}");
        let arn: KvsArn =
            "arn:aws:cloudfront::123456789012:key-value-store/0123456789abcdef0123456789abcdef0123"
                .parse()
                .unwrap();
        let by_arn = f("c").with_store(StoreRef::Arn(arn.clone())).unwrap();
        assert_eq!(by_arn.kvs_arns(), Some(std::slice::from_ref(&arn)));
        let both = f("d").with_kvs_arns(vec![arn]).unwrap();
        assert!(both.with_store(StoreRef::Name("kv".into())).is_err());
    }

    #[test]
    fn if_match_is_for_a_single_function() {
        let etag: Etag = "E1".parse().unwrap();
        assert!(
            Plan::new(vec![f("a"), f("b")])
                .unwrap()
                .with_if_match(Some(etag.clone()))
                .is_err()
        );
        assert!(
            Plan::new(vec![f("a")])
                .unwrap()
                .with_if_match(Some(etag))
                .is_ok()
        );
    }
}
