//! Key value stores as data: the data file a user writes, the service's limits, and the pure plan
//! of a sync (diff, UpdateKeys batches, restore, lost-answer check).
//!
//! Not for: any request. The pipeline reads and writes stores through `aws`; this module decides
//! what to send. Values never reach a message, Debug or Display here: the API model marks them
//! sensitive, and stores hold secrets (JWT signing keys).

pub mod data;
pub mod limits;
pub mod store;
pub mod sync;

pub use data::{DataFormat, KvsData, KvsDataError};
pub use store::StoreRef;
pub use sync::{Batch, Changes, Restore};
