//! Process setup for the binary: logging, the panic hook, the tokio runtime and dispatch to a
//! subcommand. Every layer's error ends here, and only here, as one line and exit code 1.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Cmd, Style, run_inputs};
use crate::demo::DemoError;
use crate::emulator::EmulatorError;
use crate::inputs::{InputError, RawInputs, unknown_input_warnings};
use crate::localtest::TestCmdError;
use crate::report::outputs;

/// Entry point of the `cloudfront-publish` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's first line names the flag; the usage block is noise in a CI log.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first}\nFor more information, try '--help'.");
            return ExitCode::FAILURE;
        }
    };
    init_logging();
    std::panic::set_hook(Box::new(|info| {
        // No backtrace, one line; a panic is always our bug.
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("::error title=internal error::cloudfront-publish hit a bug: {msg}");
    }));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(dispatch(cli))
}

/// Why a command failed, from whichever layer; printed here only.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A bad input or file (no API call was made).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The `test` command could not run.
    #[error(transparent)]
    Test(#[from] TestCmdError),
    /// The emulator could not start or serve.
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    /// The demo could not run.
    #[error("demo: {0}")]
    Demo(#[from] DemoError),
}

/// Exit code of the bare command outside GitHub Actions (a usage error, as for other CLIs).
const USAGE_EXIT: u8 = 2;

async fn dispatch(cli: Cli) -> ExitCode {
    let command = match cli.command {
        Some(c) => c,
        None if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| !v.is_empty()) => Cmd::Action,
        None => {
            let inputs_set =
                std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("INPUT_"));
            eprint!("{}", crate::cli::bare_usage(inputs_set));
            return ExitCode::from(USAGE_EXIT);
        }
    };
    let (style, result) = match command {
        Cmd::Action => {
            let env = |k: &str| std::env::var(k).ok();
            // Before validation: a misspelt input is often why a required one is missing.
            let names = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
            for w in unknown_input_warnings(names) {
                println!(
                    "{}",
                    outputs::annotation("warning", Some("unknown input"), &w)
                );
            }
            let raw = RawInputs::from_env(&env);
            let style = Style::Actions;
            (style, run_inputs(raw, style).await.map_err(AppError::from))
        }
        Cmd::Publish(args) => {
            let style = Style::Terminal;
            (
                style,
                run_inputs(args.0, style).await.map_err(AppError::from),
            )
        }
        Cmd::Test(args) => (
            Style::Terminal,
            crate::localtest::run(&args).map_err(AppError::from),
        ),
        Cmd::Emulator(args) => (
            Style::Terminal,
            crate::emulator::serve(args)
                .await
                .map(|()| true)
                .map_err(AppError::from),
        ),
        Cmd::Demo => (
            Style::Terminal,
            crate::demo::run().await.map_err(AppError::from),
        ),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            print_error(style, &e);
            ExitCode::FAILURE
        }
    }
}

/// One line: an `::error` annotation for a bad input in Actions, else `error: …` on stderr.
fn print_error(style: Style, e: &AppError) {
    match e {
        // Only an input error is a workflow annotation; the other commands run in a terminal.
        AppError::Input(e) => crate::cli::show(style, "error", &e.title(), &e.to_string()),
        _ => eprintln!("error: {e}"),
    }
}

/// Logs go to stderr; `RUNNER_DEBUG=1` (re-run with debug logging) or `RUST_LOG` turn on detail.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let debug = std::env::var("RUNNER_DEBUG").is_ok_and(|v| v == "1");
    // The SDK's own warnings (credential chain probing, with Debug dumps) are noise in a CI log:
    // every failure reaches the user as our one-line error. RUNNER_DEBUG=1 shows them.
    let default = if debug {
        "cloudfront_publish=debug,aws_smithy_runtime=debug,aws_config=debug,warn"
    } else {
        "cloudfront_publish=warn,off"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
