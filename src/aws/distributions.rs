//! ListDistributions, every page, into a [`Listing`] of each distribution's function associations.
//!
//! One listing per run serves every function of a manifest; matching a function's ARN against it is
//! [`Listing::using`]. Not for: deciding what a failed listing means for the run (the pipeline
//! makes it a warning).

use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsError;
use aws_sdk_cloudfront::types::{DistributionSummary, FunctionAssociations};

use super::error::modeled_errors;
use super::{AwsError, AwsErrorCode, CloudFront};
use crate::distributions::{
    Association, Behavior, DEFAULT_PATH_PATTERN, EventType, Listed, Listing,
};

/// The service's largest (and default) page.
const PAGE_SIZE: i32 = 100;
/// A bound on pages, so that a service that keeps answering IsTruncated cannot hold the run.
const MAX_PAGES: usize = 1_000;

impl CloudFront {
    /// ListDistributions over every page (Marker / NextMarker), in the service's order.
    pub async fn list_distributions(&self) -> Result<Listing, AwsError> {
        let mut distributions = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .client
                .list_distributions()
                .set_marker(marker.clone())
                .max_items(PAGE_SIZE)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListDistributions", e))?;
            let Some(list) = out.distribution_list() else {
                break;
            };
            distributions.extend(list.items().iter().map(listed_from));
            let next = list
                .next_marker()
                .filter(|m| !m.is_empty())
                .map(str::to_owned);
            match next {
                // A marker that does not move would list the same page forever.
                Some(next) if list.is_truncated() && marker.as_deref() != Some(next.as_str()) => {
                    marker = Some(next)
                }
                _ => return Ok(Listing::new(distributions)),
            }
        }
        Err(AwsError::new(
            "ListDistributions",
            AwsErrorCode::ResponseError,
            format!("the listing did not end after {MAX_PAGES} pages"),
        ))
    }
}

// AccessDenied is not modeled for ListDistributions; it comes from the error metadata.
modeled_errors! {
    ListDistributionsError { is_invalid_argument => InvalidArgument }
}

/// One summary's id, names and every function association, the default behavior's first.
pub(crate) fn listed_from(d: &DistributionSummary) -> Listed {
    let mut associations = Vec::new();
    if let Some(b) = d.default_cache_behavior() {
        push_associations(
            &mut associations,
            DEFAULT_PATH_PATTERN,
            b.function_associations(),
        );
    }
    for b in d.cache_behaviors().map(|c| c.items()).unwrap_or_default() {
        push_associations(
            &mut associations,
            b.path_pattern(),
            b.function_associations(),
        );
    }
    Listed {
        id: d.id().to_owned(),
        domain_name: d.domain_name().to_owned(),
        aliases: d.aliases().map(|a| a.items().to_vec()).unwrap_or_default(),
        associations,
    }
}

fn push_associations(out: &mut Vec<Association>, path: &str, fa: Option<&FunctionAssociations>) {
    for a in fa.map(|f| f.items()).unwrap_or_default() {
        out.push(Association {
            function_arn: a.function_arn().to_owned(),
            behavior: Behavior {
                path_pattern: path.to_owned(),
                event_type: EventType::from(a.event_type().as_str()),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput;
    use aws_sdk_cloudfront::primitives::DateTime;
    use aws_sdk_cloudfront::types::{
        Aliases, CacheBehavior, CacheBehaviors, DefaultCacheBehavior, DistributionList,
        EventType as SdkEventType, FunctionAssociation, PriceClass, ViewerProtocolPolicy,
    };
    use aws_smithy_mocks::{
        MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
    };

    use super::*;

    const ARN: &str = "arn:aws:cloudfront::123456789012:function/site";

    fn associations(items: &[(&str, SdkEventType)]) -> FunctionAssociations {
        let mut b = FunctionAssociations::builder().quantity(items.len() as i32);
        for (arn, event) in items {
            b = b.items(
                FunctionAssociation::builder()
                    .function_arn(*arn)
                    .event_type(event.clone())
                    .build()
                    .unwrap(),
            );
        }
        b.build().unwrap()
    }

    fn summary(
        id: &str,
        default: &[(&str, SdkEventType)],
        behaviors: &[(&str, &[(&str, SdkEventType)])],
    ) -> DistributionSummary {
        let mut cbs = CacheBehaviors::builder().quantity(behaviors.len() as i32);
        for (path, fa) in behaviors {
            cbs = cbs.items(
                CacheBehavior::builder()
                    .path_pattern(*path)
                    .target_origin_id("o")
                    .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                    .function_associations(associations(fa))
                    .build()
                    .unwrap(),
            );
        }
        DistributionSummary::builder()
            .id(id)
            .arn(format!(
                "arn:aws:cloudfront::123456789012:distribution/{id}"
            ))
            .status("Deployed")
            .last_modified_time(DateTime::from_secs(0))
            .domain_name(format!("{}.cloudfront.net", id.to_lowercase()))
            .aliases(
                Aliases::builder()
                    .quantity(1)
                    .items(format!("{}.example.com", id.to_lowercase()))
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("o")
                    .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                    .function_associations(associations(default))
                    .build()
                    .unwrap(),
            )
            .cache_behaviors(cbs.build().unwrap())
            .comment("")
            .price_class(PriceClass::PriceClassAll)
            .enabled(true)
            .web_acl_id("")
            .http_version(aws_sdk_cloudfront::types::HttpVersion::Http2)
            .is_ipv6_enabled(true)
            .staging(false)
            .build()
            .unwrap()
    }

    #[test]
    fn default_behavior_is_star_and_path_behaviors_keep_their_pattern_and_event() {
        let other = "arn:aws:cloudfront::123456789012:function/other";
        let d = summary(
            "EA",
            &[(ARN, SdkEventType::ViewerRequest)],
            &[
                ("/img/*", &[(other, SdkEventType::ViewerRequest)]),
                ("/api/*", &[(ARN, SdkEventType::ViewerResponse)]),
            ],
        );
        let l = listed_from(&d);
        assert_eq!(l.id, "EA");
        assert_eq!(l.domain_name, "ea.cloudfront.net");
        assert_eq!(l.aliases, vec!["ea.example.com"]);
        let seen: Vec<(&str, &str, &str)> = l
            .associations
            .iter()
            .map(|a| {
                (
                    a.function_arn.as_str(),
                    a.behavior.path_pattern.as_str(),
                    a.behavior.event_type.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (ARN, "*", "viewer-request"),
                (other, "/img/*", "viewer-request"),
                (ARN, "/api/*", "viewer-response"),
            ]
        );
    }

    fn page(
        items: Vec<DistributionSummary>,
        marker: &str,
        next: Option<&str>,
    ) -> ListDistributionsOutput {
        let mut list = DistributionList::builder()
            .marker(marker)
            .max_items(PAGE_SIZE)
            .is_truncated(next.is_some())
            .quantity(items.len() as i32)
            .set_items(Some(items));
        if let Some(n) = next {
            list = list.next_marker(n);
        }
        ListDistributionsOutput::builder()
            .distribution_list(list.build().unwrap())
            .build()
    }

    fn client(mode: RuleMode, rules: &[&Rule]) -> CloudFront {
        let mut mocks = MockResponseInterceptor::new().rule_mode(mode);
        for rule in rules {
            mocks = mocks.with_rule(rule);
        }
        let conf = aws_sdk_cloudfront::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(mocks)
            .build();
        CloudFront::from_client(aws_sdk_cloudfront::Client::from_conf(conf))
    }

    #[tokio::test]
    async fn every_page_is_read_following_next_marker() {
        let first = mock!(aws_sdk_cloudfront::Client::list_distributions)
            .match_requests(|r| r.marker().is_none() && r.max_items() == Some(PAGE_SIZE))
            .then_output(|| {
                page(
                    vec![summary("EA", &[(ARN, SdkEventType::ViewerRequest)], &[])],
                    "",
                    Some("EA"),
                )
            });
        let second = mock!(aws_sdk_cloudfront::Client::list_distributions)
            .match_requests(|r| r.marker() == Some("EA"))
            .then_output(|| page(vec![summary("EB", &[], &[])], "EA", None));
        let listing = client(RuleMode::Sequential, &[&first, &second])
            .list_distributions()
            .await
            .unwrap();
        assert_eq!(first.num_calls(), 1);
        assert_eq!(second.num_calls(), 1);
        assert_eq!(listing.len(), 2);
        assert_eq!(listing.using(ARN).len(), 1);
    }

    #[tokio::test]
    async fn a_marker_that_does_not_move_ends_the_listing() {
        let stuck = mock!(aws_sdk_cloudfront::Client::list_distributions)
            .then_output(|| page(vec![summary("EA", &[], &[])], "EA", Some("EA")));
        let listing = client(RuleMode::MatchAny, &[&stuck])
            .list_distributions()
            .await
            .unwrap();
        // First page (no marker), then the page at EA that names EA again: two calls, not forever.
        assert_eq!(stuck.num_calls(), 2);
        assert_eq!(listing.len(), 2);
    }
}
