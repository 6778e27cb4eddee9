//! `demo`: the whole pipeline on the bundled example against an in-process emulator; no AWS account,
//! no GitHub, no files.

use std::process::ExitCode;

/// Runs the demo and prints the step outputs and the PR comment it would post.
pub async fn run() -> ExitCode {
    eprintln!("error: the demo needs the emulator, which is not built yet");
    ExitCode::FAILURE
}
