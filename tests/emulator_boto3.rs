//! The emulator's wire format checked by a second SDK: runs `tests/wire/boto3_check.py` (boto3)
//! against an in-process emulator.
//!
//! Without python3 + boto3 + awscrt (SigV4A) the test fails, in CI and on a workstation alike, naming what to
//! install; `CLOUDFRONT_PUBLISH_SKIP_WIRE=1` skips it on purpose (and says so on stderr).

mod emulator_support;

use std::process::Command;

use cloudfront_publish::emulator::Config;
use emulator_support::emulator;

fn boto3_available() -> bool {
    Command::new("python3")
        .args(["-c", "import boto3, awscrt"])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[tokio::test]
async fn boto3_talks_to_the_emulator_and_raises_its_own_exceptions() {
    if std::env::var_os("CLOUDFRONT_PUBLISH_SKIP_WIRE").is_some_and(|v| v == "1") {
        eprintln!("SKIPPED: the boto3 wire check (CLOUDFRONT_PUBLISH_SKIP_WIRE=1)");
        return;
    }
    assert!(
        boto3_available(),
        "python3 with boto3 is required for the wire check: pip install boto3 awscrt \
         (or set CLOUDFRONT_PUBLISH_SKIP_WIRE=1 to skip it on purpose)"
    );
    let emu = emulator(Config::default()).await;
    let url = emu.endpoint_url();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire/boto3_check.py");
    // The script blocks; run it off the runtime so the emulator keeps serving.
    let out =
        tokio::task::spawn_blocking(move || Command::new("python3").arg(script).arg(url).output())
            .await
            .expect("task")
            .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("boto3 check passed"), "{stdout}");
    emu.shutdown().await.expect("shutdown");
}
