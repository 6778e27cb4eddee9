//! The service's limits on key value store data, as the whole crate uses them: the numbers live
//! in [`crate::kvs_limits`] (shared with the emulator, so input validation and the emulator refuse
//! exactly the same data); this module adds what batching needs to know about them.
//!
//! Not for: anything that does I/O.

pub use crate::kvs_limits::{
    MAX_KEY_BYTES, MAX_KEYS_PER_UPDATE, MAX_STORE_BYTES, MAX_UPDATE_PAYLOAD_BYTES, MAX_VALUE_BYTES,
};

// Batching counts keys only: a full batch of the largest keys and values, each byte JSON-escaped
// (at most 6 bytes, `\u0000`), plus the item's punctuation, stays under the payload limit, so the
// count is the only bound that can bind.
const _: () = assert!(
    MAX_KEYS_PER_UPDATE * ((MAX_KEY_BYTES + MAX_VALUE_BYTES) * 6 + 64) + 1024
        <= MAX_UPDATE_PAYLOAD_BYTES
);
