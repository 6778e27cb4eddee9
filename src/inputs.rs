//! Inputs as the runner passes them (`INPUT_FUNCTION-NAME`, …) or as `publish` flags, validated into a
//! [`Plan`] before anything touches the network.
//!
//! One place reads the environment; everything after works on typed values. Not for: doing any I/O
//! beyond reading the files the inputs name (function code, test cases, manifest).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checks::{self, split_list};
use crate::kvs::{self, StoreRef};
use crate::manifest;
use crate::plan::{
    AwsSettings, CommentMode, DEFAULT_API_URL, FailFast, FunctionPlan, GithubSettings, Plan,
    StorePlan,
};
use crate::testcase;
use crate::types::{Etag, FunctionName, InvalidValue, Runtime};

/// Every input of `action.yml`, in its order: (name, default, one-line help).
pub const INPUTS: &[(&str, &str, &str)] = &[
    (
        "function-name",
        "",
        "CloudFront function name (required unless manifest)",
    ),
    (
        "function-file",
        "",
        "JavaScript file to create or update the function with",
    ),
    (
        "runtime",
        "",
        "cloudfront-js-1.0 or cloudfront-js-2.0; empty keeps the function's runtime (cloudfront-js-2.0 on create)",
    ),
    (
        "comment",
        "",
        "function comment (at most 128 characters; empty keeps the existing one)",
    ),
    (
        "key-value-store-arns",
        "",
        "key value store ARN (at most 1, runtime 2.0; empty keeps the existing association)",
    ),
    (
        "key-value-store",
        "",
        "name or ARN of the function's key value store (runtime 2.0): associates it",
    ),
    (
        "key-value-store-data",
        "",
        "JSON/YAML file with the store's keys: created if missing, synced around the publish",
    ),
    (
        "test-events",
        "",
        "test case files, quoted globs or folders (every .json/.yaml/.yml in it); newline- or comma-separated, repeatable",
    ),
    (
        "max-compute-utilization",
        "100",
        "fail, and do not publish, when a test reports more (0-100)",
    ),
    ("publish", "true", "false: update and test only"),
    (
        "if-match",
        "",
        "expected DEVELOPMENT ETag; a different current ETag aborts",
    ),
    ("manifest", "", "YAML file describing several functions"),
    (
        "concurrency",
        "4",
        "functions processed at once from a manifest",
    ),
    (
        "fail-fast",
        "all-or-nothing",
        "manifest runs: all-or-nothing or independent publishing",
    ),
    ("github-token", "", "token for the PR comment"),
    ("pr-comment", "sticky", "sticky, new or off"),
    (
        "pr-number",
        "",
        "pull request to comment on when the event has none",
    ),
    (
        "aws-region",
        "us-east-1",
        "region for signing (CloudFront is global)",
    ),
    ("endpoint-url", "", "CloudFront API endpoint override"),
    (
        "role-to-assume",
        "",
        "IAM role ARN to assume with the workflow's OIDC token",
    ),
];

/// An input or file that cannot be used. The message is one line and names its source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A bad input value.
    #[error("input `{input}`: {message}")]
    Input {
        /// The input's name (`function-name`).
        input: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A file named by an input that cannot be used.
    #[error("{message}")]
    File {
        /// The input that named the file (`function-file`, `manifest`).
        input: String,
        /// The file's path as the user wrote it.
        file: String,
        /// What is wrong (already names the file, and the line where known).
        message: String,
    },
}

impl InputError {
    /// Short title for the `::error title=…::` annotation.
    pub fn title(&self) -> String {
        match self {
            InputError::Input { input, .. } => format!("invalid input {input}"),
            InputError::File { input, file, .. } => format!("invalid input {input} ({file})"),
        }
    }

    fn input(input: &str, message: impl Into<String>) -> Self {
        InputError::Input {
            input: input.to_owned(),
            message: message.into(),
        }
    }
}

/// Raw input values by name; an empty value means "use the default". Its `Debug` shows the
/// names only: values include `github-token`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RawInputs(BTreeMap<String, String>);

impl std::fmt::Debug for RawInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl RawInputs {
    /// Reads every known input from an environment lookup, as the runner sets them:
    /// `INPUT_` + upper case name with hyphens kept (`INPUT_FUNCTION-NAME`); the underscore spelling
    /// (`INPUT_FUNCTION_NAME`) is accepted too, for hand-written `env:` blocks.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Self {
        let mut map = BTreeMap::new();
        for (name, _, _) in INPUTS {
            let [runner, underscores] = env_names(name);
            if let Some(v) = env(&runner).or_else(|| env(&underscores)) {
                map.insert((*name).to_owned(), v);
            }
        }
        Self(map)
    }

    /// Sets one input (used by the `publish` flags and `demo`).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_owned(), value.into());
    }

    /// The trimmed value, or the default when unset or blank.
    fn get(&self, name: &str) -> String {
        let default = INPUTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, d, _)| *d)
            .unwrap_or("");
        match self.0.get(name).map(|v| v.trim()) {
            Some(v) if !v.is_empty() => v.to_owned(),
            _ => default.to_owned(),
        }
    }

    /// The trimmed value, `None` when unset or blank.
    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }
}

/// The two variable names an input is read from: the runner's (`INPUT_FUNCTION-NAME`) and the
/// underscore spelling (`INPUT_FUNCTION_NAME`).
fn env_names(name: &str) -> [String; 2] {
    let upper = name.to_ascii_uppercase();
    [
        format!("INPUT_{upper}"),
        format!("INPUT_{}", upper.replace('-', "_")),
    ]
}

/// One `::warning` text per `INPUT_*` variable that is not an input of action.yml, each naming the
/// closest real input. `vars` are the environment's variable names. Runner-made names are
/// `INPUT_` + the input in upper case with hyphens kept; the underscore spelling is read too.
pub fn unknown_input_warnings(vars: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut warnings: Vec<String> = vars
        .into_iter()
        .filter_map(|var| {
            let rest = var.strip_prefix("INPUT_")?;
            if INPUTS
                .iter()
                .any(|(name, _, _)| env_names(name).contains(&var))
            {
                return None;
            }
            let wanted = rest.to_ascii_lowercase().replace('_', "-");
            let closest = INPUTS
                .iter()
                .map(|(name, _, _)| (edit_distance(&wanted, name), *name))
                .min()
                .map(|(_, name)| name)?;
            let why = if wanted == closest {
                format!(
                    " (inputs are read in upper case: INPUT_{})",
                    closest.to_ascii_uppercase()
                )
            } else {
                String::new()
            };
            Some(format!(
                "{var} is not an input of cloudfront-publish and is ignored{why}; did you mean `{closest}`?"
            ))
        })
        .collect();
    warnings.sort();
    warnings
}

/// Levenshtein distance over chars (inputs are short ASCII names).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The environment around the inputs: workspace, GitHub context, endpoints. Its `Debug` leaves
/// out the OIDC bearer token.
#[derive(Clone, Default)]
pub struct Context {
    /// Base for relative paths (`GITHUB_WORKSPACE`, else the working directory).
    pub workspace: PathBuf,
    /// The GitHub Actions context (`GITHUB_API_URL`, `GITHUB_REPOSITORY`, `GITHUB_EVENT_NAME`,
    /// `GITHUB_EVENT_PATH`, `GITHUB_SHA`); the comment inputs are filled in by [`plan`].
    pub github: GithubSettings,
    /// Link to the workflow run, from `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_RUN_ID`.
    pub run_url: Option<String>,
    /// `AWS_ENDPOINT_URL_CLOUDFRONT`, else `AWS_ENDPOINT_URL`.
    pub env_endpoint_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`, present when the job has `id-token: write`.
    pub oidc_request: Option<(String, String)>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("workspace", &self.workspace)
            .field("github", &self.github)
            .field("run_url", &self.run_url)
            .field("env_endpoint_url", &self.env_endpoint_url)
            .field(
                "oidc_request",
                &crate::plan::redacted_oidc(&self.oidc_request),
            )
            .finish()
    }
}

impl Context {
    /// Reads the GitHub Actions context from an environment lookup.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Self {
        let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let workspace = nonempty("GITHUB_WORKSPACE")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        let repository = nonempty("GITHUB_REPOSITORY");
        let run_url = match (
            nonempty("GITHUB_SERVER_URL"),
            &repository,
            nonempty("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(id)) => Some(format!(
                "{}/{repo}/actions/runs/{id}",
                server.trim_end_matches('/')
            )),
            _ => None,
        };
        let oidc_request = match (
            nonempty("ACTIONS_ID_TOKEN_REQUEST_URL"),
            nonempty("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            (Some(url), Some(token)) => Some((url, token)),
            _ => None,
        };
        let github = GithubSettings {
            api_url: nonempty("GITHUB_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            repository,
            event_name: nonempty("GITHUB_EVENT_NAME"),
            event_path: nonempty("GITHUB_EVENT_PATH").map(PathBuf::from),
            sha: nonempty("GITHUB_SHA"),
            ..GithubSettings::default()
        };
        Self {
            workspace,
            github,
            run_url,
            env_endpoint_url: nonempty("AWS_ENDPOINT_URL_CLOUDFRONT")
                .or_else(|| nonempty("AWS_ENDPOINT_URL")),
            oidc_request,
        }
    }
}

/// Validates every input and reads every file they name, in one pass, before any API call.
pub fn plan(raw: &RawInputs, ctx: &Context) -> Result<Plan, InputError> {
    let publish = parse_bool(raw, "publish")?;
    let max_cu = checks::parse_utilization(&raw.get("max-compute-utilization"))
        .map_err(|m| InputError::input("max-compute-utilization", m.0))?;
    let concurrency = parse_positive(raw, "concurrency")? as usize;
    let pr_number = raw
        .opt("pr-number")
        .map(|v| parse_positive_str(&v).map_err(|m| InputError::input("pr-number", m.0)))
        .transpose()?;
    let fail_fast = fail_fast(raw)?;
    let github = github_settings(raw, ctx, pr_number)?;
    let aws = aws_settings(raw, ctx)?;
    let if_match = raw
        .opt("if-match")
        .map(|v| {
            v.parse::<Etag>()
                .map_err(|e| InputError::input("if-match", e.0))
        })
        .transpose()?;
    let (functions, stores, manifest_path) = match raw.opt("manifest") {
        Some(path) => {
            let m = manifest_functions(raw, ctx, &path, max_cu)?;
            (m.functions, m.stores, Some(path))
        }
        None => {
            let (fp, stores) = single_store(raw, ctx, single_function(raw, ctx, max_cu)?)?;
            (vec![fp], stores, None)
        }
    };
    // The checks above already hold what these constructors check again.
    fn invalid(input: &'static str) -> impl Fn(InvalidValue) -> InputError {
        move |e| InputError::input(input, e.0)
    }
    let mut plan = Plan::new(functions)
        .map_err(invalid("manifest"))?
        .with_stores(stores)
        .map_err(invalid("key-value-store-data"))?
        .with_publish(publish)
        .with_if_match(if_match)
        .map_err(invalid("if-match"))?
        .with_concurrency(concurrency)
        .map_err(invalid("concurrency"))?
        .with_fail_fast(fail_fast)
        .with_aws(aws)
        .with_github(github)
        .with_run_url(ctx.run_url.clone());
    if let Some(path) = manifest_path {
        plan = plan.with_manifest(path);
    }
    Ok(plan)
}

fn fail_fast(raw: &RawInputs) -> Result<FailFast, InputError> {
    match raw.get("fail-fast").as_str() {
        "all-or-nothing" => Ok(FailFast::AllOrNothing),
        "independent" => Ok(FailFast::Independent),
        other => Err(InputError::input(
            "fail-fast",
            format!("{other:?} is not allowed (expected all-or-nothing or independent)"),
        )),
    }
}

/// The context's GitHub settings with the comment inputs.
fn github_settings(
    raw: &RawInputs,
    ctx: &Context,
    pr_number: Option<u64>,
) -> Result<GithubSettings, InputError> {
    let mode: CommentMode = raw.get("pr-comment").parse().map_err(|_| {
        InputError::input(
            "pr-comment",
            format!(
                "{:?} is not allowed (expected sticky, new or off)",
                raw.get("pr-comment")
            ),
        )
    })?;
    Ok(GithubSettings {
        token: raw.opt("github-token"),
        pr_number,
        mode,
        ..ctx.github.clone()
    })
}

fn aws_settings(raw: &RawInputs, ctx: &Context) -> Result<AwsSettings, InputError> {
    let region = raw.get("aws-region");
    if !region
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(InputError::input(
            "aws-region",
            format!("{region:?} is not a region name"),
        ));
    }
    let given = raw
        .opt("endpoint-url")
        .map(|url| check_url(&url).map_err(|m| InputError::input("endpoint-url", m.0)))
        .transpose()?;
    let endpoint_url = given.clone().or_else(|| ctx.env_endpoint_url.clone());
    let role_to_assume = raw.opt("role-to-assume");
    if let Some(role) = &role_to_assume {
        if !is_role_arn(role) {
            return Err(InputError::input(
                "role-to-assume",
                format!("{role:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"),
            ));
        }
        if ctx.oidc_request.is_none() {
            return Err(InputError::input(
                "role-to-assume",
                "needs the workflow's OIDC token, but ACTIONS_ID_TOKEN_REQUEST_URL is not set: give the job `permissions: id-token: write`",
            ));
        }
    }
    Ok(AwsSettings {
        region,
        endpoint_url,
        kvs_endpoint_url: given,
        role_to_assume,
        oidc_request: ctx.oidc_request.clone(),
    })
}

/// The manifest's functions; the single-function inputs cannot be combined with it.
fn manifest_functions(
    raw: &RawInputs,
    ctx: &Context,
    path: &str,
    max_cu: u32,
) -> Result<manifest::ManifestPlan, InputError> {
    for single in [
        "function-name",
        "function-file",
        "runtime",
        "comment",
        "key-value-store-arns",
        "key-value-store",
        "key-value-store-data",
        "test-events",
        "if-match",
    ] {
        if raw.opt(single).is_some() {
            return Err(InputError::input(
                single,
                "cannot be combined with `manifest` (set it per function in the manifest)",
            ));
        }
    }
    manifest::load(&ctx.workspace.join(path), path, max_cu).map_err(|e| InputError::File {
        input: "manifest".to_owned(),
        file: path.to_owned(),
        message: e.to_string(),
    })
}

fn single_function(
    raw: &RawInputs,
    ctx: &Context,
    max_cu: u32,
) -> Result<FunctionPlan, InputError> {
    let name: FunctionName = raw
        .opt("function-name")
        .ok_or_else(|| InputError::input("function-name", "is required (or set `manifest`)"))?
        .parse()
        .map_err(|e: InvalidValue| InputError::input("function-name", e.0))?;
    // Without code nothing is created or updated, so these would be silently ignored.
    if raw.opt("function-file").is_none() {
        for config in ["runtime", "comment", "key-value-store-arns"] {
            if raw.opt(config).is_some() {
                return Err(InputError::input(
                    config,
                    "needs `function-file`: without it the function is only tested and published as DEVELOPMENT holds it, so this would be ignored",
                ));
            }
        }
    }
    let runtime: Option<Runtime> = raw
        .opt("runtime")
        .map(|r| r.parse())
        .transpose()
        .map_err(|e: InvalidValue| InputError::input("runtime", e.0))?;
    let fp = match runtime {
        Some(r) => FunctionPlan::new(name, r),
        None => FunctionPlan::keeping_runtime(name),
    };
    let mut fp = fp
        .with_max_compute_utilization(max_cu)
        .map_err(|e| InputError::input("max-compute-utilization", e.0))?;
    if let Some(c) = raw.opt("comment") {
        fp = fp
            .with_comment(c)
            .map_err(|m| InputError::input("comment", m.0))?;
    }
    if let Some(v) = raw.opt("key-value-store-arns") {
        let arns = checks::kvs_arns(&split_list(&v), runtime.unwrap_or_default())
            .map_err(|m| InputError::input("key-value-store-arns", m.0))?;
        fp = fp
            .with_kvs_arns(arns)
            .map_err(|m| InputError::input("key-value-store-arns", m.0))?;
    }
    if let Some(v) = raw.opt("key-value-store") {
        let store: StoreRef = v
            .parse()
            .map_err(|e: InvalidValue| InputError::input("key-value-store", e.0))?;
        fp = fp
            .with_store(store)
            .map_err(|m| InputError::input("key-value-store", m.0))?;
    }
    if let Some(file) = raw.opt("function-file") {
        let code = read_code(&ctx.workspace, &file)?;
        fp = fp.with_code(code, &file).map_err(|e| InputError::File {
            input: "function-file".to_owned(),
            file: file.clone(),
            message: e.0,
        })?;
    }
    if let Some(v) = raw.opt("test-events") {
        let tests = testcase::load_patterns(&split_list(&v), &ctx.workspace, "the workspace")
            .map_err(|e| InputError::input("test-events", e.0))?;
        fp = fp.with_tests(tests);
    }
    Ok(fp)
}

/// `key-value-store-data`: the store to fill (`key-value-store`, or the one ARN of its alias
/// `key-value-store-arns`) and its data file, read and validated now.
fn single_store(
    raw: &RawInputs,
    ctx: &Context,
    fp: FunctionPlan,
) -> Result<(FunctionPlan, Vec<StorePlan>), InputError> {
    const INPUT: &str = "key-value-store-data";
    let Some(file) = raw.opt(INPUT) else {
        return Ok((fp, Vec::new()));
    };
    let (fp, store) = match (fp.store().cloned(), fp.kvs_arns()) {
        (Some(store), _) => (fp, store),
        (None, Some([arn])) => {
            let store = StoreRef::Arn(arn.clone());
            let fp = fp
                .with_store(store.clone())
                .map_err(|m| InputError::input(INPUT, m.0))?;
            (fp, store)
        }
        _ => {
            return Err(InputError::input(
                INPUT,
                "needs `key-value-store` (the name or ARN of the store to fill)",
            ));
        }
    };
    let data = kvs::data::load_relative(&ctx.workspace, &file).map_err(|e| InputError::File {
        input: INPUT.to_owned(),
        file: file.clone(),
        message: e.0,
    })?;
    Ok((fp, vec![StorePlan::new(store, data, file)]))
}

/// Reads a function file: it must exist, be non-empty UTF-8 and within the size quota.
fn read_code(base: &Path, file: &str) -> Result<String, InputError> {
    checks::read_code(base, file, "the workspace").map_err(|e| InputError::File {
        input: "function-file".to_owned(),
        file: file.to_owned(),
        message: e.0,
    })
}

fn parse_positive_str(v: &str) -> Result<u64, InvalidValue> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(InvalidValue(format!("{v:?} is not a positive integer"))),
    }
}

fn parse_positive(raw: &RawInputs, name: &str) -> Result<u64, InputError> {
    parse_positive_str(&raw.get(name)).map_err(|m| InputError::input(name, m.0))
}

fn parse_bool(raw: &RawInputs, name: &str) -> Result<bool, InputError> {
    match raw.get(name).to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(InputError::input(
            name,
            format!("{other:?} is not a boolean (expected true or false)"),
        )),
    }
}

fn check_url(url: &str) -> Result<String, InvalidValue> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(InvalidValue(format!("{url:?} is not an http(s) URL")))
    }
}

fn is_role_arn(v: &str) -> bool {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warn(vars: &[&str]) -> Vec<String> {
        unknown_input_warnings(vars.iter().map(|v| (*v).to_owned()))
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let mut raw = RawInputs::default();
        raw.set("github-token", "ghs_secret_token_value");
        let ctx = Context {
            oidc_request: Some((
                "https://oidc.example/t".to_owned(),
                "bearer-secret".to_owned(),
            )),
            ..Context::default()
        };
        let aws = crate::plan::AwsSettings {
            oidc_request: ctx.oidc_request.clone(),
            ..Default::default()
        };
        let all = format!("{raw:?} {ctx:?} {aws:?}");
        assert!(
            all.contains("github-token") && all.contains("oidc.example"),
            "{all}"
        );
        assert!(
            !all.contains("ghs_secret") && !all.contains("bearer-secret"),
            "{all}"
        );
    }

    #[test]
    fn both_spellings_of_every_input_are_known() {
        let all: Vec<String> = INPUTS.iter().flat_map(|(n, _, _)| env_names(n)).collect();
        assert_eq!(unknown_input_warnings(all), Vec::<String>::new());
        assert_eq!(warn(&["PATH", "GITHUB_ACTIONS"]), Vec::<String>::new());
    }

    #[test]
    fn a_typo_names_the_closest_input() {
        let w = warn(&["INPUT_TEST-EVENT", "INPUT_FUNCTON_FILE", "INPUT_PUBLSH"]);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].starts_with("INPUT_FUNCTON_FILE ") && w[0].ends_with("`function-file`?"));
        assert!(w[1].ends_with("did you mean `publish`?"), "{w:?}");
        assert!(w[2].ends_with("did you mean `test-events`?"), "{w:?}");
    }

    #[test]
    fn lower_case_names_are_not_read_and_say_why() {
        let w = warn(&["INPUT_function-name"]);
        assert!(w[0].contains("upper case: INPUT_FUNCTION-NAME"), "{w:?}");
        assert!(w[0].ends_with("did you mean `function-name`?"), "{w:?}");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("test-event", "test-events"), 1);
        assert_eq!(edit_distance("publsh", "publish"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
