//! Distributions in the emulator through `aws-sdk-cloudfront`: the config kept as sent, its
//! FunctionAssociations read (default and path-pattern behaviors), only published functions
//! associated, If-Match on update and delete, only disabled distributions deleted, pages of
//! ListDistributions, and a used LIVE function reporting DEPLOYED.

mod emulator_support;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    Aliases, CacheBehavior, CacheBehaviors, DefaultCacheBehavior, DistributionConfig, EventType,
    FunctionAssociation, FunctionAssociations, FunctionRuntime, FunctionStage, Origin, Origins,
    S3OriginConfig, ViewerProtocolPolicy,
};
use cloudfront_publish::emulator::Config;
use emulator_support::{CODE, client, config, create, emulator};

fn arn(name: &str) -> String {
    format!("arn:aws:cloudfront::123456789012:function/{name}")
}

fn associations(items: &[(&str, EventType)]) -> FunctionAssociations {
    let mut builder = FunctionAssociations::builder().quantity(items.len() as i32);
    for (name, event) in items {
        builder = builder.items(
            FunctionAssociation::builder()
                .function_arn(arn(name))
                .event_type(event.clone())
                .build()
                .expect("association"),
        );
    }
    builder.build().expect("quantity")
}

/// A distribution config running `default` on the default behavior and `api` on `/api/*`.
fn distribution(
    reference: &str,
    default: &[(&str, EventType)],
    api: &[(&str, EventType)],
    enabled: bool,
) -> DistributionConfig {
    let origin = Origin::builder()
        .id("site")
        .domain_name("site.s3.amazonaws.com")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .expect("origin");
    let mut behaviors = CacheBehaviors::builder().quantity(0);
    if !api.is_empty() {
        behaviors = CacheBehaviors::builder().quantity(1).items(
            CacheBehavior::builder()
                .path_pattern("/api/*")
                .target_origin_id("site")
                .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
                .function_associations(associations(api))
                .build()
                .expect("behavior"),
        );
    }
    DistributionConfig::builder()
        .caller_reference(reference)
        .aliases(
            Aliases::builder()
                .quantity(1)
                .items(format!("{reference}.example.com"))
                .build()
                .expect("aliases"),
        )
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("site")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .function_associations(associations(default))
                .build()
                .expect("default behavior"),
        )
        .cache_behaviors(behaviors.build().expect("behaviors"))
        .comment(format!("distribution {reference}"))
        .enabled(enabled)
        .build()
        .expect("config")
}

async fn live_status(cf: &Client, name: &str) -> String {
    cf.describe_function()
        .name(name)
        .stage(FunctionStage::Live)
        .send()
        .await
        .expect("LIVE")
        .function_summary()
        .and_then(|s| s.status())
        .unwrap_or_default()
        .to_owned()
}

async fn publish(cf: &Client, name: &str) -> String {
    let etag = create(cf, name, CODE).await;
    cf.publish_function()
        .name(name)
        .if_match(&etag)
        .send()
        .await
        .expect("publish");
    etag
}

#[tokio::test]
async fn a_distribution_keeps_its_config_and_runs_only_published_functions() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    let f_etag = create(&cf, "f", CODE).await;
    let unpublished = cf
        .create_distribution()
        .distribution_config(distribution(
            "a",
            &[("f", EventType::ViewerRequest)],
            &[],
            true,
        ))
        .send()
        .await
        .expect_err("f has no LIVE stage");
    assert!(
        unpublished
            .into_service_error()
            .is_invalid_function_association()
    );
    cf.publish_function()
        .name("f")
        .if_match(&f_etag)
        .send()
        .await
        .expect("publish f");
    publish(&cf, "g").await;
    assert_eq!(live_status(&cf, "f").await, "UNASSOCIATED");

    let sent = distribution(
        "a",
        &[("f", EventType::ViewerRequest)],
        &[("g", EventType::ViewerResponse)],
        true,
    );
    let created = cf
        .create_distribution()
        .distribution_config(sent.clone())
        .send()
        .await
        .expect("create");
    let dist = created.distribution().expect("distribution");
    assert_eq!(dist.status(), "InProgress");
    assert!(dist.domain_name().ends_with(".cloudfront.net"));
    assert!(created.location().is_some_and(|l| l.ends_with(dist.id())));
    let id = dist.id().to_owned();
    let etag = created.e_tag().expect("etag").to_owned();
    assert_eq!(live_status(&cf, "f").await, "DEPLOYED");
    assert_eq!(live_status(&cf, "g").await, "DEPLOYED");

    let got = cf
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .expect("config");
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.distribution_config(), Some(&sent), "the config as sent");
    let read = cf.get_distribution().id(&id).send().await.expect("get");
    assert_eq!(read.distribution().map(|d| d.status()), Some("Deployed"));

    let in_use = cf
        .delete_function()
        .name("f")
        .if_match(&f_etag)
        .send()
        .await
        .expect_err("a distribution runs f");
    assert!(in_use.into_service_error().is_function_in_use());

    // An update and a publish of the used function: it is DEPLOYED again at once.
    let updated = cf
        .update_function()
        .name("f")
        .if_match(&f_etag)
        .function_config(config("v2", FunctionRuntime::CloudfrontJs20))
        .function_code(Blob::new(format!("// v2\n{CODE}")))
        .send()
        .await
        .expect("update");
    cf.publish_function()
        .name("f")
        .if_match(updated.e_tag().expect("etag"))
        .send()
        .await
        .expect("publish v2");
    assert_eq!(live_status(&cf, "f").await, "DEPLOYED");

    let enabled = cf
        .delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect_err("enabled");
    assert!(enabled.into_service_error().is_distribution_not_disabled());
    let disabled = distribution("a", &[("f", EventType::ViewerRequest)], &[], false);
    let stale = cf
        .update_distribution()
        .id(&id)
        .if_match("ESTALE0000000")
        .distribution_config(disabled.clone())
        .send()
        .await
        .expect_err("stale");
    assert!(stale.into_service_error().is_precondition_failed());
    let after = cf
        .update_distribution()
        .id(&id)
        .if_match(&etag)
        .distribution_config(disabled)
        .send()
        .await
        .expect("disable");
    let etag = after.e_tag().expect("etag").to_owned();
    // g left the distribution with the /api/* behavior.
    assert_eq!(live_status(&cf, "g").await, "UNASSOCIATED");
    cf.delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect("delete");
    assert_eq!(live_status(&cf, "f").await, "UNASSOCIATED");
    let gone = cf
        .get_distribution()
        .id(&id)
        .send()
        .await
        .expect_err("gone");
    assert!(gone.into_service_error().is_no_such_distribution());
}

#[tokio::test]
async fn list_distributions_pages_with_marker_and_max_items() {
    let emu = emulator(Config::default()).await;
    let cf = client(&emu.endpoint_url());
    publish(&cf, "f").await;
    let mut ids = Vec::new();
    for reference in ["a", "b", "c"] {
        let created = cf
            .create_distribution()
            .distribution_config(distribution(
                reference,
                &[("f", EventType::ViewerRequest)],
                &[],
                true,
            ))
            .send()
            .await
            .expect("create");
        ids.push(created.distribution().expect("d").id().to_owned());
    }
    ids.sort();
    let again = cf
        .create_distribution()
        .distribution_config(distribution("a", &[], &[], true))
        .send()
        .await
        .expect_err("caller reference taken");
    assert!(again.into_service_error().is_distribution_already_exists());

    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut request = cf.list_distributions().max_items(2);
        if let Some(m) = &marker {
            request = request.marker(m);
        }
        let page = request.send().await.expect("list");
        let list = page.distribution_list().expect("list");
        for summary in list.items() {
            seen.push(summary.id().to_owned());
            assert_eq!(summary.aliases().map(|a| a.quantity()), Some(1));
            let behavior = summary.default_cache_behavior().expect("default behavior");
            let association = &behavior
                .function_associations()
                .expect("associations")
                .items()[0];
            assert_eq!(association.function_arn(), arn("f"));
        }
        assert_eq!(list.is_truncated(), list.next_marker().is_some());
        match list.next_marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}
