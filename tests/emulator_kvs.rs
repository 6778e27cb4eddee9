//! Key value stores in the emulator as the real SDKs see them: the control plane through
//! `aws-sdk-cloudfront` (REST-XML) and the data plane through `aws-sdk-cloudfrontkeyvaluestore`
//! (REST-JSON, SigV4A) on the same port, TestFunction reading the associated store, `--state`
//! keeping stores and keys, and lost answers of key writes.

mod emulator_support;

use aws_sdk_cloudfront::error::ProvideErrorMetadata as _;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    FunctionConfig, FunctionRuntime, KeyValueStoreAssociation, KeyValueStoreAssociations,
};
use aws_sdk_cloudfrontkeyvaluestore::types::{DeleteKeyRequestListItem, PutKeyRequestListItem};
use cloudfront_publish::emulator::{Config, LoseRule};
use emulator_support::{client, create_store, emulator, kvs_client};

const REDIRECT: &str = include_str!("fixtures/runtime/kvs-redirect.js");

fn put(key: &str, value: &str) -> PutKeyRequestListItem {
    PutKeyRequestListItem::builder()
        .key(key)
        .value(value)
        .build()
        .expect("key and value")
}

fn associated(arn: &str) -> FunctionConfig {
    FunctionConfig::builder()
        .comment("")
        .runtime(FunctionRuntime::CloudfrontJs20)
        .key_value_store_associations(
            KeyValueStoreAssociations::builder()
                .quantity(1)
                .items(
                    KeyValueStoreAssociation::builder()
                        .key_value_store_arn(arn)
                        .build()
                        .expect("arn"),
                )
                .build()
                .expect("quantity"),
        )
        .build()
        .expect("config")
}

#[tokio::test]
async fn the_control_plane_keeps_stores_with_etags_and_refuses_as_the_model_says() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    let created = cf
        .create_key_value_store()
        .name("redirects")
        .comment("first")
        .send()
        .await
        .expect("create");
    let store = created.key_value_store().expect("store");
    assert_eq!(store.status(), Some("PROVISIONING"));
    assert!(
        store
            .arn()
            .starts_with("arn:aws:cloudfront::123456789012:key-value-store/")
    );
    assert!(created.location().is_some_and(|l| l.ends_with(store.arn())));
    let first_etag = created.e_tag().expect("etag").to_owned();
    let arn = store.arn().to_owned();

    let described = cf
        .describe_key_value_store()
        .name("redirects")
        .send()
        .await
        .expect("describe");
    assert_eq!(described.e_tag(), Some(first_etag.as_str()));
    assert_eq!(
        described.key_value_store().and_then(|s| s.status()),
        Some("READY")
    );
    let again = cf
        .create_key_value_store()
        .name("redirects")
        .send()
        .await
        .expect_err("taken");
    assert!(again.into_service_error().is_entity_already_exists());

    create_store(&cf, "flags").await;
    let page = cf
        .list_key_value_stores()
        .max_items(1)
        .send()
        .await
        .expect("list");
    let list = page.key_value_store_list().expect("list");
    assert_eq!(list.quantity(), 1);
    assert_eq!(list.items()[0].name(), "flags");
    let next = list.next_marker().expect("a second page").to_owned();
    let page = cf
        .list_key_value_stores()
        .marker(next)
        .send()
        .await
        .expect("page 2");
    let names: Vec<_> = page
        .key_value_store_list()
        .map(|l| l.items().iter().map(|s| s.name().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["redirects"]);

    let updated = cf
        .update_key_value_store()
        .name("redirects")
        .comment("second")
        .if_match(&first_etag)
        .send()
        .await
        .expect("update");
    let etag = updated.e_tag().expect("etag").to_owned();
    assert_ne!(etag, first_etag);
    let stale = cf
        .update_key_value_store()
        .name("redirects")
        .comment("third")
        .if_match(&first_etag)
        .send()
        .await
        .expect_err("stale");
    assert!(stale.into_service_error().is_precondition_failed());

    cf.create_function()
        .name("uses-it")
        .function_config(associated(&arn))
        .function_code(Blob::new(REDIRECT))
        .send()
        .await
        .expect("function");
    let in_use = cf
        .delete_key_value_store()
        .name("redirects")
        .if_match(&etag)
        .send()
        .await
        .expect_err("associated");
    assert!(
        in_use
            .into_service_error()
            .is_cannot_delete_entity_while_in_use()
    );
    let fn_etag = cf
        .describe_function()
        .name("uses-it")
        .send()
        .await
        .expect("describe fn")
        .e_tag()
        .expect("etag")
        .to_owned();
    cf.delete_function()
        .name("uses-it")
        .if_match(fn_etag)
        .send()
        .await
        .expect("delete fn");
    cf.delete_key_value_store()
        .name("redirects")
        .if_match(&etag)
        .send()
        .await
        .expect("delete store");
    let gone = cf
        .describe_key_value_store()
        .name("redirects")
        .send()
        .await
        .expect_err("gone");
    assert!(gone.into_service_error().is_entity_not_found());
}

#[tokio::test]
async fn the_data_plane_answers_the_sigv4a_sdk_at_the_endpoint_as_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("requests.jsonl");
    let emu = emulator(Config {
        request_log: Some(log.clone()),
        ..Config::default()
    })
    .await;
    let cf = client(&emu.endpoint_url());
    let kvs = kvs_client(&emu.endpoint_url(), false);
    let arn = create_store(&cf, "data").await;

    let described = kvs
        .describe_key_value_store()
        .kvs_arn(&arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.item_count(), 0);
    assert_eq!(described.kvs_arn(), arn);
    let etag = described.e_tag().to_owned();

    let updated = kvs
        .update_keys()
        .kvs_arn(&arn)
        .if_match(&etag)
        .puts(put("/a", "/x"))
        .puts(put("/b", "/y"))
        .puts(put("/c", "/z"))
        .send()
        .await
        .expect("update keys");
    assert_eq!(updated.item_count(), 3);
    assert_eq!(updated.total_size_in_bytes(), 12);
    let stale = kvs
        .update_keys()
        .kvs_arn(&arn)
        .if_match(&etag)
        .puts(put("/d", "/w"))
        .send()
        .await
        .expect_err("stale ETag");
    assert!(stale.into_service_error().is_conflict_exception());

    let etag = kvs
        .put_key()
        .kvs_arn(&arn)
        .key("/b")
        .value("/changed")
        .if_match(updated.e_tag())
        .send()
        .await
        .expect("put")
        .e_tag()
        .to_owned();
    let got = kvs
        .get_key()
        .kvs_arn(&arn)
        .key("/b")
        .send()
        .await
        .expect("get");
    assert_eq!(got.value(), "/changed");

    let page = kvs
        .list_keys()
        .kvs_arn(&arn)
        .max_results(2)
        .send()
        .await
        .expect("list");
    let keys: Vec<_> = page.items().iter().map(|i| i.key().to_owned()).collect();
    assert_eq!(keys, ["/a", "/b"]);
    let rest = kvs
        .list_keys()
        .kvs_arn(&arn)
        .next_token(page.next_token().expect("more"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(rest.items()[0].key(), "/c");
    assert_eq!(rest.next_token(), None);
    let too_many = kvs
        .list_keys()
        .kvs_arn(&arn)
        .max_results(51)
        .send()
        .await
        .expect_err("MaxResults over 50");
    assert!(too_many.into_service_error().is_validation_exception());

    let etag = kvs
        .delete_key()
        .kvs_arn(&arn)
        .key("/a")
        .if_match(&etag)
        .send()
        .await
        .expect("delete")
        .e_tag()
        .to_owned();
    let missing = kvs
        .delete_key()
        .kvs_arn(&arn)
        .key("/a")
        .if_match(&etag)
        .send()
        .await
        .expect_err("deleted already");
    assert!(
        missing
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let secret = "s3cr3t".repeat(200);
    let over = kvs
        .put_key()
        .kvs_arn(&arn)
        .key("/big")
        .value(&secret)
        .if_match(&etag)
        .send()
        .await
        .expect_err("value over 1 KB");
    let message = over.message().unwrap_or_default().to_owned();
    assert!(over.into_service_error().is_validation_exception());
    assert!(
        !message.contains("s3cr3t"),
        "a value in an error: {message}"
    );
    emu.shutdown().await.expect("shutdown");

    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        !text.contains("s3cr3t") && !text.contains("/changed"),
        "values in the log"
    );
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let ops: Vec<String> = lines
        .iter()
        .map(|l| l["operation"].as_str().unwrap_or("unrouted").to_owned())
        .collect();
    // The control plane signs with SigV4, the data plane with SigV4A, and both are accepted.
    assert_eq!(lines[0]["auth"], "AWS4-HMAC-SHA256");
    for line in &lines[1..] {
        assert_eq!(line["auth"], "AWS4-ECDSA-P256-SHA256", "{line}");
    }
    assert_eq!(
        ops,
        [
            "CreateKeyValueStore",
            "kvs:DescribeKeyValueStore",
            "UpdateKeys",
            "UpdateKeys",
            "PutKey",
            "GetKey",
            "ListKeys",
            "ListKeys",
            "ListKeys",
            "DeleteKey",
            "DeleteKey",
            "PutKey",
        ]
    );
}

#[tokio::test]
async fn test_function_reads_the_associated_store_and_state_keeps_stores_and_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        state_file: Some(dir.path().join("state.json")),
        ..Config::default()
    };
    let emu = emulator(config.clone()).await;
    let cf = client(&emu.endpoint_url());
    let kvs = kvs_client(&emu.endpoint_url(), true);
    let arn = create_store(&cf, "redirects").await;
    let etag = kvs
        .describe_key_value_store()
        .kvs_arn(&arn)
        .send()
        .await
        .expect("describe")
        .e_tag()
        .to_owned();
    kvs.put_key()
        .kvs_arn(&arn)
        .key("/old")
        .value("/new")
        .if_match(etag)
        .send()
        .await
        .expect("put");
    let fn_etag = cf
        .create_function()
        .name("redirect")
        .function_config(associated(&arn))
        .function_code(Blob::new(REDIRECT))
        .send()
        .await
        .expect("create")
        .e_tag()
        .expect("etag")
        .to_owned();
    emu.shutdown().await.expect("shutdown");

    // After a restart the store, its key and the association are still there.
    let emu = emulator(config).await;
    let cf = client(&emu.endpoint_url());
    let event = r#"{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/old","querystring":{},"headers":{},"cookies":{}}}"#;
    let tested = cf
        .test_function()
        .name("redirect")
        .if_match(fn_etag)
        .event_object(Blob::new(event))
        .send()
        .await
        .expect("test");
    let output = tested
        .test_result()
        .and_then(|r| r.function_output())
        .expect("an output");
    let output: serde_json::Value = serde_json::from_str(output).expect("JSON");
    assert_eq!(output["response"]["statusCode"], 302, "{output}");
    assert_eq!(output["response"]["headers"]["location"]["value"], "/new");
    let kvs = kvs_client(&emu.endpoint_url(), true);
    let keys = kvs
        .list_keys()
        .kvs_arn(&arn)
        .send()
        .await
        .expect("list after restart");
    assert_eq!(keys.items().len(), 1);
}

#[tokio::test]
async fn a_lost_update_keys_answer_is_applied_and_the_retry_meets_a_moved_etag() {
    let emu = emulator(Config {
        lose: vec!["UpdateKeys:503".parse::<LoseRule>().expect("rule")],
        ..Config::default()
    })
    .await;
    let cf = client(&emu.endpoint_url());
    let kvs = kvs_client(&emu.endpoint_url(), true);
    let arn = create_store(&cf, "lost").await;
    let etag = kvs
        .describe_key_value_store()
        .kvs_arn(&arn)
        .send()
        .await
        .expect("describe")
        .e_tag()
        .to_owned();
    let err = kvs
        .update_keys()
        .kvs_arn(&arn)
        .if_match(&etag)
        .puts(put("k", "v"))
        .deletes(
            DeleteKeyRequestListItem::builder()
                .key("absent")
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect_err("the retry names the ETag the first attempt moved");
    assert_eq!(err.code(), Some("ConflictException"));
    let got = kvs
        .get_key()
        .kvs_arn(&arn)
        .key("k")
        .send()
        .await
        .expect("the first attempt was applied");
    assert_eq!(got.value(), "v");
}
