//! The records the store keeps and persists: functions with their two stages, and key value
//! stores with their keys, as plain data.
//!
//! Fields hold the crate's validated types (`FunctionName`, `Etag`, `Runtime`), written to the
//! state file as their API text. Not for: the rules that change them (see the sibling modules).

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::{Etag, FunctionName, Runtime, Stage};

/// `Status` of a function stage as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FunctionStatus {
    /// Created or updated, not published.
    Unpublished,
    /// Published; no distribution uses it.
    Unassociated,
    /// Published and used by a distribution.
    Deployed,
}

impl FunctionStatus {
    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            FunctionStatus::Unpublished => "UNPUBLISHED",
            FunctionStatus::Unassociated => "UNASSOCIATED",
            FunctionStatus::Deployed => "DEPLOYED",
        }
    }

    /// The status of a published copy: DEPLOYED when a distribution uses the function.
    pub fn published(in_use: bool) -> Self {
        if in_use {
            FunctionStatus::Deployed
        } else {
            FunctionStatus::Unassociated
        }
    }
}

/// One stage's copy of a function: code, config, ETag and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCopy {
    /// The ETag that `If-Match` must name to change or test this copy.
    #[serde(with = "text")]
    pub etag: Etag,
    /// What the API reports as `Status`.
    pub status: FunctionStatus,
    /// FunctionConfig.Comment.
    pub comment: String,
    /// FunctionConfig.Runtime.
    #[serde(with = "text")]
    pub runtime: Runtime,
    /// FunctionConfig.KeyValueStoreAssociations, as ARNs.
    pub kvs_arns: Vec<String>,
    /// The code bytes exactly as uploaded.
    #[serde(with = "base64_bytes")]
    pub code: Vec<u8>,
    /// LastModifiedTime, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

/// A function with both stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// The function name.
    #[serde(with = "text")]
    pub name: FunctionName,
    /// CreatedTime, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Marked as used without a distribution (`Store::set_in_use`, for tests): like a
    /// distribution's association, it blocks DeleteFunction and makes LIVE report DEPLOYED.
    #[serde(default)]
    pub in_use: bool,
    /// The DEVELOPMENT copy.
    pub development: StageCopy,
    /// The LIVE copy, once published.
    pub live: Option<StageCopy>,
}

impl FunctionRecord {
    /// The copy of `stage`, if it exists.
    pub fn stage(&self, stage: Stage) -> Option<&StageCopy> {
        match stage {
            Stage::Development => Some(&self.development),
            Stage::Live => self.live.as_ref(),
        }
    }

    /// The stage's summary as an answer shows it, if the stage exists.
    pub fn view(&self, stage: Stage) -> Option<StageView> {
        self.stage(stage).map(|copy| StageView {
            name: self.name.clone(),
            stage,
            created_ms: self.created_ms,
            copy: copy.clone(),
        })
    }
}

/// One stage of one function as an answer shows it (a FunctionSummary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageView {
    /// The function name.
    pub name: FunctionName,
    /// Which stage this is.
    pub stage: Stage,
    /// CreatedTime in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The stage's copy.
    pub copy: StageCopy,
}

/// The config and code of a CreateFunction or UpdateFunction, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// FunctionConfig.Comment.
    pub comment: String,
    /// FunctionConfig.Runtime.
    pub runtime: Runtime,
    /// Key value store ARNs (at most one).
    pub kvs_arns: Vec<String>,
    /// The code bytes.
    pub code: Vec<u8>,
}

/// A key value store: control-plane metadata and the data plane's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvsRecord {
    /// The name (unique per account).
    pub name: String,
    /// The id in its ARN (`arn:aws:cloudfront::ACCOUNT:key-value-store/ID`).
    pub id: String,
    /// The comment.
    pub comment: String,
    /// The control plane's ETag (changes with UpdateKeyValueStore).
    #[serde(with = "text")]
    pub etag: Etag,
    /// The data plane's ETag (changes with every key write).
    #[serde(with = "text")]
    pub data_etag: Etag,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Last change of metadata or keys, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
    /// The keys and their values, in key order.
    pub keys: std::collections::BTreeMap<String, String>,
}

impl KvsRecord {
    /// The sum of key and value bytes, as `TotalSizeInBytes` reports it.
    pub fn total_bytes(&self) -> usize {
        self.keys
            .iter()
            .map(|(k, v)| crate::kvs_limits::entry_bytes(k, v))
            .sum()
    }
}

/// One FunctionAssociation of a distribution's cache behavior.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    /// The behavior's PathPattern; `*` for the default cache behavior.
    pub path_pattern: String,
    /// `viewer-request` or `viewer-response`.
    pub event_type: String,
    /// The associated function's ARN.
    pub function_arn: String,
}

/// What a CreateDistribution or UpdateDistribution sent, already parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionSpec {
    /// The DistributionConfig element exactly as sent (without the XML declaration).
    pub config_xml: String,
    /// CallerReference (unique per account, fixed for the distribution's life).
    pub caller_reference: String,
    /// Enabled: only a disabled distribution can be deleted.
    pub enabled: bool,
    /// The FunctionAssociations of the default and the other cache behaviors.
    pub associations: Vec<Association>,
}

/// A distribution as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionRecord {
    /// The id (`E` + 13 of `A-Z0-9`).
    pub id: String,
    /// The ETag that `If-Match` must name to update or delete it.
    #[serde(with = "text")]
    pub etag: Etag,
    /// `dXXXXXXXXXXXXX.cloudfront.net`.
    pub domain_name: String,
    /// Last change, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
    /// The config and what was read from it.
    pub spec: DistributionSpec,
}

impl DistributionRecord {
    /// Whether any cache behavior of this distribution runs the function `name`.
    pub fn uses_function(&self, name: &str) -> bool {
        self.spec
            .associations
            .iter()
            .any(|a| function_name_of(&a.function_arn) == Some(name))
    }
}

/// The name in a function ARN (`arn:aws:cloudfront::ACCOUNT:function/NAME`).
pub fn function_name_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:aws:cloudfront::")?
        .split_once(":function/")
        .map(|(_, name)| name)
}

/// A validated type written as its API text: what it displays as, read back through `FromStr`,
/// so a state file with a bad name, ETag or runtime is refused when it is loaded.
mod text {
    use super::*;

    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
