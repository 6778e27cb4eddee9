//! `pipeline::run` against a real `aws_sdk_cloudfront::Client` whose HTTP layer is `aws-smithy-mocks`:
//! every response is real REST-XML (status, `ETag`/`ETtag` headers, `ErrorResponse` bodies) from a
//! tiny in-test model of CloudFront, and every request is recorded as it goes on the wire (method,
//! path, stage, `If-Match`). Tests assert which calls were made, in which order, with which ETag.
//!
//! Not for: the emulator (its own tests) or the network; nothing here opens a socket.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::config::http::HttpResponse;
use aws_sdk_cloudfront::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_cloudfront::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_cloudfront::error::BoxError;
use aws_sdk_cloudfront::types::{FunctionConfig, FunctionStage};
use aws_smithy_mocks::{
    MockResponse, MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
};
use cloudfront_publish::aws::CloudFront;
use cloudfront_publish::github::{CommentMode, GithubSettings};
use cloudfront_publish::pipeline::{self, CHANGED_AFTER_TEST, OnDone};
use cloudfront_publish::plan::{FailFast, FunctionPlan, Plan};
use cloudfront_publish::report::{FunctionReport, Report};
use cloudfront_publish::testcase::TestCase;
use cloudfront_publish::types::{Runtime, Stage};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const OLD_CODE: &str = "function handler(event) { return event.request; }\n";
const NEW_CODE: &str =
    "function handler(event) { event.request.uri = '/index.html'; return event.request; }\n";
const KVS: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000011111";

// ---- the model of CloudFront behind the mocks -------------------------------------------------

/// One stage of one function.
#[derive(Debug, Clone, PartialEq)]
struct Version {
    etag: String,
    code: String,
    runtime: String,
    comment: String,
    kvs: Vec<String>,
    status: String,
}

/// What TestFunction answers for one event.
#[derive(Debug, Clone, Default)]
struct Answer {
    output: Option<String>,
    error: Option<String>,
    cu: u32,
}

type Tester = Arc<dyn Fn(&str, &Value) -> Answer + Send + Sync>;

/// Functions by name, with both stages, plus knobs for the awkward cases.
struct Model {
    functions: BTreeMap<String, (Option<Version>, Option<Version>)>,
    next_etag: u32,
    tester: Tester,
    /// Someone else updates DEVELOPMENT right after each TestFunction (a concurrent deploy).
    change_after_test: bool,
    /// UpdateFunction answers this error instead of updating.
    update_error: Option<(u16, &'static str)>,
    /// The configs UpdateFunction and CreateFunction received, by function.
    written: Vec<(String, String, FunctionConfig)>,
    /// Writes (by operation) whose next answer is lost after the write is applied: the client
    /// sees what the SDK's retry meets then (409 on a create, 412 on an update or publish).
    /// (aws-smithy-mocks cannot answer a real retry of a computed response, so the retry's answer
    /// stands in for both attempts; the emulator tests in `lost_answers.rs` run the real thing.)
    lose: Vec<&'static str>,
    /// Another writer creates the function with this code just before this run's CreateFunction.
    foreign_create: Option<&'static str>,
    /// TestFunction answers without ComputeUtilization.
    no_utilization: bool,
    /// When a PublishFunction answer is lost, another writer has meanwhile given LIVE the same
    /// code with this comment (so LIVE holds the tested code, but not the tested config).
    foreign_live_comment: Option<&'static str>,
    /// GetFunction answers without an ETag header.
    get_without_etag: bool,
}

impl Model {
    fn new() -> Self {
        Self {
            functions: BTreeMap::new(),
            next_etag: 1,
            tester: Arc::new(|_, event| Answer {
                output: Some(json!({"request": event["request"]}).to_string()),
                error: None,
                cu: 12,
            }),
            change_after_test: false,
            update_error: None,
            written: Vec::new(),
            lose: Vec::new(),
            foreign_live_comment: None,
            foreign_create: None,
            no_utilization: false,
            get_without_etag: false,
        }
    }

    fn etag(&mut self, prefix: &str) -> String {
        let n = self.next_etag;
        self.next_etag += 1;
        format!("{prefix}{n:03}")
    }

    fn version(&mut self, prefix: &str, code: &str, status: &str) -> Version {
        Version {
            etag: self.etag(prefix),
            code: code.to_owned(),
            runtime: "cloudfront-js-2.0".to_owned(),
            comment: String::new(),
            kvs: Vec::new(),
            status: status.to_owned(),
        }
    }

    /// Adds a function: DEVELOPMENT with `dev` code and, when given, LIVE with `live` code.
    fn with(mut self, name: &str, dev: &str, live: Option<&str>) -> Self {
        let d = self.version("EDEV", dev, "UNPUBLISHED");
        let l = live.map(|code| self.version("ELIVE", code, "UNASSOCIATED"));
        self.functions.insert(name.to_owned(), (Some(d), l));
        self
    }

    fn dev(&self, name: &str) -> Version {
        self.functions[name].0.clone().expect("dev stage")
    }

    fn live(&self, name: &str) -> Option<Version> {
        self.functions[name].1.clone()
    }

    /// True (once per entry) when `op`'s answer is to be lost after applying it.
    fn loses(&mut self, op: &str) -> bool {
        match self.lose.iter().position(|l| *l == op) {
            Some(i) => {
                self.lose.remove(i);
                true
            }
            None => false,
        }
    }
}

/// What the SDK's retry of an applied write meets: the state the first attempt left.
fn retry_meets<O, E>(op: &str) -> MockResponse<O, E> {
    match op {
        "CreateFunction" => error(
            409,
            "FunctionAlreadyExists",
            "A function with the same name already exists.",
        ),
        _ => error(
            412,
            "PreconditionFailed",
            "The If-Match version is missing or not valid.",
        ),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn summary_xml(tag: &str, name: &str, v: &Version, stage: &str) -> String {
    let kvs = if v.kvs.is_empty() {
        "<KeyValueStoreAssociations><Quantity>0</Quantity></KeyValueStoreAssociations>".to_owned()
    } else {
        let items: String = v
            .kvs
            .iter()
            .map(|a| format!("<KeyValueStoreAssociation><KeyValueStoreARN>{a}</KeyValueStoreARN></KeyValueStoreAssociation>"))
            .collect();
        format!(
            "<KeyValueStoreAssociations><Quantity>{}</Quantity><Items>{items}</Items></KeyValueStoreAssociations>",
            v.kvs.len()
        )
    };
    format!(
        "<{tag}><Name>{name}</Name><Status>{}</Status><FunctionConfig><Comment>{}</Comment><Runtime>{}</Runtime>{kvs}</FunctionConfig>\
         <FunctionMetadata><FunctionARN>arn:aws:cloudfront::{ACCOUNT}:function/{name}</FunctionARN><Stage>{stage}</Stage>\
         <CreatedTime>2026-01-01T00:00:00Z</CreatedTime><LastModifiedTime>2026-01-02T00:00:00Z</LastModifiedTime></FunctionMetadata></{tag}>",
        v.status,
        esc(&v.comment),
        v.runtime
    )
}

fn doc(inner: String) -> String {
    // The namespace goes on the root element, as the service writes it.
    let (open, rest) = inner.split_once('>').expect("element");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{open} xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">{rest}"
    )
}

fn http<O, E>(
    status: u16,
    headers: &[(&'static str, String)],
    body: impl Into<String>,
) -> MockResponse<O, E> {
    let code = http::StatusCode::from_u16(status).expect("status");
    let body: String = body.into();
    let mut resp = HttpResponse::new(code.into(), body.into());
    resp.headers_mut()
        .insert("x-amz-request-id", "mock-request");
    for (k, v) in headers {
        resp.headers_mut().insert(*k, v.clone());
    }
    MockResponse::Http(resp)
}

fn xml<O, E>(status: u16, headers: &[(&'static str, String)], body: String) -> MockResponse<O, E> {
    let mut h = headers.to_vec();
    h.push(("content-type", "text/xml".to_owned()));
    http(status, &h, doc(body))
}

fn error<O, E>(status: u16, code: &str, message: &str) -> MockResponse<O, E> {
    xml(
        status,
        &[],
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>mock-request</RequestId></ErrorResponse>",
            esc(message)
        ),
    )
}

fn stage_of(s: Option<&FunctionStage>) -> Option<&'static str> {
    match s {
        Some(FunctionStage::Live) => Some("LIVE"),
        Some(FunctionStage::Development) | None => Some("DEVELOPMENT"),
        Some(_) => None,
    }
}

fn lock(m: &Arc<Mutex<Model>>) -> MutexGuard<'_, Model> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The rules: one per operation, each answering from the shared model.
fn rules(model: &Arc<Mutex<Model>>) -> Vec<Rule> {
    let m = model.clone();
    let describe = mock!(Client::describe_function).then_compute_response(move |req| {
        let m = lock(&m);
        let name = req.name().unwrap_or_default();
        let stage = stage_of(req.stage()).unwrap_or("?");
        let v = m.functions.get(name).and_then(|(d, l)| {
            if stage == "LIVE" {
                l.clone()
            } else {
                d.clone()
            }
        });
        match v {
            Some(v) => xml(
                200,
                &[("ETag", v.etag.clone())],
                summary_xml("FunctionSummary", name, &v, stage),
            ),
            None => error(404, "NoSuchFunctionExists", "The function does not exist."),
        }
    });
    let m = model.clone();
    let get = mock!(Client::get_function).then_compute_response(move |req| {
        let m = lock(&m);
        let name = req.name().unwrap_or_default();
        let live = stage_of(req.stage()) == Some("LIVE");
        let v = m
            .functions
            .get(name)
            .and_then(|(d, l)| if live { l.clone() } else { d.clone() });
        match v {
            Some(v) if m.get_without_etag => http(
                200,
                &[("content-type", "application/octet-stream".to_owned())],
                v.code,
            ),
            Some(v) => http(
                200,
                &[
                    ("ETag", v.etag.clone()),
                    ("content-type", "application/octet-stream".to_owned()),
                ],
                v.code,
            ),
            None => error(404, "NoSuchFunctionExists", "The function does not exist."),
        }
    });
    let m = model.clone();
    let create = mock!(Client::create_function).then_compute_response(move |req| {
        let mut m = lock(&m);
        let name = req.name().unwrap_or_default().to_owned();
        if let Some(code) = m.foreign_create.take() {
            let v = m.version("EFOREIGN", code, "UNPUBLISHED");
            m.functions.insert(name.clone(), (Some(v), None));
        }
        if m.functions.contains_key(&name) {
            return error(409, "FunctionAlreadyExists", "A function with the same name already exists.");
        }
        let (Some(config), Some(code)) = (req.function_config(), req.function_code()) else {
            return error(400, "InvalidArgument", "FunctionConfig and FunctionCode are required.");
        };
        let mut v = m.version("ECRE", &String::from_utf8_lossy(code.as_ref()), "UNPUBLISHED");
        apply(&mut v, config);
        m.written.push(("CreateFunction".to_owned(), name.clone(), config.clone()));
        m.functions.insert(name.clone(), (Some(v.clone()), None));
        if m.loses("CreateFunction") {
            return retry_meets("CreateFunction");
        }
        let location = format!("https://cloudfront.amazonaws.com/2020-05-31/function/arn:aws:cloudfront::{ACCOUNT}:function/{name}");
        xml(201, &[("ETag", v.etag.clone()), ("Location", location)], summary_xml("FunctionSummary", &name, &v, "DEVELOPMENT"))
    });
    let m = model.clone();
    let update = mock!(Client::update_function).then_compute_response(move |req| {
        let mut m = lock(&m);
        let name = req.name().unwrap_or_default().to_owned();
        if let Some((status, code)) = m.update_error {
            return error(status, code, "rejected by the test");
        }
        let Some(mut v) = m.functions.get(&name).and_then(|f| f.0.clone()) else {
            return error(404, "NoSuchFunctionExists", "The function does not exist.");
        };
        if req.if_match() != Some(v.etag.as_str()) {
            return error(
                412,
                "PreconditionFailed",
                "The If-Match version is missing or not valid.",
            );
        }
        let (Some(config), Some(code)) = (req.function_config(), req.function_code()) else {
            return error(
                400,
                "InvalidArgument",
                "FunctionConfig and FunctionCode are required.",
            );
        };
        v.etag = m.etag("EUPD");
        v.code = String::from_utf8_lossy(code.as_ref()).into_owned();
        v.status = "UNPUBLISHED".to_owned();
        apply(&mut v, config);
        m.written
            .push(("UpdateFunction".to_owned(), name.clone(), config.clone()));
        if let Some(f) = m.functions.get_mut(&name) {
            f.0 = Some(v.clone());
        }
        if m.loses("UpdateFunction") {
            return retry_meets("UpdateFunction");
        }
        // The service sends the new ETag twice, once under its misspelt name.
        xml(
            200,
            &[("ETag", v.etag.clone()), ("ETtag", v.etag.clone())],
            summary_xml("FunctionSummary", &name, &v, "DEVELOPMENT"),
        )
    });
    let m = model.clone();
    let test = mock!(Client::test_function).then_compute_response(move |req| {
        let mut m = lock(&m);
        let name = req.name().unwrap_or_default().to_owned();
        let Some(v) = m.functions.get(&name).and_then(|f| f.0.clone()) else {
            return error(404, "NoSuchFunctionExists", "The function does not exist.");
        };
        if req.if_match() != Some(v.etag.as_str()) {
            return error(
                412,
                "PreconditionFailed",
                "The If-Match version is missing or not valid.",
            );
        }
        let event: Value = req
            .event_object()
            .and_then(|b| serde_json::from_slice(b.as_ref()).ok())
            .unwrap_or(Value::Null);
        let answer = (m.tester)(&name, &event);
        if m.change_after_test {
            let etag = m.etag("ESOMEONE");
            if let Some(Some(d)) = m.functions.get_mut(&name).map(|f| f.0.as_mut()) {
                d.etag = etag;
            }
        }
        let mut body = format!(
            "<TestResult>{}",
            summary_xml("FunctionSummary", &name, &v, "DEVELOPMENT")
        );
        if !m.no_utilization {
            body.push_str(&format!(
                "<ComputeUtilization>{}</ComputeUtilization>",
                answer.cu
            ));
        }
        body.push_str("<FunctionExecutionLogs><member>log line</member></FunctionExecutionLogs>");
        if let Some(e) = &answer.error {
            body.push_str(&format!(
                "<FunctionErrorMessage>{}</FunctionErrorMessage>",
                esc(e)
            ));
        }
        if let Some(o) = &answer.output {
            body.push_str(&format!("<FunctionOutput>{}</FunctionOutput>", esc(o)));
        }
        body.push_str("</TestResult>");
        xml(200, &[], body)
    });
    let m = model.clone();
    let publish = mock!(Client::publish_function).then_compute_response(move |req| {
        let mut m = lock(&m);
        let name = req.name().unwrap_or_default().to_owned();
        let Some(dev) = m.functions.get(&name).and_then(|f| f.0.clone()) else {
            return error(404, "NoSuchFunctionExists", "The function does not exist.");
        };
        if req.if_match() != Some(dev.etag.as_str()) {
            return error(
                412,
                "PreconditionFailed",
                "The If-Match version is missing or not valid.",
            );
        }
        let mut live = dev.clone();
        live.etag = m.etag("ELIVE");
        live.status = "UNASSOCIATED".to_owned();
        if let Some(f) = m.functions.get_mut(&name) {
            f.1 = Some(live.clone());
            if let Some(d) = f.0.as_mut() {
                d.status = "UNASSOCIATED".to_owned();
            }
        }
        if m.loses("PublishFunction") {
            if let Some(comment) = m.foreign_live_comment {
                let etag = m.etag("ELIVE");
                if let Some((_, Some(l))) = m.functions.get_mut(&name) {
                    l.comment = comment.to_owned();
                    l.etag = etag;
                }
            }
            return retry_meets("PublishFunction");
        }
        // PublishFunction answers with the summary but no ETag header.
        xml(
            200,
            &[],
            summary_xml("FunctionSummary", &name, &live, "LIVE"),
        )
    });
    // The account has no distributions (tests/distributions.rs covers those).
    let list = mock!(Client::list_distributions).then_compute_response(|_| {
        xml(
            200,
            &[],
            "<DistributionList><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity></DistributionList>".to_owned(),
        )
    });
    vec![describe, get, create, update, test, publish, list]
}

fn apply(v: &mut Version, config: &FunctionConfig) {
    v.comment = config.comment().to_owned();
    v.runtime = config.runtime().as_str().to_owned();
    v.kvs = config
        .key_value_store_associations()
        .map(|k| {
            k.items()
                .iter()
                .map(|a| a.key_value_store_arn().to_owned())
                .collect()
        })
        .unwrap_or_default();
}

// ---- the wire log ---------------------------------------------------------------------------

/// One request as it was transmitted.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    op: &'static str,
    function: String,
    stage: Option<&'static str>,
    if_match: Option<String>,
}

impl Sent {
    fn is(&self, op: &str) -> bool {
        self.op == op
    }
}

/// Records every request just before it is transmitted (after signing, so retries show too).
#[derive(Debug, Clone, Default)]
struct Wire(Arc<Mutex<Vec<Sent>>>);

impl Intercept for Wire {
    fn name(&self) -> &'static str {
        "wire log"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request();
        let uri = req.uri().to_owned();
        let (path, query) = uri.split_once('?').unwrap_or((&uri, ""));
        let path = path.split_once("/2020-05-31/").map_or(path, |(_, p)| p);
        let segments: Vec<&str> = path.split('/').collect();
        let body = req
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let op = match (req.method(), segments.as_slice()) {
            ("GET", ["function", _, "describe"]) => "DescribeFunction",
            ("GET", ["function", _]) => "GetFunction",
            ("POST", ["function"]) => "CreateFunction",
            ("PUT", ["function", _]) => "UpdateFunction",
            ("POST", ["function", _, "test"]) => "TestFunction",
            ("POST", ["function", _, "publish"]) => "PublishFunction",
            ("GET", ["distribution"]) => "ListDistributions",
            _ => "unknown",
        };
        let function = match segments.as_slice() {
            ["function", name, ..] => (*name).to_owned(),
            _ => body
                .split_once("<Name>")
                .and_then(|(_, r)| r.split_once("</Name>"))
                .map(|(n, _)| n.to_owned())
                .unwrap_or_default(),
        };
        let stage = if query.contains("Stage=LIVE") || body.contains("<Stage>LIVE</Stage>") {
            Some("LIVE")
        } else if query.contains("Stage=DEVELOPMENT") || body.contains("<Stage>DEVELOPMENT</Stage>")
        {
            Some("DEVELOPMENT")
        } else {
            None
        };
        let if_match = req.headers().get("If-Match").map(str::to_owned);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Sent {
            op,
            function,
            stage,
            if_match,
        });
        Ok(())
    }
}

impl Wire {
    /// The function's requests; the run's one ListDistributions goes beside them, in no fixed order.
    fn sent(&self) -> Vec<Sent> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        all.into_iter()
            .filter(|s| !s.is("ListDistributions"))
            .collect()
    }
}

// ---- harness --------------------------------------------------------------------------------

struct Harness {
    model: Arc<Mutex<Model>>,
    wire: Wire,
    cf: CloudFront,
}

fn config(model: &Arc<Mutex<Model>>, wire: &Wire, extra: &[Rule]) -> aws_sdk_cloudfront::Config {
    let mut mocks = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in extra.iter().chain(rules(model).iter()) {
        mocks = mocks.with_rule(rule);
    }
    aws_sdk_cloudfront::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "mock-secret",
            None,
            None,
            "mock",
        ))
        .http_client(create_mock_http_client())
        .interceptor(mocks)
        .interceptor(wire.clone())
        .build()
}

/// A client wrapped with `CloudFront::from_client`, as the brief's seam for unit tests.
fn harness(model: Model) -> Harness {
    let model = Arc::new(Mutex::new(model));
    let wire = Wire::default();
    let cf = CloudFront::from_client(Client::from_conf(config(&model, &wire, &[])));
    Harness { model, wire, cf }
}

fn case(name: &str, expect: Option<Value>) -> TestCase {
    TestCase {
        name: name.to_owned(),
        event: json!({
            "version": "1.0",
            "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "198.51.100.7"},
            "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}}
        }),
        expect,
        expect_error: None,
        max_compute_utilization: None,
        source: format!("tests/{name}.json").into(),
    }
}

fn function(name: &str, code: Option<&str>, tests: Vec<TestCase>) -> FunctionPlan {
    let fp = FunctionPlan::new(name.parse().expect("valid name"), Runtime::Js2).with_tests(tests);
    match code {
        Some(code) => fp
            .with_code(code.to_owned(), "function.js")
            .expect("valid code"),
        None => fp,
    }
}

fn plan(functions: Vec<FunctionPlan>) -> Plan {
    Plan::new(functions)
        .expect("valid plan")
        .with_github(GithubSettings {
            mode: CommentMode::Off,
            ..GithubSettings::default()
        })
}

async fn run(h: &Harness, plan: &Plan) -> Report {
    let on_done: OnDone = Arc::new(|_: &FunctionReport| {});
    pipeline::run(plan, &h.cf, on_done).await
}

fn ops(sent: &[Sent]) -> Vec<&'static str> {
    sent.iter().map(|s| s.op).collect()
}

fn count(sent: &[Sent], op: &str) -> usize {
    sent.iter().filter(|s| s.is(op)).count()
}

fn index_of(sent: &[Sent], op: &str) -> usize {
    sent.iter()
        .position(|s| s.is(op))
        .unwrap_or_else(|| panic!("no {op} in {:?}", ops(sent)))
}

/// The four reads come first, in any order (they run concurrently): both stages, config and code.
fn assert_reads_first(sent: &[Sent]) {
    assert!(sent.len() >= 4, "{sent:#?}");
    let mut reads: Vec<(&str, Option<&str>)> = sent[..4].iter().map(|s| (s.op, s.stage)).collect();
    reads.sort();
    assert_eq!(
        reads,
        vec![
            ("DescribeFunction", Some("DEVELOPMENT")),
            ("DescribeFunction", Some("LIVE")),
            ("GetFunction", Some("DEVELOPMENT")),
            ("GetFunction", Some("LIVE")),
        ],
        "{sent:#?}"
    );
}

fn only(report: &Report) -> &FunctionReport {
    assert_eq!(report.functions.len(), 1, "{report:#?}");
    &report.functions[0]
}

// ---- single function --------------------------------------------------------------------------

#[tokio::test]
async fn changed_code_is_updated_tested_and_the_tested_etag_is_published() {
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let old_dev = lock(&h.model).dev("redirect").etag;
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None), case("b", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();

    assert_reads_first(&sent);
    assert_eq!(
        ops(&sent[4..]),
        [
            "UpdateFunction",
            "TestFunction",
            "TestFunction",
            "PublishFunction",
            "DescribeFunction"
        ],
        "{sent:#?}"
    );
    let update = &sent[4];
    assert_eq!(
        update.if_match.as_deref(),
        Some(old_dev.as_str()),
        "update against the DEVELOPMENT ETag read"
    );
    let new_dev = lock(&h.model).dev("redirect");
    assert_eq!(new_dev.code, NEW_CODE);
    assert_ne!(new_dev.etag, old_dev);
    for t in &sent[5..7] {
        assert_eq!(
            t.if_match.as_deref(),
            Some(new_dev.etag.as_str()),
            "tests run against the updated ETag"
        );
        assert_eq!(t.stage, Some("DEVELOPMENT"));
    }
    assert_eq!(
        sent[7].if_match.as_deref(),
        Some(new_dev.etag.as_str()),
        "PublishFunction's If-Match is the tested ETag"
    );
    assert_eq!(
        (sent[8].op, sent[8].stage),
        ("DescribeFunction", Some("LIVE")),
        "LIVE read back for the etag output"
    );

    let f = only(&report);
    let live = lock(&h.model).live("redirect").expect("published");
    assert_eq!(live.code, NEW_CODE);
    assert!(f.error.is_none(), "{f:#?}");
    assert!(f.published && f.changed, "{f:#?}");
    assert_eq!(f.stage, Stage::Live);
    assert_eq!(
        f.etag.as_deref(),
        Some(live.etag.as_str()),
        "etag output is LIVE's, from DescribeFunction"
    );
    assert_eq!(f.status.as_deref(), Some("UNASSOCIATED"));
    assert_eq!(
        f.function_arn.as_deref(),
        Some("arn:aws:cloudfront::123456789012:function/redirect")
    );
    assert_eq!(f.test_results.len(), 2);
    assert!(
        f.test_results
            .iter()
            .all(|t| t.passed && t.compute_utilization == Some(12)),
        "{f:#?}"
    );
    assert_eq!(f.compute_utilization, Some(12));
}

#[tokio::test]
async fn unchanged_function_already_live_makes_no_update_and_no_publish() {
    let h = harness(Model::new().with("redirect", NEW_CODE, Some(NEW_CODE)));
    let (dev, live) = {
        let m = lock(&h.model);
        (m.dev("redirect"), m.live("redirect").expect("live"))
    };
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();

    assert_reads_first(&sent);
    assert_eq!(
        ops(&sent[4..]),
        ["TestFunction"],
        "two round trips only: reads, tests\n{sent:#?}"
    );
    assert_eq!(sent[4].if_match.as_deref(), Some(dev.etag.as_str()));
    let f = only(&report);
    assert!(f.error.is_none(), "{f:#?}");
    assert!(!f.published && !f.changed, "{f:#?}");
    assert_eq!(f.stage, Stage::Live);
    assert_eq!(f.etag.as_deref(), Some(live.etag.as_str()));
    assert_eq!(
        lock(&h.model).live("redirect"),
        Some(live),
        "LIVE untouched"
    );
}

#[tokio::test]
async fn unchanged_development_newer_than_live_is_published_without_update() {
    let h = harness(Model::new().with("redirect", NEW_CODE, Some(OLD_CODE)));
    let dev = lock(&h.model).dev("redirect");
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();

    assert_reads_first(&sent);
    assert_eq!(
        ops(&sent[4..]),
        ["TestFunction", "PublishFunction", "DescribeFunction"],
        "{sent:#?}"
    );
    assert_eq!(sent[5].if_match.as_deref(), Some(dev.etag.as_str()));
    let f = only(&report);
    assert!(f.error.is_none() && f.published && !f.changed, "{f:#?}");
    assert_eq!(
        lock(&h.model).live("redirect").map(|l| l.code),
        Some(NEW_CODE.to_owned())
    );
}

#[tokio::test]
async fn comment_change_alone_updates_and_keeps_the_existing_key_value_store() {
    let mut model = Model::new().with("redirect", NEW_CODE, Some(NEW_CODE));
    for v in model
        .functions
        .get_mut("redirect")
        .into_iter()
        .flat_map(|(d, l)| [d, l])
        .flatten()
    {
        v.kvs = vec![KVS.to_owned()];
        v.comment = "old".to_owned();
    }
    let h = harness(model);
    let mut fp = function("redirect", Some(NEW_CODE), vec![case("a", None)]);
    fp = fp
        .with_comment("redirect apex to www".to_owned())
        .expect("valid comment");
    let report = run(&h, &plan(vec![fp])).await;
    let sent = h.wire.sent();

    assert_eq!(count(&sent, "UpdateFunction"), 1, "{sent:#?}");
    let m = lock(&h.model);
    let (_, _, config) = &m.written[0];
    assert_eq!(config.comment(), "redirect apex to www");
    let kept: Vec<&str> = config
        .key_value_store_associations()
        .map(|k| k.items().iter().map(|a| a.key_value_store_arn()).collect())
        .unwrap_or_default();
    assert_eq!(
        kept,
        [KVS],
        "a KVS association the user did not mention is kept"
    );
    assert!(only(&report).published, "{report:#?}");
}

#[tokio::test]
async fn kvs_association_that_differs_triggers_an_update_with_the_new_list() {
    let h = harness(Model::new().with("redirect", NEW_CODE, Some(NEW_CODE)));
    let mut fp = function("redirect", Some(NEW_CODE), vec![case("a", None)]);
    fp = fp
        .with_kvs_arns(vec![KVS.parse().expect("valid ARN")])
        .expect("one store");
    let report = run(&h, &plan(vec![fp])).await;
    assert_eq!(count(&h.wire.sent(), "UpdateFunction"), 1);
    assert_eq!(lock(&h.model).dev("redirect").kvs, [KVS]);
    let f = only(&report);
    assert!(f.changed && f.published, "{f:#?}");
}

#[tokio::test]
async fn publish_412_reports_changed_after_test_and_nothing_else_is_published() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.change_after_test = true;
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();

    let tested = sent[index_of(&sent, "TestFunction")].if_match.clone();
    let publish = &sent[index_of(&sent, "PublishFunction")];
    assert_eq!(
        publish.if_match, tested,
        "publish sends the tested ETag, not the newer one"
    );
    // A 412 may be the SDK's retry of this run's own applied publish: LIVE is read (both halves,
    // once) to tell, and nothing else is sent.
    let after: Vec<(&str, Option<&str>)> = sent[index_of(&sent, "PublishFunction") + 1..]
        .iter()
        .map(|s| (s.op, s.stage))
        .collect();
    let mut after = after;
    after.sort();
    assert_eq!(
        after,
        [
            ("DescribeFunction", Some("LIVE")),
            ("GetFunction", Some("LIVE"))
        ],
        "only LIVE is read after a refused publish\n{sent:#?}"
    );
    let f = only(&report);
    let err = f.error.as_deref().unwrap_or_default();
    assert!(err.contains(CHANGED_AFTER_TEST), "{err}");
    assert!(
        err.contains("not published: function changed after it was tested"),
        "{err}"
    );
    assert!(err.contains("redirect"), "names the function: {err}");
    assert!(!f.published, "{f:#?}");
    assert_eq!(f.stage, Stage::Development);
    assert_eq!(
        f.etag.as_deref(),
        tested.as_deref(),
        "the etag output is the one that was tested"
    );
    assert_eq!(
        lock(&h.model).live("redirect").map(|l| l.code),
        Some(OLD_CODE.to_owned()),
        "LIVE keeps the old code"
    );
}

#[tokio::test]
async fn function_error_in_a_test_blocks_publish() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.tester = Arc::new(|_, event| {
        if event["request"]["uri"] == "/boom" {
            Answer {
                output: None,
                error: Some("TypeError: cannot read property 'value' of undefined".to_owned()),
                cu: 3,
            }
        } else {
            Answer {
                output: Some(json!({"request": event["request"]}).to_string()),
                error: None,
                cu: 5,
            }
        }
    });
    let h = harness(model);
    let mut boom = case("boom", None);
    boom.event["request"]["uri"] = json!("/boom");
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("ok", None), boom],
        )]),
    )
    .await;
    let sent = h.wire.sent();

    assert_eq!(
        count(&sent, "TestFunction"),
        2,
        "every test runs even when one fails\n{sent:#?}"
    );
    assert_eq!(count(&sent, "PublishFunction"), 0, "{sent:#?}");
    let f = only(&report);
    assert!(
        f.error
            .as_deref()
            .unwrap_or_default()
            .contains("1 of 2 tests failed"),
        "{f:#?}"
    );
    assert!(!f.published && f.changed, "{f:#?}");
    assert_eq!(f.stage, Stage::Development);
    assert_eq!(
        f.etag.as_deref(),
        Some(lock(&h.model).dev("redirect").etag.as_str())
    );
    let results: Vec<(&str, bool)> = f
        .test_results
        .iter()
        .map(|t| (t.name.as_str(), t.passed))
        .collect();
    assert_eq!(
        results,
        [("ok", true), ("boom", false)],
        "results keep the plan's order"
    );
    assert!(
        f.test_results[1]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("TypeError")
    );
}

#[tokio::test]
async fn unmet_expectation_blocks_publish_and_shows_the_difference() {
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let expect = json!({"response": {"statusCode": 301}});
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("redirects", Some(expect))],
        )]),
    )
    .await;
    assert_eq!(count(&h.wire.sent(), "PublishFunction"), 0);
    let f = only(&report);
    assert!(f.error.is_some() && !f.published, "{f:#?}");
    assert!(!f.test_results[0].passed);
    assert!(
        !f.test_results[0].diff.is_empty(),
        "a readable difference: {f:#?}"
    );
}

#[tokio::test]
async fn compute_utilization_over_the_limit_blocks_publish() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.tester = Arc::new(|_, event| Answer {
        output: Some(json!({"request": event["request"]}).to_string()),
        error: None,
        cu: 81,
    });
    let h = harness(model);
    let mut fp = function("redirect", Some(NEW_CODE), vec![case("a", None)]);
    fp = fp.with_max_compute_utilization(80).expect("0-100");
    let report = run(&h, &plan(vec![fp])).await;
    assert_eq!(count(&h.wire.sent(), "PublishFunction"), 0);
    let f = only(&report);
    assert!(f.error.is_some() && !f.published, "{f:#?}");
    assert_eq!(f.compute_utilization, Some(81));
    assert!(!f.test_results[0].passed);
}

#[tokio::test]
async fn compute_utilization_at_the_limit_publishes() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.tester = Arc::new(|_, event| Answer {
        output: Some(json!({"request": event["request"]}).to_string()),
        error: None,
        cu: 80,
    });
    let h = harness(model);
    let mut fp = function("redirect", Some(NEW_CODE), vec![case("a", None)]);
    fp = fp.with_max_compute_utilization(80).expect("0-100");
    let report = run(&h, &plan(vec![fp])).await;
    assert!(only(&report).published, "{report:#?}");
}

#[tokio::test]
async fn publish_false_updates_and_tests_but_never_publishes() {
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let mut p = plan(vec![function(
        "redirect",
        Some(NEW_CODE),
        vec![case("a", None)],
    )]);
    p = p.with_publish(false);
    let report = run(&h, &p).await;
    let sent = h.wire.sent();

    assert_reads_first(&sent);
    assert_eq!(
        ops(&sent[4..]),
        ["UpdateFunction", "TestFunction"],
        "{sent:#?}"
    );
    let f = only(&report);
    let dev = lock(&h.model).dev("redirect");
    assert!(f.error.is_none() && !f.published && f.changed, "{f:#?}");
    assert_eq!(f.stage, Stage::Development);
    assert_eq!(f.etag.as_deref(), Some(dev.etag.as_str()));
    assert_eq!(f.status.as_deref(), Some("UNPUBLISHED"));
    assert_eq!(
        lock(&h.model).live("redirect").map(|l| l.code),
        Some(OLD_CODE.to_owned())
    );
}

#[tokio::test]
async fn if_match_mismatch_aborts_before_any_write() {
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let current = lock(&h.model).dev("redirect").etag;
    let mut p = plan(vec![function(
        "redirect",
        Some(NEW_CODE),
        vec![case("a", None)],
    )]);
    p = p
        .with_if_match(Some("ESTALE999".parse().expect("etag")))
        .expect("one function");
    let report = run(&h, &p).await;
    let sent = h.wire.sent();

    assert_eq!(sent.len(), 4, "reads only\n{sent:#?}");
    assert_eq!(
        count(&sent, "UpdateFunction")
            + count(&sent, "TestFunction")
            + count(&sent, "PublishFunction"),
        0
    );
    let err = only(&report).error.clone().unwrap_or_default();
    assert!(
        err.contains("if-match") && err.contains("ESTALE999") && err.contains(&current),
        "{err}"
    );
    assert_eq!(lock(&h.model).dev("redirect").code, OLD_CODE);
}

#[tokio::test]
async fn if_match_equal_to_the_current_etag_proceeds() {
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let current = lock(&h.model).dev("redirect").etag;
    let mut p = plan(vec![function(
        "redirect",
        Some(NEW_CODE),
        vec![case("a", None)],
    )]);
    p = p
        .with_if_match(Some(current.parse().expect("etag")))
        .expect("one function");
    let report = run(&h, &p).await;
    assert!(only(&report).published, "{report:#?}");
    assert_eq!(h.wire.sent()[4].if_match.as_deref(), Some(current.as_str()));
}

#[tokio::test]
async fn if_match_set_but_the_function_missing_creates_nothing() {
    // A different current ETag aborts; "no function at all" is different from the ETag expected.
    let h = harness(Model::new());
    let mut p = plan(vec![function(
        "redirect",
        Some(NEW_CODE),
        vec![case("a", None)],
    )]);
    p = p
        .with_if_match(Some("EEXPECTED1".parse().expect("etag")))
        .expect("one function");
    let report = run(&h, &p).await;
    let sent = h.wire.sent();
    assert_eq!(count(&sent, "CreateFunction"), 0, "{sent:#?}");
    assert!(
        only(&report)
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("if-match"),
        "{report:#?}"
    );
}

#[tokio::test]
async fn missing_function_without_a_file_names_no_such_function_exists() {
    let h = harness(Model::new());
    let report = run(
        &h,
        &plan(vec![function("redirect", None, vec![case("a", None)])]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(
        sent.len(),
        4,
        "reads only, no create without code\n{sent:#?}"
    );
    let f = only(&report);
    let err = f.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("NoSuchFunctionExists") && err.contains("redirect"),
        "{err}"
    );
    assert!(err.contains("function-file"), "says how to fix it: {err}");
    assert!(!f.published && !f.changed);
}

#[tokio::test]
async fn missing_function_with_a_file_is_created_tested_and_published() {
    let h = harness(Model::new());
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();

    assert_reads_first(&sent);
    assert_eq!(
        ops(&sent[4..]),
        [
            "CreateFunction",
            "TestFunction",
            "PublishFunction",
            "DescribeFunction"
        ],
        "{sent:#?}"
    );
    let created = lock(&h.model).written[0].clone();
    assert_eq!(created.0, "CreateFunction");
    assert_eq!(created.2.runtime().as_str(), "cloudfront-js-2.0");
    let dev = lock(&h.model).dev("redirect");
    assert_eq!(sent[5].if_match.as_deref(), Some(dev.etag.as_str()));
    assert_eq!(sent[6].if_match.as_deref(), Some(dev.etag.as_str()));
    let f = only(&report);
    assert!(f.error.is_none() && f.published && f.changed, "{f:#?}");
    assert_eq!(
        f.etag.as_deref(),
        lock(&h.model).live("redirect").map(|l| l.etag).as_deref()
    );
}

#[tokio::test]
async fn no_file_tests_and_publishes_what_development_holds() {
    let h = harness(Model::new().with("redirect", NEW_CODE, Some(OLD_CODE)));
    let report = run(
        &h,
        &plan(vec![function("redirect", None, vec![case("a", None)])]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(
        ops(&sent[4..]),
        ["TestFunction", "PublishFunction", "DescribeFunction"],
        "{sent:#?}"
    );
    let f = only(&report);
    assert!(f.published && !f.changed, "{f:#?}");
}

#[tokio::test]
async fn update_rejected_with_4xx_names_the_code_and_stops() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.update_error = Some((413, "FunctionSizeLimitExceeded"));
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(ops(&sent).last(), Some(&"UpdateFunction"), "{sent:#?}");
    let err = only(&report).error.clone().unwrap_or_default();
    assert!(
        err.contains("redirect") && err.contains("FunctionSizeLimitExceeded"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}

#[tokio::test]
async fn test_events_are_sent_as_written_to_the_development_stage() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let mut model = Model::new().with("redirect", NEW_CODE, Some(NEW_CODE));
    let s = seen.clone();
    model.tester = Arc::new(move |_, event| {
        s.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
        Answer {
            output: Some("{}".to_owned()),
            error: None,
            cu: 1,
        }
    });
    let h = harness(model);
    let c = case("a", None);
    run(
        &h,
        &plan(vec![function("redirect", Some(NEW_CODE), vec![c.clone()])]),
    )
    .await;
    assert_eq!(
        *seen.lock().unwrap_or_else(|e| e.into_inner()),
        vec![c.event]
    );
}

// ---- retries ----------------------------------------------------------------------------------

#[tokio::test]
async fn throttling_and_5xx_are_retried_with_the_real_retry_config() {
    let model = Arc::new(Mutex::new(Model::new().with(
        "redirect",
        NEW_CODE,
        Some(OLD_CODE),
    )));
    let wire = Wire::default();
    let throttle = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>".to_owned();
    let (code, etag) = {
        let m = lock(&model);
        let live = m.live("redirect").expect("live");
        (live.code, live.etag)
    };
    // GetFunction LIVE: 503, then Throttling, then the code.
    let flaky = mock!(Client::get_function)
        .match_requests(|r| r.stage() == Some(&FunctionStage::Live))
        .sequence()
        .http_status(503, None)
        .http_status(400, Some(throttle))
        .http_response(move || {
            let mut resp = HttpResponse::new(http::StatusCode::OK.into(), code.clone().into());
            resp.headers_mut().insert("ETag", etag.clone());
            resp
        })
        .build();
    // `from_conf` installs the client's own retry settings (the seam `connect` uses too).
    let cf = CloudFront::from_conf(config(&model, &wire, std::slice::from_ref(&flaky)));
    let h = Harness { model, wire, cf };
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    let live_gets = sent
        .iter()
        .filter(|s| s.is("GetFunction") && s.stage == Some("LIVE"))
        .count();
    assert_eq!(live_gets, 3, "two retries\n{sent:#?}");
    assert_eq!(flaky.num_calls(), 3);
    assert!(only(&report).published, "{report:#?}");
}

#[tokio::test]
async fn precondition_failed_is_not_retried() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.change_after_test = true;
    let model = Arc::new(Mutex::new(model));
    let wire = Wire::default();
    let cf = CloudFront::from_conf(config(&model, &wire, &[]));
    let h = Harness { model, wire, cf };
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    assert_eq!(
        count(&h.wire.sent(), "PublishFunction"),
        1,
        "a 4xx is final"
    );
    assert!(
        only(&report)
            .error
            .as_deref()
            .unwrap_or_default()
            .contains(CHANGED_AFTER_TEST)
    );
}

// ---- manifests ----------------------------------------------------------------------------------

async fn two_functions(fail_fast: FailFast) -> (Harness, Report) {
    let mut model =
        Model::new()
            .with("good", OLD_CODE, Some(OLD_CODE))
            .with("bad", OLD_CODE, Some(OLD_CODE));
    model.tester = Arc::new(|name, event| {
        if name == "bad" {
            Answer {
                output: None,
                error: Some("Error: boom".to_owned()),
                cu: 2,
            }
        } else {
            Answer {
                output: Some(json!({"request": event["request"]}).to_string()),
                error: None,
                cu: 2,
            }
        }
    });
    let h = harness(model);
    let mut p = plan(vec![
        function("good", Some(NEW_CODE), vec![case("a", None)]),
        function("bad", Some(NEW_CODE), vec![case("a", None)]),
    ]);
    p = p.with_manifest("cloudfront-functions.yaml".to_owned());
    p = p.with_fail_fast(fail_fast);
    let report = run(&h, &p).await;
    (h, report)
}

#[tokio::test]
async fn all_or_nothing_publishes_nothing_when_one_function_fails() {
    let (h, report) = two_functions(FailFast::AllOrNothing).await;
    let sent = h.wire.sent();
    assert_eq!(count(&sent, "PublishFunction"), 0, "{sent:#?}");
    assert_eq!(
        count(&sent, "UpdateFunction"),
        2,
        "both are updated and tested"
    );
    let good = &report.functions[0];
    let bad = &report.functions[1];
    assert_eq!(
        (good.name.as_str(), bad.name.as_str()),
        ("good", "bad"),
        "plan order"
    );
    assert!(good.error.is_none() && !good.published, "{good:#?}");
    assert!(
        good.note
            .as_deref()
            .unwrap_or_default()
            .contains("all-or-nothing"),
        "{good:#?}"
    );
    assert_eq!(good.stage, Stage::Development);
    assert!(bad.error.is_some(), "{bad:#?}");
    assert!(!report.succeeded());
}

#[tokio::test]
async fn independent_publishes_each_function_whose_tests_pass() {
    let (h, report) = two_functions(FailFast::Independent).await;
    let sent = h.wire.sent();
    let published: Vec<&str> = sent
        .iter()
        .filter(|s| s.is("PublishFunction"))
        .map(|s| s.function.as_str())
        .collect();
    assert_eq!(published, ["good"], "{sent:#?}");
    assert!(report.functions[0].published);
    assert!(!report.functions[1].published && report.functions[1].error.is_some());
}

#[tokio::test]
async fn all_or_nothing_publishes_every_function_when_all_pass() {
    let h = harness(
        Model::new()
            .with("a", OLD_CODE, Some(OLD_CODE))
            .with("b", OLD_CODE, None),
    );
    let mut p = plan(vec![
        function("a", Some(NEW_CODE), vec![case("t", None)]),
        function("b", Some(NEW_CODE), vec![case("t", None)]),
    ]);
    p = p.with_manifest("cloudfront-functions.yaml".to_owned());
    let report = run(&h, &p).await;
    let sent = h.wire.sent();
    let last_test = sent
        .iter()
        .rposition(|s| s.is("TestFunction"))
        .expect("tests");
    let first_publish = index_of(&sent, "PublishFunction");
    assert!(
        last_test < first_publish,
        "every function is tested before any publish\n{sent:#?}"
    );
    assert!(
        report
            .functions
            .iter()
            .all(|f| f.published && f.error.is_none()),
        "{report:#?}"
    );
}

#[tokio::test]
async fn concurrency_larger_than_any_semaphore_still_runs() {
    // `concurrency` is a user input ("a positive integer"); u64::MAX must not panic the run.
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let mut p = plan(vec![function(
        "redirect",
        Some(NEW_CODE),
        vec![case("a", None)],
    )]);
    p = p.with_concurrency(usize::MAX).expect("positive");
    let report = run(&h, &p).await;
    assert_eq!(count(&h.wire.sent(), "UpdateFunction"), 1, "{report:#?}");
}

#[tokio::test]
async fn development_behind_live_is_updated_but_live_is_not_republished() {
    // LIVE already runs the file's code; DEVELOPMENT was changed since. Sync DEVELOPMENT, test it,
    // and skip the publish: LIVE holds exactly what was tested.
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(NEW_CODE)));
    let live = lock(&h.model).live("redirect").expect("live");
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(
        ops(&sent[4..]),
        ["UpdateFunction", "TestFunction"],
        "{sent:#?}"
    );
    let f = only(&report);
    assert!(f.error.is_none() && f.changed && !f.published, "{f:#?}");
    assert_eq!(f.stage, Stage::Live);
    assert_eq!(f.etag.as_deref(), Some(live.etag.as_str()));
}

// ---- lost answers and the guarantees as written (issue 12) ---------------------------------------

#[tokio::test]
async fn a_lost_create_answer_is_recognised_and_the_created_code_is_tested_and_published() {
    let mut model = Model::new();
    model.lose = vec!["CreateFunction"];
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "fresh",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(count(&sent, "CreateFunction"), 1, "{sent:#?}");
    let f = only(&report);
    assert!(
        f.succeeded() && f.published && f.changed && f.tested,
        "{f:#?}"
    );
    let live = lock(&h.model).live("fresh").expect("published");
    assert_eq!(live.code, NEW_CODE);
    let tested = sent[index_of(&sent, "TestFunction")].if_match.clone();
    assert_eq!(tested, Some(lock(&h.model).dev("fresh").etag), "{sent:#?}");
    assert!(
        f.steps
            .iter()
            .any(|l| l.contains("answer was lost") && l.contains("CreateFunction")),
        "{:?}",
        f.steps
    );
}

#[tokio::test]
async fn a_lost_update_answer_is_recognised_and_the_updated_etag_is_tested() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.lose = vec!["UpdateFunction"];
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(count(&sent, "UpdateFunction"), 1, "{sent:#?}");
    let f = only(&report);
    assert!(f.succeeded() && f.published, "{f:#?}");
    let dev_etag = lock(&h.model).dev("redirect").etag;
    assert_eq!(
        sent[index_of(&sent, "TestFunction")].if_match.as_deref(),
        Some(dev_etag.as_str())
    );
    assert_eq!(
        sent[index_of(&sent, "PublishFunction")].if_match.as_deref(),
        Some(dev_etag.as_str()),
        "the recognised ETag is the one tested and published"
    );
    assert_eq!(
        lock(&h.model).live("redirect").expect("live").code,
        NEW_CODE
    );
}

#[tokio::test]
async fn an_update_412_from_someone_elses_change_still_fails_cleanly() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.update_error = Some((412, "PreconditionFailed"));
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    let after: Vec<&str> = ops(&sent[index_of(&sent, "UpdateFunction") + 1..]);
    assert!(
        !after.contains(&"TestFunction") && !after.contains(&"PublishFunction"),
        "DEVELOPMENT does not hold this run's code: nothing is tested or published\n{sent:#?}"
    );
    assert!(
        after.contains(&"GetFunction"),
        "DEVELOPMENT was read to tell: {after:?}"
    );
    let f = only(&report);
    let err = f.error.as_deref().unwrap_or_default();
    assert!(err.contains("UpdateFunction: PreconditionFailed"), "{err}");
    assert!(!f.published);
    assert_eq!(
        lock(&h.model).live("redirect").expect("live").code,
        OLD_CODE
    );
}

#[tokio::test]
async fn a_lost_publish_answer_is_settled_by_reading_live() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.lose = vec!["PublishFunction"];
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let f = only(&report);
    assert!(f.succeeded() && f.published, "{f:#?}");
    let live = lock(&h.model).live("redirect").expect("live");
    assert_eq!(live.code, NEW_CODE);
    assert_eq!(f.stage, Stage::Live);
    assert_eq!(
        f.etag.as_deref(),
        Some(live.etag.as_str()),
        "the etag output is LIVE's"
    );
}

#[tokio::test]
async fn a_lost_publish_answer_with_the_tested_code_but_another_config_on_live_is_not_published() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.lose = vec!["PublishFunction"];
    model.foreign_live_comment = Some("someone else's comment");
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let f = only(&report);
    // LIVE holds the tested code, but not the tested config: not this run's publish.
    assert_eq!(
        lock(&h.model).live("redirect").expect("live").code,
        NEW_CODE
    );
    assert!(!f.published && !f.succeeded(), "{f:#?}");
    assert_eq!(f.stage, Stage::Development);
    let err = f.error.as_deref().unwrap_or_default();
    assert!(err.contains("changed after it was tested"), "{err}");
}

#[tokio::test]
async fn a_per_test_limit_fails_closed_when_test_function_reports_no_utilization() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.no_utilization = true;
    let h = harness(model);
    let mut limited = case("limited", None);
    limited.max_compute_utilization = Some(50);
    // The run's limit is the default 100: only the case's own limit is in play.
    let report = run(
        &h,
        &plan(vec![function("redirect", Some(NEW_CODE), vec![limited])]),
    )
    .await;
    let f = only(&report);
    assert!(!f.published && !f.tested, "{f:#?}");
    let t = &f.test_results[0];
    assert!(!t.passed);
    assert!(
        t.diff
            .iter()
            .any(|d| d.contains("no readable value") && d.contains("50")),
        "{:?}",
        t.diff
    );
    assert_eq!(count(&h.wire.sent(), "PublishFunction"), 0);
}

#[tokio::test]
async fn a_get_function_answer_without_an_etag_is_refused_before_any_write() {
    let mut model = Model::new().with("redirect", OLD_CODE, Some(OLD_CODE));
    model.get_without_etag = true;
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(sent.len(), 4, "only the reads\n{sent:#?}");
    let err = only(&report).error.as_deref().unwrap_or_default();
    assert!(err.contains("without an ETag"), "{err}");
}

#[tokio::test]
async fn an_existing_function_keeps_its_runtime_when_none_is_named() {
    let mut model = Model::new().with("old", OLD_CODE, Some(OLD_CODE));
    if let Some((Some(d), Some(l))) = model
        .functions
        .get_mut("old")
        .map(|f| (f.0.as_mut(), f.1.as_mut()))
    {
        d.runtime = "cloudfront-js-1.0".to_owned();
        l.runtime = "cloudfront-js-1.0".to_owned();
    }
    let h = harness(model);
    let fp = FunctionPlan::keeping_runtime("old".parse().expect("name"))
        .with_code(NEW_CODE.to_owned(), "function.js")
        .expect("code")
        .with_tests(vec![case("a", None)]);
    let report = run(&h, &plan(vec![fp])).await;
    assert!(only(&report).published, "{report:#?}");
    let m = lock(&h.model);
    let (op, _, config) = m.written.last().expect("an update");
    assert_eq!(op, "UpdateFunction");
    assert_eq!(config.runtime().as_str(), "cloudfront-js-1.0");
    assert_eq!(m.live("old").expect("live").runtime, "cloudfront-js-1.0");
}

#[tokio::test]
async fn a_new_function_without_a_named_runtime_is_created_with_2_0() {
    let h = harness(Model::new());
    let fp = FunctionPlan::keeping_runtime("fresh".parse().expect("name"))
        .with_code(NEW_CODE.to_owned(), "function.js")
        .expect("code");
    run(&h, &plan(vec![fp])).await;
    let m = lock(&h.model);
    let (op, _, config) = m.written.last().expect("a create");
    assert_eq!(op, "CreateFunction");
    assert_eq!(config.runtime().as_str(), "cloudfront-js-2.0");
}

#[tokio::test]
async fn a_function_without_test_cases_is_published_but_not_tested() {
    let h = harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE)));
    let report = run(
        &h,
        &plan(vec![function("redirect", Some(NEW_CODE), vec![])]),
    )
    .await;
    let f = only(&report);
    assert!(f.published && !f.tested && f.published_untested(), "{f:#?}");
    let tested = run(
        &harness(Model::new().with("redirect", OLD_CODE, Some(OLD_CODE))),
        &plan(vec![function(
            "redirect",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    assert!(only(&tested).tested, "{tested:#?}");
}

#[tokio::test]
async fn a_create_409_from_someone_elses_function_still_fails_cleanly() {
    let mut model = Model::new();
    model.foreign_create = Some(OLD_CODE);
    let h = harness(model);
    let report = run(
        &h,
        &plan(vec![function(
            "fresh",
            Some(NEW_CODE),
            vec![case("a", None)],
        )]),
    )
    .await;
    let sent = h.wire.sent();
    assert_eq!(count(&sent, "TestFunction"), 0, "{sent:#?}");
    assert_eq!(count(&sent, "PublishFunction"), 0, "{sent:#?}");
    let f = only(&report);
    let err = f.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("CreateFunction: FunctionAlreadyExists") && err.contains("Another writer"),
        "{err}"
    );
    assert!(!f.published);
    assert!(
        lock(&h.model).live("fresh").is_none(),
        "nothing reached LIVE"
    );
}
