//! Fuzzes the manifest parser (`manifest::parse`): any text must give plans or a one-line error,
//! never a panic. Not for: file contents (paths resolve in an empty directory, so reads fail).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// An empty directory: every `file:` and `tests:` path resolves against it and finds nothing.
fn base() -> &'static Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cfp-fuzz-manifest-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `**` in an absolute glob would walk the whole file system: slow, not a finding.
    if text.contains("**") {
        return;
    }
    if let Err(e) = cloudfront_publish::manifest::parse(text, base(), "fuzz.yaml", 100) {
        assert!(!e.to_string().is_empty(), "empty error message");
    }
});
