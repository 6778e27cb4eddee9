//! Shared helpers for the tests that run the binary as the runner would, against the emulator.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};
use cloudfront_publish::emulator::{self, Config, Running};

/// The fake credentials every test uses (distinctive, so leak checks can search for them).
pub const ACCESS_KEY: &str = "AKIDTESTFAKE0000001";
pub const SECRET_KEY: &str = "tEsTsEcReT/fake+Secret0000000000000000001";

/// An emulator with a request log in a temp dir.
pub struct Emu {
    pub running: Running,
    pub dir: tempfile::TempDir,
    pub log: PathBuf,
}

impl Emu {
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let mut config = Config {
            request_log: Some(log.clone()),
            ..Config::default()
        };
        tweak(&mut config);
        let running = emulator::start(config).await.unwrap();
        Self { running, dir, log }
    }

    pub fn url(&self) -> String {
        self.running.endpoint_url()
    }

    /// Request log lines so far.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        read_log(&self.log)
    }

    /// A real SDK client on the emulator.
    pub fn client(&self) -> aws_sdk_cloudfront::Client {
        sdk_client(&self.url())
    }
}

pub fn sdk_client(url: &str) -> aws_sdk_cloudfront::Client {
    let conf = aws_sdk_cloudfront::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .build();
    aws_sdk_cloudfront::Client::from_conf(conf)
}

pub fn read_log(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Operations in the log, in order.
pub fn operations(log: &[serde_json::Value]) -> Vec<String> {
    log.iter()
        .map(|l| l["operation"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// What one run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
}

impl Run {
    pub fn out(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no output {name}: {self:#?}"))
    }
}

/// A workspace with the bundled example function and its tests copied in.
pub fn example_workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::fs::copy(root.join("function.js"), ws.path().join("function.js")).unwrap();
    std::fs::create_dir(ws.path().join("tests")).unwrap();
    for e in std::fs::read_dir(root.join("tests")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), ws.path().join("tests").join(e.file_name())).unwrap();
    }
    ws
}

/// Runs the binary in action mode (no subcommand) with a clean environment, as the runner does.
pub async fn run_action(workspace: &Path, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Run {
    let out_file = workspace.join(format!("github_output_{}", fastrand::u32(..)));
    let summary_file = workspace.join(format!("github_summary_{}", fastrand::u32(..)));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudfront-publish"));
    cmd.env_clear()
        .current_dir(workspace)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_OUTPUT", &out_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("INPUT_PR-COMMENT", "off");
    for (k, v) in inputs {
        cmd.env(format!("INPUT_{}", k.to_ascii_uppercase()), v);
    }
    // An empty value removes the variable (e.g. the default fake credentials).
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let outputs = parse_outputs(&std::fs::read_to_string(&out_file).unwrap_or_default());
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
    }
}

/// Parses `$GITHUB_OUTPUT` in the `name<<DELIM` form (and plain `name=value`).
pub fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            map.insert(name.to_owned(), value.join("\n"));
        } else if let Some((k, v)) = line.split_once('=') {
            map.insert(k.to_owned(), v.to_owned());
        }
    }
    map
}

/// What a [`proxy`] hook decides for one request (by method and path): forward it, or answer it
/// with this response instead.
pub type Intercept = Option<http::Response<axum::body::Body>>;

/// An answer in the service's place: `status` with an XML error body, as CloudFront sends it.
pub fn xml_error(status: u16, request_id: &str, body: &'static str) -> Intercept {
    Some(
        http::Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .header("x-amz-request-id", request_id)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
}

/// A loopback proxy in front of `upstream` that forwards every request as it came, after `hook`
/// has seen its method and path. The hook may act first (another writer changing the function)
/// or answer in the upstream's place (a denied permission). Returns the proxy's base URL.
pub async fn proxy<H, F>(upstream: String, hook: H) -> String
where
    H: Fn(http::Method, String) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = Intercept> + Send,
{
    use axum::body::Body;
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (client, upstream, hook) = (client.clone(), upstream.clone(), hook.clone());
        async move {
            if let Some(answer) = hook(req.method().clone(), req.uri().path().to_owned()).await {
                return answer;
            }
            let (parts, body) = req.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut fwd = http::Request::builder()
                .method(parts.method)
                .uri(format!("{upstream}{path}"));
            for (k, v) in &parts.headers {
                fwd = fwd.header(k, v);
            }
            let res = client
                .request(fwd.body(http_body_util::Full::new(bytes)).unwrap())
                .await
                .unwrap();
            let (parts, body) = res.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            http::Response::from_parts(parts, Body::from(bytes))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Another writer: updates DEVELOPMENT of `name` (new comment and code) through the SDK.
pub async fn foreign_update(emu_url: &str, name: &str) {
    use aws_sdk_cloudfront::primitives::Blob;
    use aws_sdk_cloudfront::types::{FunctionConfig, FunctionRuntime};
    let sdk = sdk_client(emu_url);
    let dev = sdk.describe_function().name(name).send().await.unwrap();
    sdk.update_function()
        .name(name)
        .if_match(dev.e_tag().unwrap())
        .function_config(
            FunctionConfig::builder()
                .comment("changed by another writer")
                .runtime(FunctionRuntime::CloudfrontJs20)
                .build()
                .unwrap(),
        )
        .function_code(Blob::new("function handler(e) { return e.request; }"))
        .send()
        .await
        .unwrap();
}
