//! Distributions on the CloudFront API: Create, Get, GetDistributionConfig, Update (If-Match),
//! Delete and ListDistributions. The DistributionConfig is kept as sent; only what the emulator
//! acts on is read from it (CallerReference, Enabled, and the FunctionAssociations of the
//! default and the other cache behaviors), and a summary copies its elements as they came.
//!
//! Not for: the rules (see `store::distributions`).

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::http::header::{self, HeaderMap};
use axum::http::{Method, StatusCode};
use quick_xml::events::Event;
use serde::Deserialize;

use crate::emulator::app::App;
use crate::emulator::cloudfront::functions::max_items;
use crate::emulator::cloudfront::xml::{self, NAMESPACE, iso8601, text_el};
use crate::emulator::errors::ApiError;
use crate::emulator::operation::{Operation, Route};
use crate::emulator::store::{Association, DistributionSpec, DistributionView};
use crate::emulator::wire::{Outcome, Reply, decode_segment, if_match};

/// Path prefix of the distribution operations.
pub const DISTRIBUTION_PREFIX: &str = "/2020-05-31/distribution";
/// ListDistributions page size when MaxItems is absent, and the largest accepted.
const MAX_LIST_ITEMS: usize = 100;

/// The routes under `/distribution`: the collection, `/ID` and `/ID/config`.
pub fn route(method: &Method, rest: &str) -> Option<Route> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return match *method {
            Method::GET => Some(Route::bare(Operation::ListDistributions)),
            Method::POST => Some(Route::bare(Operation::CreateDistribution)),
            _ => None,
        };
    }
    let rest = rest.strip_prefix('/')?;
    let (id, action) = match rest.split_once('/') {
        Some((id, action)) => (id, Some(action)),
        None => (rest, None),
    };
    let op = match (method, action) {
        (&Method::GET, None) => Operation::GetDistribution,
        (&Method::DELETE, None) => Operation::DeleteDistribution,
        (&Method::GET, Some("config")) => Operation::GetDistributionConfig,
        (&Method::PUT, Some("config")) => Operation::UpdateDistribution,
        _ => return None,
    };
    Some(Route::on(op, decode_segment(id)))
}

/// Runs one distribution operation.
pub async fn dispatch(
    app: &App,
    route: &Route,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let id = || -> Result<&str, ApiError> {
        route
            .resource
            .as_deref()
            .ok_or_else(|| ApiError::invalid_argument("The distribution id is missing."))
    };
    let reply = match route.op {
        Operation::CreateDistribution => {
            let view = app.store.create_distribution(parse_config(body)?).await?;
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("cloudfront.amazonaws.com");
            let reply = Reply::xml(
                StatusCode::CREATED,
                distribution_document(&view, &app.account_id),
            )
            .with("etag", view.record.etag.as_str())
            .with(
                "location",
                format!("http://{host}{DISTRIBUTION_PREFIX}/{}", view.record.id),
            );
            return Ok(Outcome {
                reply,
                resource: Some(view.record.id),
            });
        }
        Operation::GetDistribution => {
            let view = app.store.get_distribution(id()?)?;
            Reply::xml(
                StatusCode::OK,
                distribution_document(&view, &app.account_id),
            )
            .with("etag", view.record.etag.as_str())
        }
        Operation::GetDistributionConfig => {
            let view = app.store.get_distribution(id()?)?;
            let body = format!("{DECLARATION}{}", view.record.spec.config_xml);
            Reply::xml(StatusCode::OK, body).with("etag", view.record.etag.as_str())
        }
        Operation::UpdateDistribution => {
            let (id, if_match) = (id()?, if_match(headers)?);
            let view = app
                .store
                .update_distribution(id, &if_match, parse_config(body)?)
                .await?;
            Reply::xml(
                StatusCode::OK,
                distribution_document(&view, &app.account_id),
            )
            .with("etag", view.record.etag.as_str())
        }
        Operation::DeleteDistribution => {
            let (id, if_match) = (id()?, if_match(headers)?);
            app.store.delete_distribution(id, &if_match).await?;
            Reply::empty(StatusCode::NO_CONTENT)
        }
        Operation::ListDistributions => {
            let max = max_items(query, MAX_LIST_ITEMS)?;
            let marker = query.get("Marker").map(String::as_str).unwrap_or_default();
            let after = Some(marker).filter(|m| !m.is_empty());
            let (views, next) = app.store.list_distributions(after, max);
            let body = list_document(&views, &app.account_id, marker, max, next.as_deref());
            Reply::xml(StatusCode::OK, body)
        }
        _ => {
            return Err(ApiError::unsupported_operation(format!(
                "{} is not a distribution operation.",
                route.op
            )));
        }
    };
    Ok(reply.into())
}

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigXml {
    caller_reference: Option<String>,
    enabled: Option<String>,
    default_cache_behavior: Option<BehaviorXml>,
    cache_behaviors: Option<CacheBehaviorsXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BehaviorXml {
    path_pattern: Option<String>,
    function_associations: Option<AssociationsXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CacheBehaviorsXml {
    quantity: Option<String>,
    items: Option<CacheBehaviorItems>,
}

#[derive(Debug, Default, Deserialize)]
struct CacheBehaviorItems {
    #[serde(rename = "CacheBehavior", default)]
    behaviors: Vec<BehaviorXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssociationsXml {
    quantity: Option<String>,
    items: Option<AssociationItems>,
}

#[derive(Debug, Default, Deserialize)]
struct AssociationItems {
    #[serde(rename = "FunctionAssociation", default)]
    associations: Vec<AssociationXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssociationXml {
    #[serde(rename = "FunctionARN")]
    function_arn: Option<String>,
    event_type: Option<String>,
}

/// Reads a DistributionConfig body: what the emulator acts on, plus the text as sent.
fn parse_config(body: &[u8]) -> Result<DistributionSpec, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::invalid_argument(format!("body is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "MissingBody",
            "This operation requires a DistributionConfig body.",
        ));
    }
    let config: ConfigXml = xml::parse(body).map_err(ApiError::invalid_argument)?;
    let caller_reference = config
        .caller_reference
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid_argument("CallerReference is required."))?;
    let enabled = match config.enabled.as_deref().map(str::trim) {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(ApiError::invalid_argument("Enabled must be true or false.")),
    };
    let default = config
        .default_cache_behavior
        .ok_or_else(|| ApiError::invalid_argument("DefaultCacheBehavior is required."))?;
    let mut associations = behavior_associations("*", default.function_associations)?;
    if let Some(behaviors) = config.cache_behaviors {
        let items = behaviors.items.map(|i| i.behaviors).unwrap_or_default();
        check_quantity("CacheBehaviors", behaviors.quantity.as_deref(), items.len())?;
        for behavior in items {
            let pattern = behavior.path_pattern.ok_or_else(|| {
                ApiError::invalid_argument("CacheBehavior.PathPattern is required.")
            })?;
            associations.extend(behavior_associations(
                &pattern,
                behavior.function_associations,
            )?);
        }
    }
    Ok(DistributionSpec {
        config_xml: strip_declaration(text).to_owned(),
        caller_reference,
        enabled,
        associations,
    })
}

fn behavior_associations(
    pattern: &str,
    associations: Option<AssociationsXml>,
) -> Result<Vec<Association>, ApiError> {
    let Some(associations) = associations else {
        return Ok(Vec::new());
    };
    let items = associations
        .items
        .map(|i| i.associations)
        .unwrap_or_default();
    check_quantity(
        "FunctionAssociations",
        associations.quantity.as_deref(),
        items.len(),
    )?;
    items
        .into_iter()
        .map(|item| {
            let event_type = item.event_type.unwrap_or_default();
            if !matches!(event_type.as_str(), "viewer-request" | "viewer-response") {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidFunctionAssociation",
                    format!("EventType {event_type:?}: a CloudFront function runs on viewer-request or viewer-response."),
                ));
            }
            Ok(Association {
                path_pattern: pattern.to_owned(),
                event_type,
                function_arn: item.function_arn.unwrap_or_default(),
            })
        })
        .collect()
}

fn check_quantity(what: &str, quantity: Option<&str>, items: usize) -> Result<(), ApiError> {
    if quantity
        .map(str::trim)
        .and_then(|q| q.parse::<usize>().ok())
        == Some(items)
    {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InconsistentQuantities",
            format!("{what}.Quantity does not match its {items} items."),
        ))
    }
}

fn strip_declaration(text: &str) -> &str {
    let text = text.trim_start();
    match text.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(text, |(_, tail)| tail.trim_start()),
        None => text,
    }
}

/// A distribution's ARN.
pub fn distribution_arn(account_id: &str, id: &str) -> String {
    format!("arn:aws:cloudfront::{account_id}:distribution/{id}")
}

const NO_SIGNERS: &str = "<Enabled>false</Enabled><Quantity>0</Quantity>";

fn distribution_document(view: &DistributionView, account_id: &str) -> String {
    let record = &view.record;
    let mut out = String::from(DECLARATION);
    let _ = write!(out, r#"<Distribution xmlns="{NAMESPACE}">"#);
    text_el(&mut out, "Id", &record.id);
    text_el(&mut out, "ARN", &distribution_arn(account_id, &record.id));
    text_el(&mut out, "Status", view.status);
    text_el(
        &mut out,
        "LastModifiedTime",
        &iso8601(record.last_modified_ms),
    );
    text_el(&mut out, "InProgressInvalidationBatches", "0");
    text_el(&mut out, "DomainName", &record.domain_name);
    let _ = write!(
        out,
        "<ActiveTrustedSigners>{NO_SIGNERS}</ActiveTrustedSigners><ActiveTrustedKeyGroups>{NO_SIGNERS}</ActiveTrustedKeyGroups>"
    );
    out.push_str(&record.spec.config_xml);
    out.push_str("</Distribution>");
    out
}

/// The elements a DistributionSummary requires, with the value a config without them means.
const SUMMARY_ELEMENTS: &[(&str, &str)] = &[
    ("Aliases", "<Aliases><Quantity>0</Quantity></Aliases>"),
    ("Origins", "<Origins><Quantity>0</Quantity></Origins>"),
    ("OriginGroups", ""),
    ("DefaultCacheBehavior", ""),
    (
        "CacheBehaviors",
        "<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>",
    ),
    (
        "CustomErrorResponses",
        "<CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>",
    ),
    ("Comment", "<Comment></Comment>"),
    ("PriceClass", "<PriceClass>PriceClass_All</PriceClass>"),
    ("Enabled", "<Enabled>false</Enabled>"),
    (
        "ViewerCertificate",
        "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate></ViewerCertificate>",
    ),
    (
        "Restrictions",
        "<Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>",
    ),
    ("WebACLId", "<WebACLId></WebACLId>"),
    ("HttpVersion", "<HttpVersion>http2</HttpVersion>"),
    ("IsIPV6Enabled", "<IsIPV6Enabled>true</IsIPV6Enabled>"),
    ("Staging", "<Staging>false</Staging>"),
];

fn list_document(
    views: &[DistributionView],
    account_id: &str,
    marker: &str,
    max_items: usize,
    next_marker: Option<&str>,
) -> String {
    let head = |out: &mut String| {
        text_el(out, "Marker", marker);
        if let Some(next) = next_marker {
            text_el(out, "NextMarker", next);
        }
        text_el(out, "MaxItems", &max_items.to_string());
        let truncated = if next_marker.is_some() {
            "true"
        } else {
            "false"
        };
        text_el(out, "IsTruncated", truncated);
    };
    xml::list_document("DistributionList", views, head, |out, view| {
        write_summary(out, view, account_id)
    })
}

fn write_summary(out: &mut String, view: &DistributionView, account_id: &str) {
    let record = &view.record;
    out.push_str("<DistributionSummary>");
    text_el(out, "Id", &record.id);
    text_el(out, "ARN", &distribution_arn(account_id, &record.id));
    text_el(out, "ETag", record.etag.as_str());
    text_el(out, "Status", view.status);
    text_el(out, "LastModifiedTime", &iso8601(record.last_modified_ms));
    text_el(out, "DomainName", &record.domain_name);
    let children = top_level_children(&record.spec.config_xml);
    for (name, default) in SUMMARY_ELEMENTS {
        match children.iter().find(|(n, _)| n == name) {
            Some((_, raw)) => out.push_str(raw),
            None => out.push_str(default),
        }
    }
    out.push_str("</DistributionSummary>");
}

/// The direct children of the document's root element, each as (local name, text as sent).
fn top_level_children(text: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    let mut name = String::new();
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth == 2 {
                    start = before;
                    name = e.local_name().into_inner().to_owned();
                }
            }
            Ok(Event::Empty(e)) if depth == 1 => {
                let end = usize::try_from(reader.buffer_position()).unwrap_or(before);
                let local = e.local_name().into_inner().to_owned();
                if let Some(raw) = text.get(before..end) {
                    out.push((local, raw.to_owned()));
                }
            }
            Ok(Event::End(_)) => {
                if depth == 2 {
                    let end = usize::try_from(reader.buffer_position()).unwrap_or(start);
                    if let Some(raw) = text.get(start..end) {
                        out.push((std::mem::take(&mut name), raw.to_owned()));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// The body decoder of Create/UpdateDistribution, results discarded (fuzzing).
pub(crate) fn decode_body_untrusted(body: &[u8]) {
    if let Ok(spec) = parse_config(body) {
        let _ = top_level_children(&spec.config_xml);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?><DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>r1</CallerReference><Aliases><Quantity>1</Quantity><Items><CNAME>www.example.com</CNAME></Items></Aliases><Origins><Quantity>0</Quantity></Origins><DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><FunctionARN>arn:aws:cloudfront::123456789012:function/f</FunctionARN><EventType>viewer-request</EventType></FunctionAssociation></Items></FunctionAssociations></DefaultCacheBehavior><CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><FunctionARN>arn:aws:cloudfront::123456789012:function/g</FunctionARN><EventType>viewer-response</EventType></FunctionAssociation></Items></FunctionAssociations></CacheBehavior></Items></CacheBehaviors><Comment>c</Comment><Enabled>true</Enabled></DistributionConfig>"#;

    #[test]
    fn the_config_is_kept_as_sent_and_its_function_associations_read() {
        let spec = parse_config(CONFIG.as_bytes()).unwrap();
        assert!(spec.config_xml.starts_with("<DistributionConfig"));
        assert_eq!(spec.caller_reference, "r1");
        assert!(spec.enabled);
        let found: Vec<_> = spec
            .associations
            .iter()
            .map(|a| {
                (
                    a.path_pattern.as_str(),
                    a.event_type.as_str(),
                    a.function_arn.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "*",
                    "viewer-request",
                    "arn:aws:cloudfront::123456789012:function/f"
                ),
                (
                    "/api/*",
                    "viewer-response",
                    "arn:aws:cloudfront::123456789012:function/g"
                ),
            ]
        );
        let children = top_level_children(&spec.config_xml);
        let aliases = children.iter().find(|(n, _)| n == "Aliases").unwrap();
        assert_eq!(
            aliases.1,
            "<Aliases><Quantity>1</Quantity><Items><CNAME>www.example.com</CNAME></Items></Aliases>"
        );
        let bad = CONFIG.replace(
            "<Quantity>1</Quantity><Items><CacheBehavior>",
            "<Quantity>2</Quantity><Items><CacheBehavior>",
        );
        assert_eq!(
            parse_config(bad.as_bytes()).unwrap_err().code,
            "InconsistentQuantities"
        );
        let origin = CONFIG.replace("viewer-response", "origin-request");
        assert_eq!(
            parse_config(origin.as_bytes()).unwrap_err().code,
            "InvalidFunctionAssociation"
        );
    }
}
