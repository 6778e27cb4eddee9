//! Where the functions run, beside the steps: one ListDistributions run (every page) for the whole
//! plan, started with the first reads, then each function's distributions and the warning for tests
//! on an event type the function does not run on.
//!
//! Never fails a function or the run: a listing that fails is one warning for the run.

use crate::aws::{AwsError, AwsErrorCode, CloudFront};
use crate::distributions::{Listing, event_type_warnings};
use crate::plan::Plan;
use crate::report::Report;

/// Lists every distribution of the account.
pub(super) async fn list(cf: &CloudFront) -> Result<Listing, AwsError> {
    cf.list_distributions().await
}

/// Gives each function whose ARN is known the distributions that use it, and the event-type
/// warnings; a failed listing becomes the run's one warning and leaves them unknown.
pub(super) fn attach(report: &mut Report, plan: &Plan, listing: Result<Listing, AwsError>) {
    let listing = match listing {
        Ok(listing) => listing,
        Err(e) => {
            report.warnings.push(listing_warning(&e));
            return;
        }
    };
    for (f, fp) in report.functions.iter_mut().zip(plan.functions()) {
        let Some(arn) = &f.function_arn else {
            continue;
        };
        let used = listing.using(arn);
        f.warnings
            .extend(event_type_warnings(f.name.as_str(), fp.tests(), &used));
        f.distributions = Some(used);
    }
}

/// One line: what failed, and that it changes nothing but the report.
fn listing_warning(e: &AwsError) -> String {
    let denied = matches!(
        e.code,
        AwsErrorCode::AccessDenied | AwsErrorCode::AccessDeniedException
    );
    if denied {
        format!(
            "distributions not listed: {e}. The cloudfront:ListDistributions permission is optional: without it the summary and the PR comment cannot show which distributions run the function; nothing else changes (README: AWS permissions)"
        )
    } else {
        format!(
            "distributions not listed: {e}. The summary and the PR comment cannot show which distributions run the function; nothing else changes"
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::distributions::{Association, Behavior, EventType, Listed};
    use crate::plan::FunctionPlan;
    use crate::testcase::TestCase;
    use crate::types::Runtime;

    const ARN: &str = "arn:aws:cloudfront::123456789012:function/site";

    fn plan_and_report(arn: Option<&str>) -> (Plan, Report) {
        let case = TestCase {
            name: "redirects".to_owned(),
            event: serde_json::json!({"context": {"eventType": "viewer-request"}}),
            expect: None,
            expect_error: None,
            max_compute_utilization: None,
            source: PathBuf::from("redirects.json"),
        };
        let fp = FunctionPlan::new("site".parse().unwrap(), Runtime::Js2).with_tests(vec![case]);
        let mut f = super::super::blank_report(&fp);
        f.function_arn = arn.map(str::to_owned);
        let plan = Plan::new(vec![fp]).unwrap();
        let report = Report {
            functions: vec![f],
            ..Report::default()
        };
        (plan, report)
    }

    fn listing(event: EventType) -> Listing {
        Listing::new(vec![Listed {
            id: "EA".to_owned(),
            domain_name: "ea.cloudfront.net".to_owned(),
            aliases: vec![],
            associations: vec![Association {
                function_arn: ARN.to_owned(),
                behavior: Behavior {
                    path_pattern: "*".to_owned(),
                    event_type: event,
                },
            }],
        }])
    }

    #[test]
    fn a_failed_listing_is_one_run_warning_and_leaves_the_distributions_unknown() {
        let (plan, mut report) = plan_and_report(Some(ARN));
        let err = AwsError::new("ListDistributions", AwsErrorCode::AccessDenied, "denied");
        attach(&mut report, &plan, Err(err));
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert_eq!(report.functions[0].distributions, None);
        assert!(report.functions[0].warnings.is_empty());
    }

    #[test]
    fn each_function_gets_its_distributions_and_the_event_type_warning() {
        let (plan, mut report) = plan_and_report(Some(ARN));
        attach(&mut report, &plan, Ok(listing(EventType::ViewerResponse)));
        let f = &report.functions[0];
        let ids: Vec<&str> = f
            .distributions
            .iter()
            .flatten()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(ids, vec!["EA"]);
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert!(
            f.warnings[0].contains("viewer-request events"),
            "{}",
            f.warnings[0]
        );
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn a_function_whose_arn_is_unknown_is_left_alone() {
        let (plan, mut report) = plan_and_report(None);
        attach(&mut report, &plan, Ok(listing(EventType::ViewerResponse)));
        assert_eq!(report.functions[0].distributions, None);
        assert!(report.functions[0].warnings.is_empty());
    }

    #[test]
    fn access_denied_names_the_optional_permission_and_other_failures_do_not() {
        let denied = listing_warning(&AwsError::new(
            "ListDistributions",
            AwsErrorCode::AccessDenied,
            "User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized",
        ));
        assert!(
            denied.starts_with("distributions not listed: ListDistributions: AccessDenied: User:"),
            "{denied}"
        );
        assert!(denied.contains("cloudfront:ListDistributions permission is optional"));
        let down = listing_warning(&AwsError::new(
            "ListDistributions",
            AwsErrorCode::ServiceUnavailable,
            "try later",
        ));
        assert!(down.contains("ServiceUnavailable: try later"), "{down}");
        assert!(!down.contains("permission"), "{down}");
    }
}
