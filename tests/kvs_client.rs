//! The key value store data plane through the real `aws-sdk-cloudfrontkeyvaluestore` client against
//! a loopback HTTP server: the request reaches `endpoint-url` as given (not the account-id host the
//! SDK's rules build), is signed with SigV4A, ListKeys reads every page, UpdateKeys sends If-Match
//! and returns the new ETag, and a conflict is recognised as one.
//!
//! Not for: the pipeline's order of writes (tests/kvs_pipeline.rs) or the emulator's own answers.

use aws_credential_types::Credentials;
use aws_sdk_cloudfrontkeyvaluestore as kvs_sdk;
use cloudfront_publish::aws::kvs::KvsClient;
use cloudfront_publish::kvs::Batch;
use serde_json::json;
use wiremock::matchers::{header, method, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";

fn client(url: &str) -> KvsClient {
    let conf = kvs_sdk::Config::builder()
        .behavior_version(kvs_sdk::config::BehaviorVersion::latest())
        .region(kvs_sdk::config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(url)
        .build();
    KvsClient::from_conf(conf)
}

fn received(server_requests: &[Request]) -> Vec<String> {
    server_requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test]
async fn the_data_plane_is_reached_at_the_endpoint_as_given_and_signed_with_sigv4a() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/key-value-stores/[^/]+$"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "KV1ETAG")
                .set_body_json(json!({
                    "ItemCount": 2, "TotalSizeInBytes": 10, "KvsARN": ARN,
                    "Created": 1.7e9, "Status": "READY"
                })),
        )
        .mount(&server)
        .await;
    let v = client(&server.uri()).describe(ARN).await.unwrap();
    assert_eq!(v.etag.as_str(), "KV1ETAG");
    assert_eq!(v.item_count, 2);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    let host = reqs[0].headers.get("host").unwrap().to_str().unwrap();
    assert!(host.starts_with("127.0.0.1:"), "host {host}");
    let auth = reqs[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(auth.starts_with("AWS4-ECDSA-P256-SHA256 "), "{auth}");
    assert!(
        auth.contains("/cloudfront-keyvaluestore/aws4_request"),
        "{auth}"
    );
    assert_eq!(
        reqs[0]
            .headers
            .get("x-amz-region-set")
            .unwrap()
            .to_str()
            .unwrap(),
        "*"
    );
}

#[tokio::test]
async fn list_keys_reads_every_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/keys$"))
        .and(query_param("NextToken", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "Items": [{"Key": "c", "Value": "3"}]
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"/keys$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "Items": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
            "NextToken": "page2"
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    let data = client(&server.uri()).list(ARN).await.unwrap();
    let got: Vec<(&str, &str)> = data.iter().collect();
    assert_eq!(got, vec![("a", "1"), ("b", "2"), ("c", "3")]);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2, "{:?}", received(&reqs));
    assert!(
        reqs.iter()
            .all(|r| r.url.query().unwrap_or("").contains("MaxResults=50")),
        "pages of the model's maximum size"
    );
}

#[tokio::test]
async fn update_keys_sends_if_match_and_the_batch_and_returns_the_new_etag() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"/keys$"))
        .and(header("if-match", "KV1OLD"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "KV2NEW")
                .set_body_json(json!({"ItemCount": 2, "TotalSizeInBytes": 9})),
        )
        .mount(&server)
        .await;
    let batch = Batch {
        puts: vec![("/old".into(), "/new".into())],
        deletes: vec!["gone".into()],
    };
    let etag = client(&server.uri())
        .update(ARN, &"KV1OLD".parse().unwrap(), &batch)
        .await
        .unwrap();
    assert_eq!(etag.as_str(), "KV2NEW");
    let reqs = server.received_requests().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        body,
        json!({"Puts": [{"Key": "/old", "Value": "/new"}], "Deletes": [{"Key": "gone"}]})
    );
}

#[tokio::test]
async fn a_write_at_a_stale_etag_is_a_store_conflict_and_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("x-amzn-ErrorType", "ConflictException")
                .set_body_json(json!({"Message": "The ETag does not match"})),
        )
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .update(ARN, &"KV1OLD".parse().unwrap(), &Batch::default())
        .await
        .unwrap_err();
    assert!(err.is_store_conflict(), "{err}");
    assert_eq!(err.operation, "UpdateKeys");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
