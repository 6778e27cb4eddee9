//! Shared helpers for the emulator tests: start an emulator, build an SDK client for it, create
//! functions, and send raw HTTP for what an SDK would never send.
//!
//! Not a test itself; each `tests/emulator_*.rs` includes it with `mod emulator_support;`.

#![allow(dead_code)]

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::config::retry::RetryConfig;
use aws_sdk_cloudfront::config::{Credentials, Region};
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{FunctionConfig, FunctionRuntime};
use cloudfront_publish::emulator::{Config, Running, start};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A small valid cloudfront-js-2.0 function.
pub const CODE: &str = "function handler(event) { console.log('hi'); return event.request; }";

/// A SigV4-looking header the emulator accepts (it does not check signatures).
pub const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=0";

/// Starts an emulator with `config` (its listen address forced to a free loopback port).
pub async fn emulator(config: Config) -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        ..config
    };
    start(config).await.expect("emulator starts")
}

/// An SDK client for `url`, as the brief prescribes, with the SDK's default retries.
pub fn client(url: &str) -> Client {
    client_with_retries(url, true)
}

/// An SDK client for `url`; `retries = false` makes every fault visible.
pub fn client_with_retries(url: &str, retries: bool) -> Client {
    let mut builder = aws_sdk_cloudfront::Config::builder()
        .behavior_version_latest()
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ));
    if !retries {
        builder = builder.retry_config(RetryConfig::disabled());
    }
    Client::from_conf(builder.build())
}

/// FunctionConfig with `comment` and `runtime`.
pub fn config(comment: &str, runtime: FunctionRuntime) -> FunctionConfig {
    FunctionConfig::builder()
        .comment(comment)
        .runtime(runtime)
        .build()
        .expect("comment and runtime set")
}

/// Creates `name` with `code` on cloudfront-js-2.0 and returns its DEVELOPMENT ETag.
pub async fn create(client: &Client, name: &str, code: &str) -> String {
    let out = client
        .create_function()
        .name(name)
        .function_config(config("test", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(code.as_bytes()))
        .send()
        .await
        .expect("CreateFunction succeeds");
    out.e_tag()
        .expect("CreateFunction returns an ETag")
        .to_owned()
}

/// A raw HTTP/1.1 answer.
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Header (lower-case name, value) pairs in order.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl RawResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request over a fresh connection and reads the whole answer.
pub async fn raw(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    let text = String::from_utf8(bytes).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("header end");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Keeps the key value store SDK's endpoint rules (SigV4A, signing name) but sends every request
/// to `url` as given: the rules would put the account id in front of the host
/// (`123456789012.127.0.0.1`), which does not resolve.
#[derive(Debug)]
struct AsGiven {
    url: String,
    rules: aws_sdk_cloudfrontkeyvaluestore::config::endpoint::DefaultResolver,
}

impl aws_sdk_cloudfrontkeyvaluestore::config::endpoint::ResolveEndpoint for AsGiven {
    fn resolve_endpoint<'a>(
        &'a self,
        params: &'a aws_sdk_cloudfrontkeyvaluestore::config::endpoint::Params,
    ) -> aws_sdk_cloudfrontkeyvaluestore::config::endpoint::EndpointFuture<'a> {
        aws_sdk_cloudfrontkeyvaluestore::config::endpoint::EndpointFuture::new(Box::pin(
            async move {
                let endpoint = self.rules.resolve_endpoint(params).await?;
                Ok(endpoint.into_builder().url(self.url.clone()).build())
            },
        ))
    }
}

/// A key value store data-plane client (SigV4A) for the emulator at `url`.
pub fn kvs_client(url: &str, retries: bool) -> aws_sdk_cloudfrontkeyvaluestore::Client {
    use aws_sdk_cloudfrontkeyvaluestore::config::{Credentials, Region};
    let mut builder = aws_sdk_cloudfrontkeyvaluestore::Config::builder()
        .behavior_version_latest()
        .endpoint_url(url)
        .endpoint_resolver(AsGiven {
            url: url.to_owned(),
            rules: aws_sdk_cloudfrontkeyvaluestore::config::endpoint::DefaultResolver::new(),
        })
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ));
    if !retries {
        builder = builder
            .retry_config(aws_sdk_cloudfrontkeyvaluestore::config::retry::RetryConfig::disabled());
    }
    aws_sdk_cloudfrontkeyvaluestore::Client::from_conf(builder.build())
}

/// Creates the key value store `name` through the control plane and returns its ARN.
pub async fn create_store(client: &Client, name: &str) -> String {
    client
        .create_key_value_store()
        .name(name)
        .send()
        .await
        .expect("CreateKeyValueStore succeeds")
        .key_value_store()
        .map(|s| s.arn().to_owned())
        .expect("the answer names the store")
}
