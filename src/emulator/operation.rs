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
    /// CloudFront KeyValueStore 2022-07-26, REST-JSON: the key value store data plane.
    KeyValueStore,
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
    /// CreateKeyValueStore (control plane).
    CreateKeyValueStore,
    /// DescribeKeyValueStore (control plane).
    DescribeKeyValueStore,
    /// ListKeyValueStores (control plane).
    ListKeyValueStores,
    /// UpdateKeyValueStore (control plane).
    UpdateKeyValueStore,
    /// DeleteKeyValueStore (control plane).
    DeleteKeyValueStore,
    /// DescribeKeyValueStore of the data plane (`cloudfront-keyvaluestore`).
    DescribeKeyValueStoreData,
    /// GetKey.
    GetKey,
    /// ListKeys.
    ListKeys,
    /// PutKey.
    PutKey,
    /// DeleteKey.
    DeleteKey,
    /// UpdateKeys.
    UpdateKeys,
    /// CreateDistribution.
    CreateDistribution,
    /// GetDistribution.
    GetDistribution,
    /// GetDistributionConfig.
    GetDistributionConfig,
    /// UpdateDistribution.
    UpdateDistribution,
    /// DeleteDistribution.
    DeleteDistribution,
    /// ListDistributions.
    ListDistributions,
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

/// Every operation, in the order `--help` and the tests list them.
const ALL: &[Operation] = &[
    Operation::CreateFunction,
    Operation::ListFunctions,
    Operation::GetFunction,
    Operation::UpdateFunction,
    Operation::DeleteFunction,
    Operation::DescribeFunction,
    Operation::TestFunction,
    Operation::PublishFunction,
    Operation::CreateKeyValueStore,
    Operation::DescribeKeyValueStore,
    Operation::ListKeyValueStores,
    Operation::UpdateKeyValueStore,
    Operation::DeleteKeyValueStore,
    Operation::DescribeKeyValueStoreData,
    Operation::GetKey,
    Operation::ListKeys,
    Operation::PutKey,
    Operation::DeleteKey,
    Operation::UpdateKeys,
    Operation::CreateDistribution,
    Operation::GetDistribution,
    Operation::GetDistributionConfig,
    Operation::UpdateDistribution,
    Operation::DeleteDistribution,
    Operation::ListDistributions,
];

impl Operation {
    /// Name, API and whether it writes; a `match`, so a new operation cannot be left out.
    fn row(self) -> (&'static str, Api, bool) {
        use Api::{CloudFront as Cf, KeyValueStore as Kvs};
        match self {
            Operation::CreateFunction => ("CreateFunction", Cf, true),
            Operation::ListFunctions => ("ListFunctions", Cf, false),
            Operation::GetFunction => ("GetFunction", Cf, false),
            Operation::UpdateFunction => ("UpdateFunction", Cf, true),
            Operation::DeleteFunction => ("DeleteFunction", Cf, true),
            Operation::DescribeFunction => ("DescribeFunction", Cf, false),
            Operation::TestFunction => ("TestFunction", Cf, false),
            Operation::PublishFunction => ("PublishFunction", Cf, true),
            Operation::CreateKeyValueStore => ("CreateKeyValueStore", Cf, true),
            Operation::DescribeKeyValueStore => ("DescribeKeyValueStore", Cf, false),
            Operation::ListKeyValueStores => ("ListKeyValueStores", Cf, false),
            Operation::UpdateKeyValueStore => ("UpdateKeyValueStore", Cf, true),
            Operation::DeleteKeyValueStore => ("DeleteKeyValueStore", Cf, true),
            // The data plane's DescribeKeyValueStore shares its model name with the control
            // plane's; the log and `--lose` tell them apart by this prefix.
            Operation::DescribeKeyValueStoreData => ("kvs:DescribeKeyValueStore", Kvs, false),
            Operation::GetKey => ("GetKey", Kvs, false),
            Operation::ListKeys => ("ListKeys", Kvs, false),
            Operation::PutKey => ("PutKey", Kvs, true),
            Operation::DeleteKey => ("DeleteKey", Kvs, true),
            Operation::UpdateKeys => ("UpdateKeys", Kvs, true),
            Operation::CreateDistribution => ("CreateDistribution", Cf, true),
            Operation::GetDistribution => ("GetDistribution", Cf, false),
            Operation::GetDistributionConfig => ("GetDistributionConfig", Cf, false),
            Operation::UpdateDistribution => ("UpdateDistribution", Cf, true),
            Operation::DeleteDistribution => ("DeleteDistribution", Cf, true),
            Operation::ListDistributions => ("ListDistributions", Cf, false),
        }
    }

    /// The operation's name in the API model, e.g. `UpdateFunction`.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// Whether the operation is about one function (the request log's `function` field).
    pub fn names_function(self) -> bool {
        self.as_str().ends_with("Function")
    }

    /// The API the operation belongs to.
    pub fn api(self) -> Api {
        self.row().1
    }

    /// Whether the operation changes state (the writes whose answers can be lost).
    pub fn is_write(self) -> bool {
        self.row().2
    }

    /// Every operation that changes state.
    pub fn writes() -> impl Iterator<Item = Operation> {
        ALL.iter().copied().filter(|op| op.is_write())
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
        ALL.iter()
            .copied()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not an operation of this emulator"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_round_trips_its_model_name_once() {
        for op in ALL {
            assert_eq!(op.as_str().parse::<Operation>(), Ok(*op));
            assert_eq!(ALL.iter().filter(|o| o.as_str() == op.as_str()).count(), 1);
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
