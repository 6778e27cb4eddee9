//! Domain types that can only hold valid values: a function name, a runtime, an ETag, a stage.
//!
//! Validation happens when they are built (`FromStr`), so code past the inputs never re-checks.
//! Not for: anything about where a value came from (see `inputs`).

use std::fmt;
use std::str::FromStr;

/// Why a domain value was rejected; the caller adds which input or file it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// A CloudFront function name: `[a-zA-Z0-9-_]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionName(String);

impl FunctionName {
    /// The name as CloudFront spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FunctionName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "{s:?} is not a valid function name (1-64 characters of a-z, A-Z, 0-9, - and _)"
            )))
        }
    }
}

impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CloudFront Functions runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Runtime {
    /// `cloudfront-js-1.0`: ES5.1 plus a few documented extras.
    Js1,
    /// `cloudfront-js-2.0`: ES2020-level syntax, modules, key value stores.
    #[default]
    Js2,
}

impl Runtime {
    /// The runtime's name in the API (`cloudfront-js-1.0` / `cloudfront-js-2.0`).
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Js1 => "cloudfront-js-1.0",
            Runtime::Js2 => "cloudfront-js-2.0",
        }
    }
}

impl FromStr for Runtime {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cloudfront-js-1.0" => Ok(Runtime::Js1),
            "cloudfront-js-2.0" => Ok(Runtime::Js2),
            other => Err(InvalidValue(format!(
                "{other:?} is not a runtime (expected cloudfront-js-1.0 or cloudfront-js-2.0)"
            ))),
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A function stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The stage that updates and tests act on.
    Development,
    /// The stage that distributions run.
    Live,
}

impl Stage {
    /// The stage's name in the API (`DEVELOPMENT` / `LIVE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Development => "DEVELOPMENT",
            Stage::Live => "LIVE",
        }
    }
}

impl FromStr for Stage {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "DEVELOPMENT" => Ok(Stage::Development),
            "LIVE" => Ok(Stage::Live),
            other => Err(InvalidValue(format!(
                "{other:?} is not a stage (expected DEVELOPMENT or LIVE)"
            ))),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage's status as `FunctionSummary.Status` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FunctionStatus {
    /// DEVELOPMENT holds changes not yet published.
    Unpublished,
    /// Published, and no distribution uses the function.
    Unassociated,
    /// Published and associated with a distribution.
    Deployed,
    /// A status this version does not know, as the service sent it.
    Other(String),
}

impl FunctionStatus {
    /// The status from the API's text; an unknown one is kept as sent.
    pub fn from_api(s: &str) -> Self {
        match s {
            "UNPUBLISHED" => Self::Unpublished,
            "UNASSOCIATED" => Self::Unassociated,
            "DEPLOYED" => Self::Deployed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The status as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unpublished => "UNPUBLISHED",
            Self::Unassociated => "UNASSOCIATED",
            Self::Deployed => "DEPLOYED",
            Self::Other(s) => s,
        }
    }
}

impl std::ops::Deref for FunctionStatus {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for FunctionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ETag as CloudFront returns it (opaque, non-empty, no whitespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Etag(String);

impl Etag {
    /// The ETag text to send back in `If-Match`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Etag {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 256 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Err(InvalidValue(format!("{s:?} is not an ETag")))
        } else {
            Ok(Self(s.to_owned()))
        }
    }
}

// So that an `Option<Etag>` reads as `Option<&str>` (`as_deref()`) where text is wanted.
impl std::ops::Deref for Etag {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key value store ARN, valid by the API model's pattern (see [`is_kvs_arn`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KvsArn(String);

impl KvsArn {
    /// An ARN as CloudFront returned it (DescribeFunction): the service holds only ARNs it
    /// accepted, so its answer is not second-guessed here.
    pub(crate) fn from_api(s: &str) -> Self {
        Self(s.to_owned())
    }

    /// The ARN as CloudFront spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KvsArn {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_kvs_arn(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "{s:?} is not a key value store ARN (arn:aws:cloudfront::123456789012:key-value-store/ID)"
            )))
        }
    }
}

impl fmt::Display for KvsArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key value store ARN as the API model's pattern has it:
/// `arn:aws:cloudfront::[0-9]{12}:key-value-store/[0-9a-fA-F-]{36}`.
pub fn is_kvs_arn(arn: &str) -> bool {
    let Some((account, id)) = arn
        .strip_prefix("arn:aws:cloudfront::")
        .and_then(|rest| rest.split_once(":key-value-store/"))
    else {
        return false;
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && id.len() == 36
        && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Longest function comment (`FunctionConfig.Comment`) CloudFront accepts, in characters.
pub const MAX_FUNCTION_COMMENT_CHARS: usize = 128;

/// The service's size quota for function code (10 KB).
pub const MAX_FUNCTION_CODE_BYTES: usize = 10 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_name_accepts_the_documented_alphabet_and_length() {
        assert!("redirect-www_2".parse::<FunctionName>().is_ok());
        assert!("a".repeat(64).parse::<FunctionName>().is_ok());
        assert!("a".repeat(65).parse::<FunctionName>().is_err());
        assert!("".parse::<FunctionName>().is_err());
        assert!("has space".parse::<FunctionName>().is_err());
        assert!("dot.name".parse::<FunctionName>().is_err());
    }

    #[test]
    fn runtime_and_stage_round_trip_their_api_names() {
        for r in [Runtime::Js1, Runtime::Js2] {
            assert_eq!(r.as_str().parse::<Runtime>().unwrap(), r);
        }
        for s in [Stage::Development, Stage::Live] {
            assert_eq!(s.as_str().parse::<Stage>().unwrap(), s);
        }
        assert!("cloudfront-js-3.0".parse::<Runtime>().is_err());
        assert!("live".parse::<Stage>().is_err());
    }

    #[test]
    fn etag_rejects_empty_and_whitespace() {
        assert!("E2QWRUHAPOMQZL".parse::<Etag>().is_ok());
        assert!("".parse::<Etag>().is_err());
        assert!("E2 QW".parse::<Etag>().is_err());
    }
}
