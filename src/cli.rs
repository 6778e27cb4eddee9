//! The command line: clap subcommands, and the one place that runs a [`Plan`] and writes its report
//! for every front door (`action`, `publish`, `demo`). Errors are returned to [`crate::app`], which
//! prints them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Parser, Subcommand};

use crate::aws::CloudFront;
use crate::emulator::EmulatorArgs;
use crate::github::Commenter;
use crate::inputs::{self, Context, INPUTS, InputError, RawInputs};
use crate::localtest::TestArgs;
use crate::pipeline::{self, OnDone};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::report::{Report, outputs, summary};

/// What no command does, for `--help` and the bare command's usage.
const NO_COMMAND: &str = "Without a command: in GitHub Actions (GITHUB_ACTIONS is set) cloudfront-publish runs as the \
action, like `cloudfront-publish action`; anywhere else it prints a short usage and exits 2.";

/// cloudfront-publish: test CloudFront Functions and publish exactly the version that was tested.
#[derive(Debug, Parser)]
#[command(name = "cloudfront-publish", version, about, long_about = None, after_help = NO_COMMAND)]
pub struct Cli {
    /// What to do; without one, see below.
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// The bare command outside GitHub Actions: the commands and where to read more, never workflow
/// commands. `inputs_set` adds a pointer to `action` for `INPUT_*` variables given without
/// `GITHUB_ACTIONS` (e.g. `docker run -e INPUT_…`).
pub fn bare_usage(inputs_set: bool) -> String {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let mut s = format!(
        "cloudfront-publish {}: test CloudFront Functions and publish exactly the version that was tested.\n\nUsage: cloudfront-publish <COMMAND>\n\n",
        env!("CARGO_PKG_VERSION")
    );
    for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        s.push_str(&format!("  {:<9} {about}\n", sub.get_name()));
    }
    s.push_str(
        "\nWithout a command it runs as the GitHub Action only when GITHUB_ACTIONS is set.\n\
         Run `cloudfront-publish --help`, or `cloudfront-publish COMMAND --help`, for more.\n",
    );
    if inputs_set {
        s.push_str(
            "INPUT_* variables are set but GITHUB_ACTIONS is not: run `cloudfront-publish action` to use them.\n",
        );
    }
    s
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run as a GitHub Action: read INPUT_* variables, run the pipeline, write outputs and summary.
    Action,
    /// Run the pipeline from a terminal; every action input is a --flag.
    Publish(PublishArgs),
    /// Run a function locally in the embedded runtime against events or test cases.
    Test(TestArgs),
    /// Serve a local CloudFront Functions API that AWS SDKs and the CLI talk to.
    Emulator(EmulatorArgs),
    /// Run the whole pipeline on a bundled example against an in-process emulator.
    Demo,
}

/// The input whose flag takes several values and repeats (test case files, globs, folders).
const LIST_INPUT: &str = "test-events";

/// `publish` flags: one `--kebab-case` flag per action input, generated from [`INPUTS`].
#[derive(Debug, Clone, Default)]
pub struct PublishArgs(pub RawInputs);

impl FromArgMatches for PublishArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut raw = RawInputs::default();
        for (name, _, _) in INPUTS {
            // Repeated or several values (an unquoted glob the shell expanded): one list, as the
            // input's newline-separated form.
            if let Some(values) = m.get_many::<String>(name) {
                raw.set(name, values.cloned().collect::<Vec<_>>().join("\n"));
            }
        }
        Ok(Self(raw))
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for PublishArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(INPUTS.iter().map(|(name, default, help)| {
            let help = if default.is_empty() {
                (*help).to_owned()
            } else {
                format!("{help} [default: {default}]")
            };
            let arg = Arg::new(*name).long(*name).value_name("VALUE").help(help);
            match *name {
                // The token is usually in the environment already; never echo it in help.
                "github-token" => arg.env("GITHUB_TOKEN").hide_env_values(true),
                // The same grammar as `test --event`: repeatable, several values per flag.
                LIST_INPUT => arg.num_args(1..).action(ArgAction::Append),
                _ => arg,
            }
        }))
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// How results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Workflow commands (`::group::`, `::error`), for the Actions log.
    Actions,
    /// Plain progress lines, for a terminal.
    Terminal,
}

/// Builds the plan from raw inputs and the environment, then runs it; `Ok(true)` when every
/// function succeeded and the runner files were written. A bad input is returned before any API
/// call, after writing `published=false` and a summary that names it.
pub async fn run_inputs(raw: RawInputs, style: Style) -> Result<bool, InputError> {
    let env = |k: &str| std::env::var(k).ok();
    let ctx = Context::from_env(&env);
    let files = RunnerFiles::from_env();
    let plan = match inputs::plan(&raw, &ctx) {
        Ok(plan) => plan,
        Err(e) => {
            // Exit 1 either way; a file that cannot be written is its own error line.
            let outputs = outputs::format_outputs(&outputs::invalid_input_outputs());
            write_file(style, "GITHUB_OUTPUT", files.output.as_deref(), &outputs);
            let summary = summary::render_invalid_input(&e.to_string());
            write_file(
                style,
                "GITHUB_STEP_SUMMARY",
                files.summary.as_deref(),
                &summary,
            );
            return Err(e);
        }
    };
    // Credentials (with role-to-assume, an OIDC token and STS) are the first long step.
    let progress = (style == Style::Terminal)
        .then(|| Progress::start(plan.functions().len(), "connecting to AWS"));
    let (report, files_written) = match CloudFront::connect(plan.aws()).await {
        Ok(cf) => run_plan_with(&plan, &cf, style, &files, progress).await,
        Err(e) => {
            if let Some(p) = &progress {
                p.finish();
            }
            // Outputs are written on failure too: every function reports not published.
            let report = pipeline::failed(&plan, &e);
            let written = write_report(&report, &[], style, &files);
            (report, written)
        }
    };
    Ok(report.succeeded() && files_written)
}

/// Where a run writes its outputs and summary (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`).
#[derive(Debug, Clone, Default)]
pub struct RunnerFiles {
    /// `$GITHUB_OUTPUT`.
    pub output: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`.
    pub summary: Option<PathBuf>,
}

impl RunnerFiles {
    /// Reads the two paths from the environment.
    pub fn from_env() -> Self {
        let path = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self {
            output: path("GITHUB_OUTPUT"),
            summary: path("GITHUB_STEP_SUMMARY"),
        }
    }
}

/// The one way an error or warning is shown: a workflow command in Actions, a plain
/// `error: ...` / `warning: ...` line on stderr in a terminal.
pub(crate) fn show(style: Style, kind: &str, title: &str, msg: &str) {
    match style {
        Style::Actions => println!("{}", outputs::annotation(kind, Some(title), msg)),
        Style::Terminal => eprintln!("{kind}: {msg}"),
    }
}

fn print_error(style: Style, title: &str, msg: &str) {
    show(style, "error", title, msg);
}

fn print_warning(style: Style, title: &str, msg: &str) {
    show(style, "warning", title, msg);
}

/// Runs a plan and writes everything a run leaves behind: progress, outputs, summary, annotations,
/// PR comment.
pub async fn run_plan(plan: &Plan, cf: &CloudFront, style: Style, files: &RunnerFiles) -> Report {
    run_plan_with(plan, cf, style, files, None).await.0
}

/// [`run_plan`] with the terminal progress already started (it showed the credentials step);
/// also says whether the runner files were written.
async fn run_plan_with(
    plan: &Plan,
    cf: &CloudFront,
    style: Style,
    files: &RunnerFiles,
    progress: Option<Arc<Progress>>,
) -> (Report, bool) {
    let commenter = Commenter::new(plan.github());
    let progress = progress.or_else(|| {
        (style == Style::Terminal).then(|| Progress::start(plan.functions().len(), ""))
    });
    if let Some(p) = &progress {
        p.step("");
        if commenter.is_some() {
            p.then("writing the PR comment");
        }
    }
    let p = progress.clone();
    let on_done: OnDone = Arc::new(move |f| match &p {
        Some(p) => p.finished(f),
        None => {
            // One write per block: functions finish concurrently and groups must not interleave.
            // Step lines carry user text (test names): a newline in them could start a workflow
            // command, so each is kept to one line.
            let mut block = format!(
                "::group::{} ({})\n",
                f.name,
                if f.succeeded() { "ok" } else { "failed" }
            );
            for s in &f.steps {
                block.push_str(&s.replace(['\r', '\n'], " "));
                block.push('\n');
            }
            block.push_str("::endgroup::\n");
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(block.as_bytes()).and_then(|()| out.flush());
        }
    });
    let (report, comment) = pipeline::execute(plan, cf, commenter.as_ref(), on_done).await;
    if let Some(p) = &progress {
        p.finish();
    }
    print!(
        "{}",
        crate::report::kvs::log_block(&report, style == Style::Actions)
    );
    for note in &comment.notes {
        tracing::info!("PR comment: {note}");
    }
    let written = write_report(&report, &comment.warnings, style, files);
    (report, written)
}

/// Writes what a run leaves behind: annotations, outputs, job summary. False when a runner file
/// could not be written (the step then fails).
fn write_report(report: &Report, warnings: &[String], style: Style, files: &RunnerFiles) -> bool {
    annotate(report, warnings, style);
    write_files(report, style, files)
}

/// One error per failed function and test, warnings for what did not fail the run.
fn annotate(report: &Report, warnings: &[String], style: Style) {
    for f in &report.functions {
        if let Some(e) = &f.error {
            print_error(style, &format!("cloudfront-publish: {}", f.name), e);
        }
        // In a terminal the progress lines already list each failed test.
        let failed_tests = f
            .test_results
            .iter()
            .filter(|t| !t.passed && style == Style::Actions);
        for t in failed_tests {
            let detail = t.detail().cloned().collect::<Vec<_>>().join("; ");
            print_error(
                style,
                &format!("test failed: {}", t.name),
                &format!("{}: {}: {detail}", f.name, t.name),
            );
        }
        if let Some(cu) = f.compute_utilization.filter(|c| *c > 70) {
            print_warning(
                style,
                "high compute utilization",
                &format!(
                    "{}: compute utilization {cu} is above 70; the function may be throttled under load",
                    f.name
                ),
            );
        }
        if f.published_untested() {
            print_warning(
                style,
                "published untested",
                &format!(
                    "{}: published untested: no test cases ran (set test-events)",
                    f.name
                ),
            );
        }
    }
    for f in &report.functions {
        for w in &f.warnings {
            print_warning(style, &format!("cloudfront-publish: {}", f.name), w);
        }
    }
    for w in &report.warnings {
        print_warning(style, "cloudfront-publish", w);
    }
    for w in warnings {
        print_warning(style, "PR comment", w);
    }
}

/// `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`; in a terminal without them, the outputs on stdout.
/// False when either file is set but cannot be written.
fn write_files(report: &Report, style: Style, files: &RunnerFiles) -> bool {
    let outs = outputs::outputs(report);
    let text = outputs::format_outputs(&outs);
    let output_ok = write_file(style, "GITHUB_OUTPUT", files.output.as_deref(), &text);
    let summary_ok = write_file(
        style,
        "GITHUB_STEP_SUMMARY",
        files.summary.as_deref(),
        &summary::render(report),
    );
    if style == Style::Terminal && files.output.is_none() {
        for (k, v) in &outs {
            println!("{k}={v}");
        }
    }
    output_ok && summary_ok
}

/// Appends `text` to the runner file `var` names, when it is set. A file that cannot be written
/// is an error: the workflow would read missing outputs (or miss the summary) as success.
fn write_file(style: Style, var: &str, path: Option<&Path>, text: &str) -> bool {
    let Some(path) = path else {
        return true;
    };
    match outputs::append(path, text) {
        Ok(()) => true,
        Err(e) => {
            let what = if var == "GITHUB_OUTPUT" {
                "the step outputs"
            } else {
                "the job summary"
            };
            print_error(
                style,
                var,
                &format!("cannot write {what} to {var} ({}): {e}", path.display()),
            );
            false
        }
    }
}
