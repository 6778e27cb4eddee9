//! Where a function runs: the distributions and cache behaviors whose FunctionAssociations name it.
//!
//! Pure data and matching over one ListDistributions run (the `aws` layer fills a [`Listing`] from
//! the SDK's types); the report renders the result. PublishFunction updates every cache behavior
//! that uses the function, so this is what a publish changes.
//! Not for: listing (that is `crate::aws`) or rendering (that is `crate::report`).

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::testcase::TestCase;

/// The event a function association runs on (a CloudFront event's `context.eventType`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// `viewer-request`.
    ViewerRequest,
    /// `viewer-response`.
    ViewerResponse,
    /// `origin-request` (Lambda@Edge only; kept so a listing never loses what it saw).
    OriginRequest,
    /// `origin-response` (Lambda@Edge only).
    OriginResponse,
    /// A value this version does not know, spelt as the service sent it.
    Other(String),
}

impl EventType {
    /// The name as the API and CloudFront events spell it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ViewerRequest => "viewer-request",
            Self::ViewerResponse => "viewer-response",
            Self::OriginRequest => "origin-request",
            Self::OriginResponse => "origin-response",
            Self::Other(s) => s,
        }
    }
}

impl From<&str> for EventType {
    fn from(s: &str) -> Self {
        match s {
            "viewer-request" => Self::ViewerRequest,
            "viewer-response" => Self::ViewerResponse,
            "origin-request" => Self::OriginRequest,
            "origin-response" => Self::OriginResponse,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The path pattern of the default cache behavior, which has none in the API.
pub const DEFAULT_PATH_PATTERN: &str = "*";

/// One cache behavior that runs the function, on one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Behavior {
    /// The behavior's PathPattern; [`DEFAULT_PATH_PATTERN`] for the default behavior.
    pub path_pattern: String,
    /// The association's EventType.
    pub event_type: EventType,
}

/// A distribution that runs the function, with the behaviors that do (the `distributions` output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Distribution {
    /// The distribution id (`E2QWRUHAPOMQZL`).
    pub id: String,
    /// Its CloudFront domain name (`d111111abcdef8.cloudfront.net`).
    pub domain_name: String,
    /// Its alternate domain names (CNAMEs).
    pub aliases: Vec<String>,
    /// The behaviors that run the function, default first, then in the distribution's order.
    pub behaviors: Vec<Behavior>,
}

/// One function association of one cache behavior, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    /// FunctionARN: the function's ARN, which has no stage (only LIVE code can be associated).
    pub function_arn: String,
    /// Where and on which event it runs.
    pub behavior: Behavior,
}

/// One distribution as ListDistributions shows it: every function association of every behavior.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The distribution id.
    pub id: String,
    /// Its CloudFront domain name.
    pub domain_name: String,
    /// Its alternate domain names.
    pub aliases: Vec<String>,
    /// Every function association, default behavior first.
    pub associations: Vec<Association>,
}

/// Every distribution of the account, from one ListDistributions run over every page; shared by
/// all functions of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    distributions: Vec<Listed>,
}

impl Listing {
    /// A listing of these distributions, in the order the service listed them.
    pub fn new(distributions: Vec<Listed>) -> Self {
        Self { distributions }
    }

    /// How many distributions were listed.
    pub fn len(&self) -> usize {
        self.distributions.len()
    }

    /// True when the account has no distributions.
    pub fn is_empty(&self) -> bool {
        self.distributions.is_empty()
    }

    /// The distributions whose behaviors name `function_arn`, each with only those behaviors, by
    /// id: the service's listing order is not documented, and a comment should not churn with it.
    pub fn using(&self, function_arn: &str) -> Vec<Distribution> {
        let mut used: Vec<Distribution> = self
            .distributions
            .iter()
            .filter_map(|d| {
                let behaviors: Vec<Behavior> = d
                    .associations
                    .iter()
                    .filter(|a| a.function_arn == function_arn)
                    .map(|a| a.behavior.clone())
                    .collect();
                (!behaviors.is_empty()).then(|| Distribution {
                    id: d.id.clone(),
                    domain_name: d.domain_name.clone(),
                    aliases: d.aliases.clone(),
                    behaviors,
                })
            })
            .collect();
        used.sort_by(|a, b| a.id.cmp(&b.id));
        used
    }
}

/// Test cases whose `context.eventType` is none that the function is associated with: such a test
/// exercises code paths no viewer reaches. One warning per event type, naming both sides; none
/// when no distribution uses the function (nothing to compare with).
pub fn event_type_warnings(
    function: &str,
    tests: &[TestCase],
    distributions: &[Distribution],
) -> Vec<String> {
    let associated: BTreeSet<&EventType> = distributions
        .iter()
        .flat_map(|d| d.behaviors.iter().map(|b| &b.event_type))
        .collect();
    if associated.is_empty() {
        return Vec::new();
    }
    let mut mismatched: Vec<(EventType, Vec<&str>)> = Vec::new();
    for case in tests {
        let Some(sent) = case.event["context"]["eventType"].as_str() else {
            continue;
        };
        let sent = EventType::from(sent);
        if associated.contains(&sent) {
            continue;
        }
        match mismatched.iter_mut().find(|(e, _)| *e == sent) {
            Some((_, names)) => names.push(&case.name),
            None => mismatched.push((sent, vec![&case.name])),
        }
    }
    let runs_on = associated
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    mismatched
        .into_iter()
        .map(|(sent, names)| {
            let cases = quoted_list(&names, 5);
            let (noun, verb) = if names.len() == 1 {
                ("test case", "sends")
            } else {
                ("test cases", "send")
            };
            format!(
                "{function}: {noun} {cases} {verb} {sent} events, but the distributions run this function only on {runs_on}; these tests do not exercise what viewers reach"
            )
        })
        .collect()
}

/// `"a", "b" and 3 more`: names quoted, at most `max` of them.
fn quoted_list(names: &[&str], max: usize) -> String {
    let mut shown: Vec<String> = names.iter().take(max).map(|n| format!("{n:?}")).collect();
    if names.len() > max {
        shown.push(format!("{} more", names.len() - max));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    const ARN: &str = "arn:aws:cloudfront::123456789012:function/site";
    const OTHER: &str = "arn:aws:cloudfront::123456789012:function/site-2";

    fn assoc(arn: &str, path: &str, event: EventType) -> Association {
        Association {
            function_arn: arn.to_owned(),
            behavior: Behavior {
                path_pattern: path.to_owned(),
                event_type: event,
            },
        }
    }

    fn listed(id: &str, associations: Vec<Association>) -> Listed {
        Listed {
            id: id.to_owned(),
            domain_name: format!("{}.cloudfront.net", id.to_lowercase()),
            aliases: vec![format!("{}.example.com", id.to_lowercase())],
            associations,
        }
    }

    fn case(name: &str, event_type: &str) -> TestCase {
        TestCase {
            name: name.to_owned(),
            event: json!({"version": "1.0", "context": {"eventType": event_type}}),
            expect: None,
            expect_error: None,
            max_compute_utilization: None,
            source: PathBuf::from(format!("{name}.json")),
        }
    }

    #[test]
    fn only_distributions_and_behaviors_naming_the_arn_are_kept() {
        let listing = Listing::new(vec![
            listed(
                "EA",
                vec![
                    assoc(ARN, "*", EventType::ViewerRequest),
                    assoc(OTHER, "/img/*", EventType::ViewerRequest),
                    assoc(ARN, "/api/*", EventType::ViewerResponse),
                ],
            ),
            // A name that merely starts with ours is another function.
            listed("EB", vec![assoc(OTHER, "*", EventType::ViewerRequest)]),
            listed("EC", vec![]),
        ]);
        let using = listing.using(ARN);
        assert_eq!(using.len(), 1);
        assert_eq!(using[0].id, "EA");
        assert_eq!(using[0].domain_name, "ea.cloudfront.net");
        assert_eq!(using[0].aliases, vec!["ea.example.com"]);
        assert_eq!(
            using[0].behaviors,
            vec![
                Behavior {
                    path_pattern: "*".to_owned(),
                    event_type: EventType::ViewerRequest
                },
                Behavior {
                    path_pattern: "/api/*".to_owned(),
                    event_type: EventType::ViewerResponse
                },
            ]
        );
        assert!(
            listing
                .using("arn:aws:cloudfront::123456789012:function/none")
                .is_empty()
        );
    }

    #[test]
    fn distributions_come_by_id_whatever_the_listing_order() {
        let listing = Listing::new(vec![
            listed("EZ", vec![assoc(ARN, "*", EventType::ViewerRequest)]),
            listed("EA", vec![assoc(ARN, "*", EventType::ViewerRequest)]),
        ]);
        let ids: Vec<String> = listing.using(ARN).into_iter().map(|d| d.id).collect();
        assert_eq!(ids, vec!["EA", "EZ"]);
    }

    #[test]
    fn the_output_json_has_the_contract_keys() {
        let listing = Listing::new(vec![listed(
            "EA",
            vec![assoc(ARN, "*", EventType::ViewerRequest)],
        )]);
        let json = serde_json::to_value(listing.using(ARN)).unwrap();
        assert_eq!(
            json,
            json!([{
                "id": "EA",
                "domain-name": "ea.cloudfront.net",
                "aliases": ["ea.example.com"],
                "behaviors": [{"path-pattern": "*", "event-type": "viewer-request"}]
            }])
        );
    }

    #[test]
    fn event_types_round_trip_and_unknown_ones_are_kept_as_sent() {
        for s in [
            "viewer-request",
            "viewer-response",
            "origin-request",
            "origin-response",
            "edge-thing",
        ] {
            assert_eq!(EventType::from(s).as_str(), s);
        }
        assert_eq!(
            EventType::from("edge-thing"),
            EventType::Other("edge-thing".to_owned())
        );
    }

    #[test]
    fn a_test_on_an_event_type_the_function_does_not_run_on_is_named_with_both_types() {
        let dists = Listing::new(vec![listed(
            "EA",
            vec![assoc(ARN, "/api/*", EventType::ViewerResponse)],
        )])
        .using(ARN);
        let tests = vec![
            case("adds header", "viewer-response"),
            case("redirects", "viewer-request"),
            case("rewrites", "viewer-request"),
        ];
        let warnings = event_type_warnings("site", &tests, &dists);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let w = &warnings[0];
        assert!(
            w.starts_with(
                "site: test cases \"redirects\", \"rewrites\" send viewer-request events"
            ),
            "{w}"
        );
        assert!(w.contains("only on viewer-response"), "{w}");
        assert!(!w.contains("adds header"), "{w}");
    }

    #[test]
    fn no_association_or_matching_tests_means_no_warning() {
        let tests = vec![case("redirects", "viewer-request")];
        assert!(event_type_warnings("site", &tests, &[]).is_empty());
        let dists = Listing::new(vec![listed(
            "EA",
            vec![
                assoc(ARN, "*", EventType::ViewerRequest),
                assoc(ARN, "/x", EventType::ViewerResponse),
            ],
        )])
        .using(ARN);
        let both = vec![case("a", "viewer-request"), case("b", "viewer-response")];
        assert!(event_type_warnings("site", &both, &dists).is_empty());
    }

    #[test]
    fn many_mismatched_cases_are_capped_in_the_warning() {
        let dists = Listing::new(vec![listed(
            "EA",
            vec![assoc(ARN, "*", EventType::ViewerResponse)],
        )])
        .using(ARN);
        let tests: Vec<TestCase> = (0..8)
            .map(|i| case(&format!("t{i}"), "viewer-request"))
            .collect();
        let w = &event_type_warnings("site", &tests, &dists)[0];
        assert!(w.contains("\"t4\", 3 more send"), "{w}");
        assert!(!w.contains("\"t5\""), "{w}");
    }
}
