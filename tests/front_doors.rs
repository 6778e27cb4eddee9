//! Every front door as a user runs it: `publish` flags, `test`, `emulator`, `demo`, and the CLI's
//! own errors (one line, exit 1).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{ACCESS_KEY, Emu, SECRET_KEY};

const BIN: &str = env!("CARGO_BIN_EXE_cloudfront-publish");

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn clean(cmd: &mut Command) -> &mut Command {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_flags_run_the_same_pipeline_and_print_outputs() {
    let emu = Emu::start(|_| {}).await;
    let url = emu.url();
    let out = tokio::task::spawn_blocking(move || {
        clean(&mut Command::new(BIN))
            .current_dir(examples())
            .args([
                "publish",
                "--function-name",
                "from-terminal",
                "--function-file",
                "function.js",
            ])
            .args([
                "--test-events",
                "tests/*.yaml",
                "--endpoint-url",
                &url,
                "--pr-comment",
                "off",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.lines().any(|l| l == "published=true"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "stage=LIVE"), "{stdout}");
    assert!(
        stderr.contains("from-terminal published to LIVE"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("::group::"),
        "no workflow commands in a terminal"
    );
}

#[test]
fn publish_rejects_a_bad_flag_value_in_one_line_with_exit_1() {
    let out = clean(&mut Command::new(BIN))
        .args([
            "publish",
            "--function-name",
            "bad name",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: input `function-name`"),
        "{stderr}"
    );
}

#[test]
fn test_command_checks_expectations_and_prints_json_lines() {
    let ex = examples();
    let out = clean(&mut Command::new(BIN))
        .arg("test")
        .arg(ex.join("function.js"))
        .arg("--event")
        .arg(ex.join("tests/redirect-apex.yaml"))
        .arg("--event")
        .arg(ex.join("tests/rewrite-directory.yaml"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        for key in [
            "name",
            "output",
            "logs",
            "error",
            "compute-utilization",
            "passed",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert_eq!(l["passed"], true);
    }
    assert_eq!(lines[0]["output"]["response"]["statusCode"], 301);
}

#[test]
fn test_command_exits_1_when_an_expectation_fails() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.js");
    std::fs::write(&f, "function handler(event) { return event.request; }").unwrap();
    let out = clean(&mut Command::new(BIN))
        .arg("test")
        .arg(&f)
        .arg("--event")
        .arg(examples().join("tests/redirect-apex.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("response"),
        "the diff names what differed: {stdout}"
    );
}

#[test]
fn emulator_prints_its_address_first_and_stops_on_sigterm() {
    let mut child = clean(&mut Command::new(BIN))
        .args(["emulator", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{first:?}"));
    assert!(addr.parse::<u16>().unwrap() > 0);
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[test]
fn emulator_listen_takes_a_host_name() {
    let mut child = clean(&mut Command::new(BIN))
        .args(["emulator", "--listen", "localhost:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{first:?} {}", String::from_utf8_lossy(&out.stderr)));
    let addr: std::net::SocketAddr = addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}"));
    assert!(addr.ip().is_loopback(), "{addr}");
    assert!(addr.port() > 0, "{addr}");
}

#[test]
fn emulator_listen_without_a_port_is_one_line_naming_the_flag() {
    // No port: refused before any name lookup (no test reaches a DNS server).
    let out = clean(&mut Command::new(BIN))
        .args(["emulator", "--listen", "localhost"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().next().unwrap_or("").contains("--listen"),
        "{stderr}"
    );
    assert!(stderr.contains("localhost"), "{stderr}");
    assert_eq!(
        stderr.lines().count(),
        2,
        "one line and the --help hint: {stderr}"
    );
}

#[test]
fn demo_publishes_the_bundled_example_and_prints_the_comment() {
    let out = clean(&mut Command::new(BIN))
        .env_remove("AWS_ACCESS_KEY_ID")
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.lines().any(|l| l == "published=true"), "{stdout}");
    assert!(
        stdout.contains("<!-- cloudfront-publish:example-viewer-request -->"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_are_one_line_and_exit_1_and_help_exits_0() {
    let out = clean(&mut Command::new(BIN))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().next().unwrap().starts_with("error:"),
        "{stderr}"
    );
    assert!(stderr.lines().count() <= 2, "{stderr}");
    let help = clean(&mut Command::new(BIN))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("publish"));
}
