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

// ---- the control plane: create, an existing store, the wait for READY --------------------------

mod control_plane {
    use aws_sdk_cloudfront::Client;
    use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_cloudfront::operation::create_key_value_store::CreateKeyValueStoreError;
    use aws_sdk_cloudfront::operation::describe_key_value_store::DescribeKeyValueStoreOutput;
    use aws_sdk_cloudfront::types::KeyValueStore;
    use aws_sdk_cloudfront::types::error::EntityAlreadyExists;
    use aws_smithy_mocks::{
        MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
    };
    use cloudfront_publish::aws::{AwsErrorCode, CloudFront};

    use super::ARN;

    fn store(status: &str) -> KeyValueStore {
        KeyValueStore::builder()
            .name("site-redirects")
            .id("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111")
            .comment("")
            .arn(ARN)
            .status(status)
            .last_modified_time(aws_sdk_cloudfront::primitives::DateTime::from_secs(1))
            .build()
            .unwrap()
    }

    fn client(mode: RuleMode, rules: &[&Rule]) -> CloudFront {
        let mut mocks = MockResponseInterceptor::new().rule_mode(mode);
        for r in rules {
            mocks = mocks.with_rule(r);
        }
        let conf = aws_sdk_cloudfront::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDEXAMPLE", "mock", None, None, "mock"))
            .http_client(create_mock_http_client())
            .interceptor(mocks)
            .build();
        CloudFront::from_client(Client::from_conf(conf))
    }

    fn describe_then(statuses: &'static [&'static str]) -> Rule {
        let mut seq = mock!(Client::describe_key_value_store).sequence();
        for s in statuses {
            seq = seq.output(move || {
                DescribeKeyValueStoreOutput::builder()
                    .key_value_store(store(s))
                    .e_tag("ECTL1")
                    .build()
            });
        }
        seq.build()
    }

    #[tokio::test]
    async fn the_wait_for_ready_polls_until_the_store_is_ready() {
        let describe = describe_then(&["PROVISIONING", "READY"]);
        let cf = client(RuleMode::Sequential, &[&describe]);
        let info = cf
            .wait_kvs_ready(cloudfront_publish::aws::kvs::StoreInfo {
                name: "site-redirects".into(),
                arn: ARN.into(),
                status: "PROVISIONING".into(),
            })
            .await
            .unwrap();
        assert_eq!(info.status, "READY");
        assert_eq!(describe.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_store_that_fails_to_provision_is_an_error_naming_it() {
        let describe = describe_then(&["PROVISIONING_FAILED"]);
        let cf = client(RuleMode::Sequential, &[&describe]);
        let err = cf
            .wait_kvs_ready(cloudfront_publish::aws::kvs::StoreInfo {
                name: "site-redirects".into(),
                arn: ARN.into(),
                status: "PROVISIONING".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, AwsErrorCode::ProvisioningFailed);
        assert!(err.message.contains("site-redirects"), "{err}");
    }

    #[tokio::test]
    async fn a_create_that_meets_an_existing_store_answers_with_it() {
        let create = mock!(Client::create_key_value_store).then_error(|| {
            CreateKeyValueStoreError::EntityAlreadyExists(
                EntityAlreadyExists::builder().message("exists").build(),
            )
        });
        let describe = describe_then(&["READY"]);
        let cf = client(RuleMode::MatchAny, &[&create, &describe]);
        let info = cf.create_kvs("site-redirects", "c").await.unwrap();
        assert_eq!(info.arn, ARN);
        assert_eq!((create.num_calls(), describe.num_calls()), (1, 1));
    }
}
