//! REST-XML wire formats of the Functions operations: request bodies in, response bodies out.
//!
//! Element names follow the 2020-05-31 API model (`locationName`s, `member` for log lists, blobs in
//! base64, timestamps in ISO-8601). Not for: validation of values (see `functions`) or state.

use std::fmt::Write as _;

use quick_xml::escape::escape;
use serde::Deserialize;

use crate::emulator::errors::ApiError;
use crate::emulator::store::{KvsView, StageView};

/// The API's XML namespace.
pub const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// The body of CreateFunction (`CreateFunctionRequest`) and UpdateFunction (`UpdateFunctionRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionRequest {
    /// The name (CreateFunction only; UpdateFunction takes it from the path).
    pub name: Option<String>,
    /// FunctionConfig.
    pub function_config: Option<FunctionConfigXml>,
    /// FunctionCode, base64.
    pub function_code: Option<String>,
}

/// A `FunctionConfig` element.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfigXml {
    /// Comment.
    pub comment: Option<String>,
    /// Runtime.
    pub runtime: Option<String>,
    /// KeyValueStoreAssociations.
    pub key_value_store_associations: Option<KvsAssociationsXml>,
}

/// A `KeyValueStoreAssociations` element.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KvsAssociationsXml {
    /// Quantity, as sent (checked against the items).
    pub quantity: Option<String>,
    /// Items.
    pub items: Option<KvsItemsXml>,
}

/// The `Items` of `KeyValueStoreAssociations`.
#[derive(Debug, Default, Deserialize)]
pub struct KvsItemsXml {
    /// Each `KeyValueStoreAssociation`.
    #[serde(rename = "KeyValueStoreAssociation", default)]
    pub associations: Vec<KvsAssociationXml>,
}

/// One `KeyValueStoreAssociation`.
#[derive(Debug, Default, Deserialize)]
pub struct KvsAssociationXml {
    /// KeyValueStoreARN.
    #[serde(rename = "KeyValueStoreARN")]
    pub arn: Option<String>,
}

/// The body of TestFunction (`TestFunctionRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestRequest {
    /// Stage to test (DEVELOPMENT when absent).
    pub stage: Option<String>,
    /// EventObject, base64.
    pub event_object: Option<String>,
}

/// The body of CreateKeyValueStore (`CreateKeyValueStoreRequest`) and UpdateKeyValueStore
/// (`UpdateKeyValueStoreRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KvsRequest {
    /// The name (CreateKeyValueStore only).
    pub name: Option<String>,
    /// The comment.
    pub comment: Option<String>,
    /// An S3 import source (CreateKeyValueStore only); the emulator cannot read S3.
    pub import_source: Option<ImportSourceXml>,
}

/// An `ImportSource` element.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportSourceXml {
    /// SourceType (`S3`).
    pub source_type: Option<String>,
}

/// Parses a request body; the error text says what is wrong with the XML.
pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("body is not UTF-8: {e}"))?;
    quick_xml::de::from_str(text).map_err(|e| format!("malformed XML: {e}"))
}

/// What a TestResult reports.
#[derive(Debug, Clone, Default)]
pub struct TestResultXml {
    /// ComputeUtilization, 0-100.
    pub compute_utilization: u32,
    /// FunctionExecutionLogs.
    pub logs: Vec<String>,
    /// FunctionErrorMessage.
    pub error: Option<String>,
    /// FunctionOutput (a JSON document as text).
    pub output: Option<String>,
}

/// A `FunctionSummary` document (Create, Describe, Update, Publish).
pub fn function_summary_document(view: &StageView, account_id: &str) -> String {
    let mut out = String::from(DECLARATION);
    write_summary(&mut out, view, account_id, true);
    out
}

/// A `FunctionList` document (ListFunctions).
pub fn function_list_document(
    views: &[StageView],
    account_id: &str,
    max_items: usize,
    next_marker: Option<&str>,
) -> String {
    list_document(
        "FunctionList",
        views,
        |out| paging(out, next_marker, max_items),
        |out, view| write_summary(out, view, account_id, false),
    )
}

/// A list document of the CloudFront API: `<ROOT>` with `head` (markers, MaxItems), then
/// `Quantity` and the `Items`, each written by `item`.
pub fn list_document<T>(
    root: &str,
    items: &[T],
    head: impl FnOnce(&mut String),
    mut item: impl FnMut(&mut String, &T),
) -> String {
    let mut out = String::from(DECLARATION);
    let _ = write!(out, r#"<{root} xmlns="{NAMESPACE}">"#);
    head(&mut out);
    text_el(&mut out, "Quantity", &items.len().to_string());
    if !items.is_empty() {
        out.push_str("<Items>");
        for i in items {
            item(&mut out, i);
        }
        out.push_str("</Items>");
    }
    let _ = write!(out, "</{root}>");
    out
}

/// `NextMarker` (when there is a next page) and `MaxItems`, as ListFunctions and
/// ListKeyValueStores write them.
fn paging(out: &mut String, next_marker: Option<&str>, max_items: usize) {
    if let Some(marker) = next_marker {
        text_el(out, "NextMarker", marker);
    }
    text_el(out, "MaxItems", &max_items.to_string());
}

/// A `TestResult` document (TestFunction).
pub fn test_result_document(view: &StageView, account_id: &str, result: &TestResultXml) -> String {
    let mut out = String::from(DECLARATION);
    let _ = write!(out, r#"<TestResult xmlns="{NAMESPACE}">"#);
    write_summary(&mut out, view, account_id, false);
    text_el(
        &mut out,
        "ComputeUtilization",
        &result.compute_utilization.to_string(),
    );
    out.push_str("<FunctionExecutionLogs>");
    for line in &result.logs {
        text_el(&mut out, "member", line);
    }
    out.push_str("</FunctionExecutionLogs>");
    if let Some(error) = &result.error {
        text_el(&mut out, "FunctionErrorMessage", error);
    }
    if let Some(output) = &result.output {
        text_el(&mut out, "FunctionOutput", output);
    }
    out.push_str("</TestResult>");
    out
}

/// A key value store's ARN.
pub fn kvs_arn(account_id: &str, id: &str) -> String {
    format!("arn:aws:cloudfront::{account_id}:key-value-store/{id}")
}

/// A `KeyValueStore` document (Create, Describe, Update KeyValueStore).
pub fn kvs_document(view: &KvsView, account_id: &str) -> String {
    let mut out = String::from(DECLARATION);
    write_kvs(&mut out, view, account_id, true);
    out
}

/// A `KeyValueStoreList` document (ListKeyValueStores).
pub fn kvs_list_document(
    views: &[KvsView],
    account_id: &str,
    max_items: usize,
    next_marker: Option<&str>,
) -> String {
    list_document(
        "KeyValueStoreList",
        views,
        |out| paging(out, next_marker, max_items),
        |out, view| write_kvs(out, view, account_id, false),
    )
}

fn write_kvs(out: &mut String, view: &KvsView, account_id: &str, root: bool) {
    if root {
        let _ = write!(out, r#"<KeyValueStore xmlns="{NAMESPACE}">"#);
    } else {
        out.push_str("<KeyValueStore>");
    }
    text_el(out, "Name", &view.name);
    text_el(out, "Id", &view.id);
    text_el(out, "Comment", &view.comment);
    text_el(out, "ARN", &kvs_arn(account_id, &view.id));
    text_el(out, "Status", view.status);
    text_el(out, "LastModifiedTime", &iso8601(view.last_modified_ms));
    out.push_str("</KeyValueStore>");
}

/// The `ErrorResponse` document of `err`.
pub fn error_document(err: &ApiError, request_id: &str) -> String {
    error_response(err.fault_type(), err.code, &err.message, request_id)
}

/// An `ErrorResponse` document.
pub fn error_response(fault_type: &str, code: &str, message: &str, request_id: &str) -> String {
    let mut out = String::from(DECLARATION);
    let _ = write!(out, r#"<ErrorResponse xmlns="{NAMESPACE}"><Error>"#);
    text_el(&mut out, "Type", fault_type);
    text_el(&mut out, "Code", code);
    text_el(&mut out, "Message", message);
    out.push_str("</Error>");
    text_el(&mut out, "RequestId", request_id);
    out.push_str("</ErrorResponse>");
    out
}

/// The function's ARN (the same for both stages).
pub fn function_arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:cloudfront::{account_id}:function/{name}")
}

fn write_summary(out: &mut String, view: &StageView, account_id: &str, root: bool) {
    if root {
        let _ = write!(out, r#"<FunctionSummary xmlns="{NAMESPACE}">"#);
    } else {
        out.push_str("<FunctionSummary>");
    }
    text_el(out, "Name", view.name.as_str());
    text_el(out, "Status", view.copy.status.as_str());
    out.push_str("<FunctionConfig>");
    text_el(out, "Comment", &view.copy.comment);
    text_el(out, "Runtime", view.copy.runtime.as_str());
    if !view.copy.kvs_arns.is_empty() {
        out.push_str("<KeyValueStoreAssociations>");
        text_el(out, "Quantity", &view.copy.kvs_arns.len().to_string());
        out.push_str("<Items>");
        for arn in &view.copy.kvs_arns {
            out.push_str("<KeyValueStoreAssociation>");
            text_el(out, "KeyValueStoreARN", arn);
            out.push_str("</KeyValueStoreAssociation>");
        }
        out.push_str("</Items></KeyValueStoreAssociations>");
    }
    out.push_str("</FunctionConfig><FunctionMetadata>");
    text_el(
        out,
        "FunctionARN",
        &function_arn(account_id, view.name.as_str()),
    );
    text_el(out, "Stage", view.stage.as_str());
    text_el(out, "CreatedTime", &iso8601(view.created_ms));
    text_el(
        out,
        "LastModifiedTime",
        &iso8601(view.copy.last_modified_ms),
    );
    out.push_str("</FunctionMetadata></FunctionSummary>");
}

pub fn text_el(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", escape(text));
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601_utc_with_millis() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_767_225_599_999), "2025-12-31T23:59:59.999Z");
    }

    #[test]
    fn create_request_parses_the_sdk_body_with_namespace_and_kvs() {
        let body = format!(
            r#"<CreateFunctionRequest xmlns="{NAMESPACE}"><FunctionCode>YQ==</FunctionCode><FunctionConfig><Comment></Comment><Runtime>cloudfront-js-2.0</Runtime><KeyValueStoreAssociations><Quantity>1</Quantity><Items><KeyValueStoreAssociation><KeyValueStoreARN>arn:x</KeyValueStoreARN></KeyValueStoreAssociation></Items></KeyValueStoreAssociations></FunctionConfig><Name>f</Name></CreateFunctionRequest>"#
        );
        let req: FunctionRequest = parse(body.as_bytes()).unwrap();
        assert_eq!(req.name.as_deref(), Some("f"));
        assert_eq!(req.function_code.as_deref(), Some("YQ=="));
        let config = req.function_config.unwrap();
        assert_eq!(config.comment.unwrap_or_default(), "");
        let kvs = config.key_value_store_associations.unwrap();
        assert_eq!(kvs.quantity.as_deref(), Some("1"));
        assert_eq!(
            kvs.items.unwrap().associations[0].arn.as_deref(),
            Some("arn:x")
        );
    }

    #[test]
    fn error_response_escapes_text() {
        let xml = error_response("Sender", "InvalidArgument", "a < b & c", "rid");
        assert!(xml.contains("<Message>a &lt; b &amp; c</Message>"), "{xml}");
        assert!(xml.contains(NAMESPACE));
    }
}
