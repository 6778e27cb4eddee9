//! The operations the emulator serves, across its APIs, and what is known about each without a
//! request: its name in the API model, which API it belongs to, and whether it writes.
//!
//! Not for: routing requests to operations (each API module does that for its paths).

use std::fmt;
use std::str::FromStr;

/// Which API (and so which wire protocol) an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// CloudFront 2020-05-31, REST-XML: functions, key value store control plane, distributions.
    CloudFront,
}

/// One API operation, named as the API model names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// CreateFunction.
    CreateFunction,
    /// ListFunctions.
    ListFunctions,
    /// GetFunction.
    GetFunction,
    /// UpdateFunction.
    UpdateFunction,
    /// DeleteFunction.
    DeleteFunction,
    /// DescribeFunction.
    DescribeFunction,
    /// TestFunction.
    TestFunction,
    /// PublishFunction.
    PublishFunction,
}

/// A request mapped to its operation, with the (percent-decoded) path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The operation.
    pub op: Operation,
    /// The resource the path names: a function or store name, an ARN, a distribution id.
    pub resource: Option<String>,
    /// The key, for the data-plane operations on one key.
    pub key: Option<String>,
}

impl Route {
    /// A route with no path parameters.
    pub fn bare(op: Operation) -> Self {
        Self {
            op,
            resource: None,
            key: None,
        }
    }

    /// A route naming `resource`.
    pub fn on(op: Operation, resource: String) -> Self {
        Self {
            op,
            resource: Some(resource),
            key: None,
        }
    }
}

/// Every operation with its name, API and whether it changes state.
const TABLE: &[(Operation, &str, Api, bool)] = &[
    (
        Operation::CreateFunction,
        "CreateFunction",
        Api::CloudFront,
        true,
    ),
    (
        Operation::ListFunctions,
        "ListFunctions",
        Api::CloudFront,
        false,
    ),
    (
        Operation::GetFunction,
        "GetFunction",
        Api::CloudFront,
        false,
    ),
    (
        Operation::UpdateFunction,
        "UpdateFunction",
        Api::CloudFront,
        true,
    ),
    (
        Operation::DeleteFunction,
        "DeleteFunction",
        Api::CloudFront,
        true,
    ),
    (
        Operation::DescribeFunction,
        "DescribeFunction",
        Api::CloudFront,
        false,
    ),
    (
        Operation::TestFunction,
        "TestFunction",
        Api::CloudFront,
        false,
    ),
    (
        Operation::PublishFunction,
        "PublishFunction",
        Api::CloudFront,
        true,
    ),
];

impl Operation {
    fn row(self) -> &'static (Operation, &'static str, Api, bool) {
        // Every variant has exactly one row; the table test checks it.
        TABLE.iter().find(|row| row.0 == self).unwrap_or(&TABLE[0])
    }

    /// The operation's name in the API model, e.g. `UpdateFunction`.
    pub fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The API the operation belongs to.
    pub fn api(self) -> Api {
        self.row().2
    }

    /// Whether the operation changes state (the writes whose answers can be lost).
    pub fn is_write(self) -> bool {
        self.row().3
    }

    /// Every operation that changes state, in table order.
    pub fn writes() -> impl Iterator<Item = Operation> {
        TABLE.iter().filter(|row| row.3).map(|row| row.0)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TABLE
            .iter()
            .find(|row| row.1 == s)
            .map(|row| row.0)
            .ok_or_else(|| format!("{s:?} is not an operation of this emulator"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_round_trips_its_model_name_once() {
        for (op, name, _, _) in TABLE {
            assert_eq!(op.as_str(), *name);
            assert_eq!(name.parse::<Operation>(), Ok(*op));
            assert_eq!(TABLE.iter().filter(|row| row.0 == *op).count(), 1);
        }
        assert!("Describefunction".parse::<Operation>().is_err());
    }

    #[test]
    fn reads_are_not_writes() {
        assert!(Operation::UpdateFunction.is_write());
        assert!(!Operation::TestFunction.is_write());
        assert!(!Operation::DescribeFunction.is_write());
        assert!(Operation::writes().all(Operation::is_write));
    }
}
