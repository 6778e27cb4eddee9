//! The emulator as an AWS SDK sees it: every Functions operation over HTTP with
//! `aws-sdk-cloudfront`, every error code raised as the SDK's own error variant, If-Match races and
//! pagination. Raw HTTP only for what the SDK hides (headers, auth, the error XML itself).

mod emulator_support;

use aws_sdk_cloudfront::error::ProvideErrorMetadata as _;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    FunctionConfig, FunctionRuntime, FunctionStage, KeyValueStoreAssociation,
    KeyValueStoreAssociations,
};
use cloudfront_publish::emulator::Config;
use emulator_support::{AUTH, CODE, client, config, create, emulator, raw};

const KVS_ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000011111";
const EVENT: &str = r#"{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/index.html","querystring":{},"headers":{},"cookies":{}}}"#;

fn kvs_config(runtime: FunctionRuntime, arns: &[&str]) -> FunctionConfig {
    let mut items = KeyValueStoreAssociations::builder().quantity(arns.len() as i32);
    for arn in arns {
        items = items.items(
            KeyValueStoreAssociation::builder()
                .key_value_store_arn(*arn)
                .build()
                .expect("arn set"),
        );
    }
    FunctionConfig::builder()
        .comment("kvs")
        .runtime(runtime)
        .key_value_store_associations(items.build().expect("quantity set"))
        .build()
        .expect("config")
}

#[tokio::test]
async fn create_describe_get_update_publish_list_delete_round_trip() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());

    let created = cf
        .create_function()
        .name("redirect-www")
        .function_config(kvs_config(FunctionRuntime::CloudfrontJs20, &[KVS_ARN]))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect("create");
    let etag1 = created.e_tag().expect("etag").to_owned();
    let summary = created.function_summary().expect("summary");
    assert_eq!(summary.name(), "redirect-www");
    assert_eq!(summary.status(), Some("UNPUBLISHED"));
    let meta = summary.function_metadata().expect("metadata");
    assert_eq!(
        meta.function_arn(),
        "arn:aws:cloudfront::123456789012:function/redirect-www"
    );
    assert_eq!(meta.stage(), Some(&FunctionStage::Development));
    assert!(meta.created_time().is_some());
    let cfg = summary.function_config().expect("config");
    assert_eq!(cfg.runtime(), &FunctionRuntime::CloudfrontJs20);
    let kvs = cfg.key_value_store_associations().expect("kvs");
    assert_eq!(kvs.quantity(), 1);
    assert_eq!(kvs.items()[0].key_value_store_arn(), KVS_ARN);
    let location = created.location().expect("location");
    assert!(
        location.ends_with(
            "/2020-05-31/function/arn:aws:cloudfront::123456789012:function/redirect-www"
        ),
        "{location}"
    );

    let described = cf
        .describe_function()
        .name("redirect-www")
        .send()
        .await
        .expect("describe");
    assert_eq!(described.e_tag(), Some(etag1.as_str()));
    assert_eq!(
        described.function_summary().and_then(|s| s.status()),
        Some("UNPUBLISHED")
    );

    let got = cf
        .get_function()
        .name("redirect-www")
        .send()
        .await
        .expect("get");
    assert_eq!(
        got.function_code().map(|b| b.as_ref()),
        Some(CODE.as_bytes())
    );
    assert_eq!(got.e_tag(), Some(etag1.as_str()));
    assert_eq!(got.content_type(), Some("application/octet-stream"));

    let new_code = "function handler(event) { return event.request; }";
    let updated = cf
        .update_function()
        .name("redirect-www")
        .if_match(&etag1)
        .function_config(config("v2", FunctionRuntime::CloudfrontJs10))
        .function_code(Blob::new(new_code))
        .send()
        .await
        .expect("update");
    let etag2 = updated
        .e_tag()
        .expect("update returns the ETag (ETtag header)")
        .to_owned();
    assert_ne!(etag2, etag1);
    let summary = updated.function_summary().expect("summary");
    assert_eq!(summary.status(), Some("UNPUBLISHED"));
    let cfg = summary.function_config().expect("config");
    assert_eq!(cfg.comment(), "v2");
    assert_eq!(cfg.runtime(), &FunctionRuntime::CloudfrontJs10);
    assert!(cfg.key_value_store_associations().is_none());

    let published = cf
        .publish_function()
        .name("redirect-www")
        .if_match(&etag2)
        .send()
        .await
        .expect("publish");
    let summary = published.function_summary().expect("summary");
    assert_eq!(summary.status(), Some("UNASSOCIATED"));
    assert_eq!(
        summary.function_metadata().and_then(|m| m.stage()),
        Some(&FunctionStage::Live)
    );

    let live = cf
        .describe_function()
        .name("redirect-www")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("describe live");
    let live_etag = live.e_tag().expect("live etag").to_owned();
    assert_ne!(live_etag, etag2, "LIVE has its own ETag");
    let live_code = cf
        .get_function()
        .name("redirect-www")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("get live");
    assert_eq!(
        live_code.function_code().map(|b| b.as_ref()),
        Some(new_code.as_bytes())
    );
    assert_eq!(live_code.e_tag(), Some(live_etag.as_str()));

    let listed = cf.list_functions().send().await.expect("list");
    let list = listed.function_list().expect("list");
    assert_eq!(list.quantity(), 2, "both stages are listed");
    assert_eq!(list.next_marker(), None);
    let live_only = cf
        .list_functions()
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("list live");
    assert_eq!(live_only.function_list().map(|l| l.quantity()), Some(1));

    cf.delete_function()
        .name("redirect-www")
        .if_match(&etag2)
        .send()
        .await
        .expect("delete");
    let err = cf
        .describe_function()
        .name("redirect-www")
        .send()
        .await
        .expect_err("gone");
    assert!(err.into_service_error().is_no_such_function_exists());
    emu.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn test_function_reports_the_runtime_outcome_for_the_tested_stage() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    let etag = create(&cf, "f", CODE).await;

    let out = cf
        .test_function()
        .name("f")
        .if_match(&etag)
        .event_object(Blob::new(EVENT))
        .send()
        .await
        .expect("test");
    let result = out.test_result().expect("TestResult");
    let summary = result
        .function_summary()
        .expect("summary of the tested stage");
    assert_eq!(summary.name(), "f");
    assert_eq!(
        summary.function_metadata().and_then(|m| m.stage()),
        Some(&FunctionStage::Development)
    );
    let utilization: u32 = result
        .compute_utilization()
        .expect("utilization")
        .parse()
        .expect("utilization is a number");
    assert!(utilization <= 100);

    // Whatever the embedded runtime says about this code and event, TestFunction passes on.
    let event: serde_json::Value = serde_json::from_str(EVENT).expect("event");
    let expected = cloudfront_publish::runtime::run(cloudfront_publish::runtime::Invocation {
        code: CODE,
        runtime: cloudfront_publish::types::Runtime::Js2,
        event: &event,
        kvs: None,
        limits: &cloudfront_publish::runtime::Limits::default(),
    });
    assert_eq!(result.function_error_message(), expected.error.as_deref());
    assert_eq!(result.function_execution_logs(), expected.logs.as_slice());
    let output = result
        .function_output()
        .map(|o| serde_json::from_str::<serde_json::Value>(o).expect("FunctionOutput is JSON"));
    assert_eq!(output, expected.output);

    // LIVE is tested with LIVE's ETag, and reported as LIVE.
    cf.publish_function()
        .name("f")
        .if_match(&etag)
        .send()
        .await
        .expect("publish");
    let live_etag = cf
        .describe_function()
        .name("f")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("describe")
        .e_tag()
        .expect("etag")
        .to_owned();
    let wrong = cf
        .test_function()
        .name("f")
        .if_match(&etag)
        .stage(FunctionStage::Live)
        .event_object(Blob::new(EVENT))
        .send()
        .await
        .expect_err("DEVELOPMENT ETag does not test LIVE");
    assert_eq!(wrong.code(), Some("PreconditionFailed"));
    let live = cf
        .test_function()
        .name("f")
        .if_match(&live_etag)
        .stage(FunctionStage::Live)
        .event_object(Blob::new(EVENT))
        .send()
        .await
        .expect("test live");
    let stage = live
        .test_result()
        .and_then(|r| r.function_summary())
        .and_then(|s| s.function_metadata())
        .and_then(|m| m.stage().cloned());
    assert_eq!(stage, Some(FunctionStage::Live));
}

#[tokio::test]
async fn every_service_error_maps_to_the_sdk_error_variant() {
    let emu = emulator(Config {
        max_functions: 2,
        ..Config::default()
    })
    .await;
    let cf = client(&emu.endpoint_url());
    let etag = create(&cf, "f", CODE).await;

    // FunctionAlreadyExists
    let err = cf
        .create_function()
        .name("f")
        .function_config(config("", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("duplicate");
    assert!(err.into_service_error().is_function_already_exists());

    // FunctionSizeLimitExceeded (10 KB by default)
    let big = "x".repeat(10 * 1024 + 1);
    let err = cf
        .create_function()
        .name("big")
        .function_config(config("", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(big.as_bytes()))
        .send()
        .await
        .expect_err("too big");
    assert!(err.into_service_error().is_function_size_limit_exceeded());

    // InvalidArgument: comment too long, bad name, bad ARN, two stores
    let err = cf
        .create_function()
        .name("c")
        .function_config(config(&"c".repeat(129), FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("comment");
    assert!(err.into_service_error().is_invalid_argument());
    let err = cf
        .create_function()
        .name("bad.name")
        .function_config(config("", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("name");
    assert!(err.into_service_error().is_invalid_argument());
    let err = cf
        .create_function()
        .name("k")
        .function_config(kvs_config(
            FunctionRuntime::CloudfrontJs20,
            &["arn:aws:s3:::bucket"],
        ))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("arn");
    assert!(err.into_service_error().is_invalid_argument());
    let err = cf
        .create_function()
        .name("k")
        .function_config(kvs_config(
            FunctionRuntime::CloudfrontJs20,
            &[KVS_ARN, KVS_ARN],
        ))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("two stores");
    assert!(err.into_service_error().is_invalid_argument());

    // UnsupportedOperation: a key value store on cloudfront-js-1.0
    let err = cf
        .create_function()
        .name("k")
        .function_config(kvs_config(FunctionRuntime::CloudfrontJs10, &[KVS_ARN]))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("kvs on 1.0");
    assert!(err.into_service_error().is_unsupported_operation());

    // TooManyFunctions (quota of 2 here)
    create(&cf, "g", CODE).await;
    let err = cf
        .create_function()
        .name("h")
        .function_config(config("", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("quota");
    assert!(err.into_service_error().is_too_many_functions());

    // InvalidIfMatchVersion: no If-Match at all
    let err = cf
        .update_function()
        .name("f")
        .function_config(config("", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("no if-match");
    assert!(err.into_service_error().is_invalid_if_match_version());
    let err = cf
        .publish_function()
        .name("f")
        .send()
        .await
        .expect_err("no if-match");
    assert!(err.into_service_error().is_invalid_if_match_version());
    let err = cf
        .test_function()
        .name("f")
        .event_object(Blob::new(EVENT))
        .send()
        .await
        .expect_err("no if-match");
    assert!(err.into_service_error().is_invalid_if_match_version());
    let err = cf
        .delete_function()
        .name("f")
        .send()
        .await
        .expect_err("no if-match");
    assert!(err.into_service_error().is_invalid_if_match_version());

    // PreconditionFailed: a stale ETag on every conditional operation
    let err = cf
        .update_function()
        .name("f")
        .if_match("ESTALE")
        .function_config(config("", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(CODE))
        .send()
        .await
        .expect_err("stale");
    assert!(err.into_service_error().is_precondition_failed());
    let err = cf
        .publish_function()
        .name("f")
        .if_match("ESTALE")
        .send()
        .await
        .expect_err("stale");
    assert!(err.into_service_error().is_precondition_failed());
    let err = cf
        .delete_function()
        .name("f")
        .if_match("ESTALE")
        .send()
        .await
        .expect_err("stale");
    assert!(err.into_service_error().is_precondition_failed());

    // TestFunction arguments: EventObject must be JSON and within 40 KB
    let err = cf
        .test_function()
        .name("f")
        .if_match(&etag)
        .event_object(Blob::new("not json"))
        .send()
        .await
        .expect_err("bad event");
    assert!(err.into_service_error().is_invalid_argument());
    let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(41 * 1024));
    let err = cf
        .test_function()
        .name("f")
        .if_match(&etag)
        .event_object(Blob::new(huge))
        .send()
        .await
        .expect_err("big event");
    assert!(err.into_service_error().is_invalid_argument());

    // NoSuchFunctionExists: unknown name, and LIVE before any publish
    let err = cf
        .get_function()
        .name("nope")
        .send()
        .await
        .expect_err("unknown");
    assert!(err.into_service_error().is_no_such_function_exists());
    let err = cf
        .describe_function()
        .name("f")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect_err("never published");
    assert!(err.into_service_error().is_no_such_function_exists());
    let err = cf
        .test_function()
        .name("nope")
        .if_match(&etag)
        .event_object(Blob::new(EVENT))
        .send()
        .await
        .expect_err("unknown");
    assert!(err.into_service_error().is_no_such_function_exists());

    // FunctionInUse: a distribution uses the function
    cf.publish_function()
        .name("f")
        .if_match(&etag)
        .send()
        .await
        .expect("publish");
    assert!(emu.store().set_in_use("f", true).await);
    let live = cf
        .describe_function()
        .name("f")
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        live.function_summary().and_then(|s| s.status()),
        Some("DEPLOYED")
    );
    let err = cf
        .delete_function()
        .name("f")
        .if_match(&etag)
        .send()
        .await
        .expect_err("in use");
    let err = err.into_service_error();
    assert!(err.is_function_in_use(), "{err:?}");
    assert!(err.meta().message().is_some_and(|m| m.contains('f')));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_with_the_same_etag_never_both_win() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    let mut etag = create(&cf, "race", CODE).await;
    for round in 0..20 {
        let update = |code: String| {
            let cf = cf.clone();
            let etag = etag.clone();
            tokio::spawn(async move {
                cf.update_function()
                    .name("race")
                    .if_match(etag)
                    .function_config(config("", FunctionRuntime::CloudfrontJs20))
                    .function_code(Blob::new(code))
                    .send()
                    .await
            })
        };
        let a = update(format!("// a{round}\n{CODE}"));
        let b = update(format!("// b{round}\n{CODE}"));
        let (a, b) = (a.await.expect("task a"), b.await.expect("task b"));
        let winners: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one update wins");
        etag = winners[0].e_tag().expect("etag").to_owned();
    }
    // A publish racing an update with the same ETag: one of them gets PreconditionFailed.
    let publish = {
        let (cf, etag) = (cf.clone(), etag.clone());
        tokio::spawn(async move {
            cf.publish_function()
                .name("race")
                .if_match(etag)
                .send()
                .await
        })
    };
    let update = {
        let (cf, etag) = (cf.clone(), etag.clone());
        tokio::spawn(async move {
            cf.update_function()
                .name("race")
                .if_match(etag)
                .function_config(config("", FunctionRuntime::CloudfrontJs20))
                .function_code(Blob::new("function handler(e) { return e.request; }"))
                .send()
                .await
        })
    };
    let (p, u) = (publish.await.expect("task"), update.await.expect("task"));
    match (p, u) {
        (Ok(_), Ok(_)) => {
            // Both can succeed only in the order publish-then-update: LIVE holds the old code.
            let live = cf
                .get_function()
                .name("race")
                .stage(FunctionStage::Live)
                .send()
                .await
                .expect("live");
            let dev = cf.get_function().name("race").send().await.expect("dev");
            assert_ne!(live.function_code(), dev.function_code());
        }
        (Ok(_), Err(e)) => assert!(e.into_service_error().is_precondition_failed()),
        (Err(e), Ok(_)) => assert!(e.into_service_error().is_precondition_failed()),
        (Err(a), Err(b)) => panic!("both failed: {a:?} {b:?}"),
    }
}

#[tokio::test]
async fn list_functions_pages_with_next_marker() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    for name in ["e", "a", "d", "b", "c"] {
        create(&cf, name, CODE).await;
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = cf
            .list_functions()
            .max_items(2)
            .set_marker(marker.clone())
            .send()
            .await
            .expect("list");
        let list = out.function_list().expect("list");
        assert_eq!(list.max_items(), 2);
        assert!(list.quantity() <= 2);
        seen.extend(list.items().iter().map(|s| s.name().to_owned()));
        pages += 1;
        match list.next_marker() {
            Some(m) => marker = Some(m.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);

    // MaxItems must be numeric (the SDK only sends numbers, so ask over raw HTTP).
    let bad = raw(
        emu.addr(),
        "GET",
        "/2020-05-31/function?MaxItems=lots",
        &[("Authorization", AUTH)],
        "",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("<Code>InvalidArgument</Code>"),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn wire_headers_and_error_xml_match_the_service() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    let etag = create(&cf, "wire", CODE).await;

    // No Authorization header: 403 in the ErrorResponse form, with a request id.
    let denied = raw(
        emu.addr(),
        "GET",
        "/2020-05-31/function/wire/describe",
        &[],
        "",
    )
    .await;
    assert_eq!(denied.status, 403);
    let request_id = denied
        .header("x-amzn-requestid")
        .expect("request id")
        .to_owned();
    assert!(denied.body.contains(r#"<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>"#), "{}", denied.body);
    assert!(denied.body.contains(&format!(
        "<RequestId>{request_id}</RequestId></ErrorResponse>"
    )));

    // UpdateFunction answers with both ETag and the service's misspelt ETtag.
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><UpdateFunctionRequest xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><FunctionCode>{}</FunctionCode><FunctionConfig><Comment>raw</Comment><Runtime>cloudfront-js-2.0</Runtime></FunctionConfig></UpdateFunctionRequest>"#,
        "ZnVuY3Rpb24gaGFuZGxlcihlKSB7IHJldHVybiBlLnJlcXVlc3Q7IH0="
    );
    let updated = raw(
        emu.addr(),
        "PUT",
        "/2020-05-31/function/wire",
        &[("Authorization", AUTH), ("If-Match", &etag)],
        &body,
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let new_etag = updated.header("etag").expect("ETag");
    assert_eq!(updated.header("ettag"), Some(new_etag));
    assert_ne!(new_etag, etag);
    assert!(updated.header("x-amzn-requestid").is_some());
    assert!(updated.body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><FunctionSummary xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">"#));

    // Delete is 204 with no body; unknown operations are refused, not guessed.
    let deleted = raw(
        emu.addr(),
        "DELETE",
        "/2020-05-31/function/wire",
        &[("Authorization", AUTH), ("If-Match", new_etag)],
        "",
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    let other = raw(
        emu.addr(),
        "GET",
        "/2020-05-31/origin-access-control",
        &[("Authorization", AUTH)],
        "",
    )
    .await;
    assert_eq!(other.status, 400);
    assert!(other.body.contains("<Code>UnsupportedOperation</Code>"));
}
