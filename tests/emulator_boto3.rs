//! The emulator's wire format checked by a second SDK: runs `tests/wire/boto3_check.py` (boto3)
//! against an in-process emulator.
//!
//! Without boto3 the test is skipped with a note, except in CI (env `CI` set), where it fails.

mod emulator_support;

use std::process::Command;

use cloudfront_publish::emulator::Config;
use emulator_support::emulator;

fn boto3_available() -> bool {
    Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[tokio::test]
async fn boto3_talks_to_the_emulator_and_raises_its_own_exceptions() {
    if !boto3_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with boto3 is required in CI (pip install boto3)"
        );
        eprintln!("skipped: python3 -c 'import boto3' failed; pip install boto3 to run this check");
        return;
    }
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
