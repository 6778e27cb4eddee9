//! The digests behind `crypto.createHash` / `crypto.createHmac`: md5, sha1 and sha256 over bytes.
//!
//! Not for: encodings (hex/base64/Buffer are done in the JavaScript prelude).

use hmac::{KeyInit, Mac};
use sha2::Digest;

/// Hashes `data` with `alg` (`md5`, `sha1`, `sha256`), keyed as HMAC when `key` is given.
pub fn digest(alg: &str, key: Option<&[u8]>, data: &[u8]) -> Result<Vec<u8>, String> {
    fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so new_from_slice cannot fail here.
        match <M as KeyInit>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    Ok(match (alg, key) {
        ("md5", None) => md5::Md5::digest(data).to_vec(),
        ("sha1", None) => sha1::Sha1::digest(data).to_vec(),
        ("sha256", None) => sha2::Sha256::digest(data).to_vec(),
        ("md5", Some(k)) => mac::<hmac::Hmac<md5::Md5>>(k, data),
        ("sha1", Some(k)) => mac::<hmac::Hmac<sha1::Sha1>>(k, data),
        ("sha256", Some(k)) => mac::<hmac::Hmac<sha2::Sha256>>(k, data),
        (other, _) => return Err(format!("not supported algorithm: \"{other}\"")),
    })
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Turns a JavaScript byte string (every char 0-255) back into bytes.
pub fn byte_string(s: &str) -> Result<Vec<u8>, String> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| "data is not a byte string".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_match_reference_vectors() {
        assert_eq!(
            hex(&digest("md5", None, b"abc").unwrap()),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(&digest("sha1", None, b"abc").unwrap()),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&digest("sha256", None, b"abc").unwrap()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hmac_sha256_matches_rfc4231_case_2() {
        let out = digest("sha256", Some(b"Jefe"), b"what do ya want for nothing?").unwrap();
        assert_eq!(
            hex(&out),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn unknown_algorithm_is_an_error() {
        assert!(digest("sha512", None, b"").is_err());
    }

    #[test]
    fn byte_strings_above_255_are_rejected() {
        assert_eq!(byte_string("a\u{ff}").unwrap(), vec![b'a', 0xff]);
        assert!(byte_string("\u{100}").is_err());
    }
}
