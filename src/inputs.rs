//! Inputs as the runner passes them (`INPUT_FUNCTION-NAME`, …) or as `publish` flags, validated into a
//! [`Plan`] before anything touches the network.
//!
//! One place reads the environment; everything after works on typed values. Not for: doing any I/O
//! beyond reading the files the inputs name (function code, test cases, manifest).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::github::{CommentMode, GithubSettings};
use crate::manifest;
use crate::plan::{AwsSettings, FailFast, FunctionPlan, Plan};
use crate::runtime::Limits;
use crate::testcase;
use crate::types::{Etag, FunctionName, MAX_COMMENT_CHARS, Runtime};

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
        "cloudfront-js-2.0",
        "cloudfront-js-1.0 or cloudfront-js-2.0 (used on create and update)",
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
        "test-events",
        "",
        "newline/comma separated test case files or globs",
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

/// Raw input values by name; an empty value means "use the default".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawInputs(BTreeMap<String, String>);

impl RawInputs {
    /// Reads every known input from an environment lookup, as the runner sets them:
    /// `INPUT_` + upper case name with hyphens kept (`INPUT_FUNCTION-NAME`); the underscore spelling
    /// (`INPUT_FUNCTION_NAME`) is accepted too, for hand-written `env:` blocks.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Self {
        let mut map = BTreeMap::new();
        for (name, _, _) in INPUTS {
            let upper = name.to_ascii_uppercase();
            let value = env(&format!("INPUT_{upper}"))
                .or_else(|| env(&format!("INPUT_{}", upper.replace('-', "_"))));
            if let Some(v) = value {
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

/// The environment around the inputs: workspace, GitHub context, endpoints.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Base for relative paths (`GITHUB_WORKSPACE`, else the working directory).
    pub workspace: PathBuf,
    /// `GITHUB_API_URL` (default `https://api.github.com`).
    pub api_url: String,
    /// `GITHUB_REPOSITORY` (`owner/repo`).
    pub repository: Option<String>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// Link to the workflow run, from `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_RUN_ID`.
    pub run_url: Option<String>,
    /// `AWS_ENDPOINT_URL_CLOUDFRONT`, else `AWS_ENDPOINT_URL`.
    pub env_endpoint_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`, present when the job has `id-token: write`.
    pub oidc_request: Option<(String, String)>,
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
        Self {
            workspace,
            api_url: nonempty("GITHUB_API_URL")
                .unwrap_or_else(|| "https://api.github.com".to_owned()),
            repository,
            event_name: nonempty("GITHUB_EVENT_NAME"),
            event_path: nonempty("GITHUB_EVENT_PATH").map(PathBuf::from),
            sha: nonempty("GITHUB_SHA"),
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
    let max_cu = parse_utilization(&raw.get("max-compute-utilization"))
        .map_err(|m| InputError::input("max-compute-utilization", m))?;
    let concurrency = parse_positive(raw, "concurrency")? as usize;
    let pr_number = raw
        .opt("pr-number")
        .map(|v| parse_positive_str(&v).map_err(|m| InputError::input("pr-number", m)))
        .transpose()?;
    let fail_fast = match raw.get("fail-fast").as_str() {
        "all-or-nothing" => FailFast::AllOrNothing,
        "independent" => FailFast::Independent,
        other => {
            return Err(InputError::input(
                "fail-fast",
                format!("{other:?} is not allowed (expected all-or-nothing or independent)"),
            ));
        }
    };
    let mode: CommentMode = raw.get("pr-comment").parse().map_err(|_| {
        InputError::input(
            "pr-comment",
            format!(
                "{:?} is not allowed (expected sticky, new or off)",
                raw.get("pr-comment")
            ),
        )
    })?;
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
    let endpoint_url = match raw.opt("endpoint-url") {
        Some(url) => Some(check_url(&url).map_err(|m| InputError::input("endpoint-url", m))?),
        None => ctx.env_endpoint_url.clone(),
    };
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
    let if_match = raw
        .opt("if-match")
        .map(|v| {
            v.parse::<Etag>()
                .map_err(|e| InputError::input("if-match", e.0))
        })
        .transpose()?;

    let (functions, manifest_path) = match raw.opt("manifest") {
        Some(path) => {
            for single in [
                "function-name",
                "function-file",
                "comment",
                "key-value-store-arns",
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
            let file = ctx.workspace.join(&path);
            let functions = manifest::load(&file, &path, max_cu).map_err(|e| InputError::File {
                input: "manifest".to_owned(),
                file: path.clone(),
                message: e.to_string(),
            })?;
            (functions, Some(path))
        }
        None => (vec![single_function(raw, ctx, max_cu)?], None),
    };

    let token = raw.opt("github-token");
    Ok(Plan {
        functions,
        manifest: manifest_path,
        publish,
        if_match,
        concurrency,
        fail_fast,
        aws: AwsSettings {
            region,
            endpoint_url,
            role_to_assume,
            oidc_request: ctx.oidc_request.clone(),
        },
        github: GithubSettings {
            api_url: ctx.api_url.clone(),
            token,
            repository: ctx.repository.clone(),
            event_name: ctx.event_name.clone(),
            event_path: ctx.event_path.clone(),
            sha: ctx.sha.clone(),
            pr_number,
            mode,
        },
        sha: ctx.sha.clone(),
        run_url: ctx.run_url.clone(),
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
        .map_err(|e: crate::types::InvalidValue| InputError::input("function-name", e.0))?;
    let runtime: Runtime = raw
        .get("runtime")
        .parse()
        .map_err(|e: crate::types::InvalidValue| InputError::input("runtime", e.0))?;
    let comment = raw.opt("comment");
    if let Some(c) = &comment {
        check_comment(c).map_err(|m| InputError::input("comment", m))?;
    }
    let kvs = raw.opt("key-value-store-arns").map(|v| split_list(&v));
    if let Some(arns) = &kvs {
        check_kvs(arns, runtime).map_err(|m| InputError::input("key-value-store-arns", m))?;
    }
    let code = match raw.opt("function-file") {
        Some(file) => Some(read_code(&ctx.workspace, &file)?),
        None => None,
    };
    let tests = match raw.opt("test-events") {
        Some(v) => testcase::load_patterns(&split_list(&v), &ctx.workspace)
            .map_err(|e| InputError::input("test-events", e.0))?,
        None => Vec::new(),
    };
    Ok(FunctionPlan {
        name,
        code,
        runtime,
        comment,
        kvs_arns: kvs,
        tests,
        max_compute_utilization: max_cu,
    })
}

/// Reads a function file: it must exist, be non-empty UTF-8 and within the size quota.
pub fn read_code(base: &Path, file: &str) -> Result<String, InputError> {
    let path = base.join(file);
    let err = |message: String| InputError::File {
        input: "function-file".to_owned(),
        file: file.to_owned(),
        message: format!("{file}: {message}"),
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| err(format!("cannot read the function file: {}", io_reason(&e))))?;
    let limit = Limits::default().max_code_bytes;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(err("the function file is empty".to_owned()));
    }
    if bytes.len() > limit {
        return Err(err(format!(
            "the function is {} bytes; CloudFront accepts at most {limit} bytes",
            bytes.len()
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "the function file is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A short reason for an I/O error, without the OS error number noise.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => e.to_string(),
    }
}

/// Splits a newline- or comma-separated list, dropping blanks (YAML `|` blocks end with a newline).
pub fn split_list(v: &str) -> Vec<String> {
    v.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A comment as CloudFront accepts it (at most 128 characters).
pub fn check_comment(c: &str) -> Result<(), String> {
    let n = c.chars().count();
    if n > MAX_COMMENT_CHARS {
        Err(format!(
            "is {n} characters; CloudFront accepts at most {MAX_COMMENT_CHARS}"
        ))
    } else {
        Ok(())
    }
}

/// Key value store associations as CloudFront accepts them: at most one, runtime 2.0 only, ARN shape.
pub fn check_kvs(arns: &[String], runtime: Runtime) -> Result<(), String> {
    if arns.len() > 1 {
        return Err(format!(
            "{} ARNs given; a function can be associated with at most 1 key value store",
            arns.len()
        ));
    }
    if !arns.is_empty() && runtime != Runtime::Js2 {
        return Err("key value stores need runtime cloudfront-js-2.0".to_owned());
    }
    for arn in arns {
        let ok = crate::types::is_kvs_arn(arn);
        if !ok {
            return Err(format!(
                "{arn:?} is not a key value store ARN (arn:aws:cloudfront::123456789012:key-value-store/ID)"
            ));
        }
    }
    Ok(())
}

/// `max-compute-utilization`: an integer 0-100.
pub fn parse_utilization(v: &str) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(format!("{v:?} is not an integer from 0 to 100")),
    }
}

fn parse_positive_str(v: &str) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{v:?} is not a positive integer")),
    }
}

fn parse_positive(raw: &RawInputs, name: &str) -> Result<u64, InputError> {
    parse_positive_str(&raw.get(name)).map_err(|m| InputError::input(name, m))
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

fn check_url(url: &str) -> Result<String, String> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!("{url:?} is not an http(s) URL"))
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
