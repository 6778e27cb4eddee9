//! Fuzzes the emulator's request decoding: the first line is a request path (router, function
//! name, query), the rest a body for the CreateFunction / UpdateFunction and TestFunction decoders
//! (XML, base64, JSON, validation). Nothing here may panic. Not for: the store or the runtime.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (path, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let path = String::from_utf8_lossy(path);
    cloudfront_publish::emulator::fuzz_decode(&path, body);
});
