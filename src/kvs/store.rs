//! Which store: a key value store named by the user (`key-value-store: site-redirects`) or given by
//! its ARN (`key-value-store-arns`, or `key-value-store: arn:...`), validated when built.

use std::fmt;
use std::str::FromStr;

use crate::types::{InvalidValue, KvsArn};

/// A key value store as the inputs name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoreRef {
    /// A name (`[a-zA-Z0-9-_]{1,64}`): looked up with the control plane, created when data is given.
    Name(String),
    /// An ARN: used as it is; never created.
    Arn(KvsArn),
}

impl StoreRef {
    /// The ARN when the user gave one.
    pub fn arn(&self) -> Option<&KvsArn> {
        match self {
            StoreRef::Arn(a) => Some(a),
            StoreRef::Name(_) => None,
        }
    }
}

impl FromStr for StoreRef {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("arn:") {
            return s.parse().map(StoreRef::Arn);
        }
        match crate::kvs_limits::store_name_problem(s) {
            None => Ok(StoreRef::Name(s.to_owned())),
            Some(why) => Err(InvalidValue(format!("{why}, nor an ARN"))),
        }
    }
}

impl fmt::Display for StoreRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreRef::Name(n) => f.write_str(n),
            StoreRef::Arn(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns_are_told_apart_and_checked() {
        assert_eq!(
            "site-redirects_2".parse::<StoreRef>().unwrap(),
            StoreRef::Name("site-redirects_2".into())
        );
        let arn =
            "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000000001";
        let r: StoreRef = arn.parse().unwrap();
        assert_eq!(r.arn().map(KvsArn::as_str), Some(arn));
        assert_eq!(r.to_string(), arn);
        assert!(
            "arn:aws:cloudfront::1:key-value-store/x"
                .parse::<StoreRef>()
                .is_err()
        );
        assert!("has space".parse::<StoreRef>().is_err());
        assert!("a".repeat(65).parse::<StoreRef>().is_err());
        assert!("".parse::<StoreRef>().is_err());
    }
}
