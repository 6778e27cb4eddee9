//! The service's limits on key value store data, in one place so that input validation, batching
//! and (through the lead's reconciliation) the emulator enforce the same numbers.
//!
//! Sources: the CloudFront developer guide's "File format for key-value pairs" page (key 512
//! characters, value 1024 characters, file 5 MB) and its quotas page (a store holds at most 5 MB;
//! one UpdateKeys call changes at most 50 keys within a 3 MB payload). The API model allows keys
//! up to 1024 characters, but the guide's 512 is what the service accepts in a store, so we
//! validate against the smaller one. Not for: anything that does I/O.

/// Longest key, in characters.
pub const MAX_KEY_CHARS: usize = 512;
/// Longest value, in characters.
pub const MAX_VALUE_CHARS: usize = 1024;
/// Largest store: the sum of its keys' and values' sizes, in bytes (5 MB).
pub const MAX_STORE_BYTES: usize = 5 * 1024 * 1024;
/// Most keys one UpdateKeys call may put and delete together.
pub const MAX_KEYS_PER_UPDATE: usize = 50;
/// Largest UpdateKeys request body, in bytes (3 MB).
pub const MAX_UPDATE_PAYLOAD_BYTES: usize = 3 * 1024 * 1024;

// Batching counts keys only: a full batch of the largest keys and values, each character UTF-8
// (at most 4 bytes) and JSON-escaped (at most 6 bytes, `\u0000`), plus the item's punctuation,
// stays under the payload limit, so the count is the only bound that can bind.
const _: () = assert!(
    MAX_KEYS_PER_UPDATE * ((MAX_KEY_CHARS + MAX_VALUE_CHARS) * 6 + 64) + 1024
        <= MAX_UPDATE_PAYLOAD_BYTES
);
