//! The CloudFront KeyValueStore service's limits, in one place, so that input validation and the
//! emulator refuse exactly the same data. Pure: constants and checks, no I/O.
//!
//! Sources: the `cloudfront-keyvaluestore` 2022-07-26 API model (key length 1-1024, ListKeys
//! MaxResults 1-50) and the CloudFront Developer Guide (quotas on key value stores and the import
//! file format: key 512 bytes, value 1 KB, store 5 MB; UpdateKeys 50 keys or a 3 MB payload).
//! Where the two differ, the tighter one applies. Not for: parsing data files (see `inputs`).

/// Largest key, in bytes (UTF-8). The developer guide's 512 is tighter than the model's 1024.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest value, in bytes (UTF-8).
pub const MAX_VALUE_BYTES: usize = 1024;
/// Largest total size of one store (the sum of its keys and values), in bytes.
pub const MAX_STORE_BYTES: usize = 5 * 1024 * 1024;
/// Most puts plus deletes in one UpdateKeys request.
pub const MAX_KEYS_PER_UPDATE: usize = 50;
/// Largest UpdateKeys request payload, in bytes.
pub const MAX_UPDATE_PAYLOAD_BYTES: usize = 3 * 1024 * 1024;
/// Largest (and default) ListKeys page.
pub const MAX_LIST_KEYS_RESULTS: usize = 50;
/// Key value store names: `[a-zA-Z0-9-_]{1,64}` (the control plane's KeyValueStoreName).
pub const MAX_STORE_NAME_CHARS: usize = 64;
/// Longest key value store comment, in characters.
pub const MAX_STORE_COMMENT_CHARS: usize = 128;

/// Why a key is refused, or `None` when it is within the limits. Never quotes a value.
pub fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() {
        Some("a key must not be empty".to_owned())
    } else if key.len() > MAX_KEY_BYTES {
        Some(format!(
            "key is {} bytes; the maximum is {MAX_KEY_BYTES} bytes",
            key.len()
        ))
    } else {
        None
    }
}

/// Why a value is refused, or `None` when it is within the limits. The message gives sizes only:
/// values may be secrets.
pub fn value_problem(value: &str) -> Option<String> {
    if value.len() > MAX_VALUE_BYTES {
        Some(format!(
            "value is {} bytes; the maximum is {MAX_VALUE_BYTES} bytes",
            value.len()
        ))
    } else {
        None
    }
}

/// The bytes a key and its value count toward the store's total size.
pub fn entry_bytes(key: &str, value: &str) -> usize {
    key.len() + value.len()
}

/// Why a store name is refused, or `None` when it is valid.
pub fn store_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_STORE_NAME_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (!ok).then(|| {
        format!(
            "{name:?} is not a valid key value store name (1-{MAX_STORE_NAME_CHARS} characters of a-z, A-Z, 0-9, - and _)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_are_checked_at_their_byte_limits() {
        assert!(key_problem(&"k".repeat(MAX_KEY_BYTES)).is_none());
        assert!(key_problem(&"k".repeat(MAX_KEY_BYTES + 1)).is_some());
        assert!(key_problem("").is_some());
        // Bytes, not characters: 2-byte characters reach the limit at half the count.
        assert!(key_problem(&"é".repeat(MAX_KEY_BYTES / 2 + 1)).is_some());
        assert!(value_problem(&"v".repeat(MAX_VALUE_BYTES)).is_none());
        let over = "s".repeat(MAX_VALUE_BYTES + 1);
        let problem = value_problem(&over).unwrap();
        assert!(!problem.contains("sss"), "a value never appears: {problem}");
        assert!(value_problem("").is_none());
        assert_eq!(entry_bytes("ab", "cde"), 5);
    }

    #[test]
    fn store_names_follow_the_model_pattern() {
        assert!(store_name_problem("redirects_2-x").is_none());
        assert!(store_name_problem("").is_some());
        assert!(store_name_problem("has space").is_some());
        assert!(store_name_problem(&"a".repeat(65)).is_some());
    }
}
