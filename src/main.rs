//! The binary: parse the command line and hand over to the library. Everything else lives in `lib.rs`.

use std::process::ExitCode;

fn main() -> ExitCode {
    cloudfront_publish::app::main()
}
