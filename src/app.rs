//! Process setup for the binary: logging, the panic hook, the tokio runtime and dispatch to a
//! subcommand. Errors end here as one line and exit code 1.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Cmd, Style, run_inputs};
use crate::inputs::RawInputs;

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

async fn dispatch(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Cmd::Action) {
        Cmd::Action => {
            let env = |k: &str| std::env::var(k).ok();
            run_inputs(RawInputs::from_env(&env), Style::Actions).await
        }
        Cmd::Publish(args) => run_inputs(args.0, Style::Terminal).await,
        Cmd::Test(args) => match crate::localtest::run(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Emulator(args) => match crate::emulator::serve(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Demo => crate::demo::run().await,
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
