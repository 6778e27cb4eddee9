//! Fuzzes the test-case parser (`testcase::from_str`, JSON and YAML): any text must give a case or
//! a one-line error naming the file, never a panic. The first byte picks the format.
//! Not for: running the case (see the runtime's own tests).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let yaml = selector & 1 == 1;
    let path = Path::new(if yaml { "fuzz.yaml" } else { "fuzz.json" });
    match cloudfront_publish::testcase::from_str(text, yaml, path) {
        Ok(case) => assert!(
            case.event.get("context").is_some(),
            "accepted an event without context"
        ),
        Err(e) => assert!(
            e.to_string().contains("fuzz."),
            "error does not name the file: {e}"
        ),
    }
});
