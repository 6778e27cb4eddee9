//! The action's contract as users and maintainers see it, checked from the files themselves:
//! `action.yml` carries every input and output of the SPEC with a description and the documented
//! default, the README's tables list exactly the same, the action runs the prebuilt image, the
//! Dockerfile's final stage is the bare binary, and workflows use third-party actions only at the
//! pinned commits with least privilege.
//!
//! Not for: what the binary does with the inputs (the pipeline and emulator tests cover that), nor
//! full workflow linting (zizmor and check-jsonschema in `.ci/run` do that).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

/// SPEC "Action inputs", plus `fail-fast` for manifest runs: (name, default; "" = empty).
const SPEC_INPUTS: &[(&str, &str)] = &[
    ("function-name", ""),
    ("function-file", ""),
    // Empty, so an existing function keeps its runtime (issue 12); create uses cloudfront-js-2.0.
    ("runtime", ""),
    ("comment", ""),
    ("key-value-store-arns", ""),
    ("test-events", ""),
    ("max-compute-utilization", "100"),
    ("publish", "true"),
    ("if-match", ""),
    ("manifest", ""),
    ("concurrency", "4"),
    ("fail-fast", "all-or-nothing"),
    ("github-token", "${{ github.token }}"),
    ("pr-comment", "sticky"),
    ("pr-number", ""),
    ("aws-region", "us-east-1"),
    ("endpoint-url", ""),
    ("role-to-assume", ""),
];

/// SPEC "Action outputs".
const SPEC_OUTPUTS: &[&str] = &[
    "function-arn",
    "stage",
    "etag",
    "status",
    "published",
    "tested",
    "changed",
    "compute-utilization",
    "test-results",
    "comment-url",
    "distributions",
    "results",
];

/// SPEC "Pinned third-party actions": (action, version comment, commit).
const PINNED_ACTIONS: &[(&str, &str, &str)] = &[
    (
        "actions/checkout",
        "v7.0.1",
        "3d3c42e5aac5ba805825da76410c181273ba90b1",
    ),
    (
        "aws-actions/configure-aws-credentials",
        "v6.2.3",
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    ),
    (
        "docker/build-push-action",
        "v7.3.0",
        "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
    ),
    (
        "docker/login-action",
        "v4.1.0",
        "4907a6ddec9925e35a0a9e82d7399ccc52663121",
    ),
    (
        "docker/setup-buildx-action",
        "v4.3.0",
        "37fe631027851001ddb9b187196cc803df7f5f0e",
    ),
    (
        "docker/metadata-action",
        "v6.2.0",
        "dc802804100637a589fabce1cb79ff13a1411302",
    ),
    (
        "actions/attest-build-provenance",
        "v4.1.0",
        "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32",
    ),
    (
        "Swatinem/rust-cache",
        "v2.9.2",
        "6323deb102c322ba6fcbdcafc7e3dddab59af2b6",
    ),
];

/// The action itself: the one `uses:` allowed by tag (released together with the workflows).
const OWN_ACTION: &str = "cloudfront-publish/cloudfront-publish";
const IMAGE: &str = "docker://ghcr.io/cloudfront-publish/cloudfront-publish:v1";
const WORKFLOWS: &[&str] = &[
    ".github/workflows/ci.yml",
    ".github/workflows/release.yml",
    ".github/workflows/publish-function.yml",
    ".github/workflows/example-dispatch.yml",
    ".github/workflow-templates/cloudfront-publish.yml",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    description: String,
    author: String,
    branding: Branding,
    inputs: BTreeMap<String, Input>,
    outputs: BTreeMap<String, Output>,
    runs: Runs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Branding {
    icon: String,
    color: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    description: String,
    required: bool,
    default: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Output {
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Runs {
    using: String,
    image: String,
    args: Option<Vec<String>>,
    entrypoint: Option<String>,
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_path(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

fn action() -> Action {
    serde_yaml::from_str(&read("action.yml")).unwrap_or_else(|e| panic!("action.yml: {e}"))
}

/// A YAML scalar as the runner sees it (every input value is a string).
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => panic!("default must be a scalar, found {other:?}"),
    }
}

fn action_defaults(action: &Action) -> BTreeMap<String, String> {
    action
        .inputs
        .iter()
        .map(|(name, input)| {
            let default = input.default.as_ref().map(scalar).unwrap_or_default();
            (name.clone(), default)
        })
        .collect()
}

/// Rows of the first Markdown table under `heading`, without its header and separator rows.
fn readme_table(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = readme.lines().enumerate();
    lines
        .by_ref()
        .find(|(_, line)| line.trim() == heading)
        .unwrap_or_else(|| panic!("README has no heading {heading:?}"));
    let table: Vec<(usize, &str)> = lines
        .take_while(|(_, line)| !line.starts_with('#'))
        .skip_while(|(_, line)| !line.starts_with('|'))
        .take_while(|(_, line)| line.starts_with('|'))
        .collect();
    assert!(table.len() > 2, "README {heading}: no table rows");
    let separator = table[1].1;
    assert!(
        separator
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ')),
        "README {heading}: second table line is not a separator: {separator:?}"
    );
    table[2..]
        .iter()
        .map(|(n, line)| {
            let inner = line
                .trim()
                .strip_prefix('|')
                .and_then(|l| l.strip_suffix('|'))
                .unwrap_or_else(|| panic!("README line {}: row must start and end with |", n + 1));
            inner.split('|').map(|c| c.trim().to_owned()).collect()
        })
        .collect()
}

/// `` `x` `` → x; the table writes an empty default as the word `empty`.
fn code_cell(cell: &str, what: &str) -> String {
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .filter(|c| !c.contains('`'))
        .unwrap_or_else(|| panic!("README {what} cell {cell:?} must be one `code` span"))
        .to_owned()
}

fn readme_default(cell: &str) -> String {
    if cell == "empty" {
        String::new()
    } else {
        code_cell(cell, "default")
    }
}

/// Insert every (key, value), failing on a key seen twice.
fn unique_map(
    pairs: impl IntoIterator<Item = (String, String)>,
    what: &str,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        assert!(
            map.insert(k.clone(), v).is_none(),
            "{what}: {k} listed twice"
        );
    }
    map
}

#[test]
fn action_yml_has_exactly_the_spec_inputs_with_their_defaults_and_descriptions() {
    let action = action();
    let expected: BTreeMap<String, String> = SPEC_INPUTS
        .iter()
        .map(|(n, d)| ((*n).to_owned(), (*d).to_owned()))
        .collect();
    assert_eq!(
        action_defaults(&action),
        expected,
        "action.yml input defaults"
    );
    for (name, input) in &action.inputs {
        assert!(
            input.description.trim().len() >= 10,
            "input {name} needs a real description"
        );
        // Nothing is required by the runner: function-name is optional when a manifest is given,
        // and the binary reports a missing one with an ::error naming the input.
        assert!(!input.required, "input {name} must not be runner-required");
        assert!(
            input.default.is_some(),
            "input {name} must state its default"
        );
    }
}

#[test]
fn action_yml_has_exactly_the_spec_outputs_with_descriptions() {
    let action = action();
    let names: BTreeSet<&str> = action.outputs.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = SPEC_OUTPUTS.iter().copied().collect();
    assert_eq!(names, expected, "action.yml outputs");
    for (name, output) in &action.outputs {
        assert!(
            output.description.trim().len() >= 10,
            "output {name} needs a real description"
        );
    }
}

#[test]
fn action_runs_the_prebuilt_image_in_action_mode() {
    let runs = action().runs;
    assert_eq!(runs.using, "docker");
    assert_eq!(runs.image, IMAGE, "prebuilt image, no build at run time");
    // No subcommand and no entrypoint override: the binary's action mode reads INPUT_*.
    assert_eq!(runs.args, None, "runs.args would select another mode");
    assert_eq!(runs.entrypoint, None);
}

#[test]
fn action_yml_has_marketplace_metadata() {
    let action = action();
    assert!(!action.name.trim().is_empty());
    assert!(action.description.trim().len() <= 125 * 2 && !action.description.trim().is_empty());
    assert!(!action.author.trim().is_empty());
    assert!(!action.branding.icon.trim().is_empty());
    let colors = [
        "white",
        "black",
        "yellow",
        "blue",
        "green",
        "orange",
        "red",
        "purple",
        "gray-dark",
    ];
    assert!(
        colors.contains(&action.branding.color.as_str()),
        "branding.color {:?} is not one GitHub accepts",
        action.branding.color
    );
}

#[test]
fn readme_inputs_table_lists_exactly_the_action_inputs_and_defaults() {
    let rows = readme_table(&read("README.md"), "### Inputs");
    let readme = unique_map(
        rows.iter().map(|cells| {
            assert_eq!(
                cells.len(),
                3,
                "inputs row must be | input | default | description |: {cells:?}"
            );
            assert!(
                !cells[2].is_empty(),
                "inputs row without description: {cells:?}"
            );
            (code_cell(&cells[0], "input"), readme_default(&cells[1]))
        }),
        "README inputs table",
    );
    assert_eq!(
        readme,
        action_defaults(&action()),
        "README inputs table vs action.yml"
    );
}

#[test]
fn readme_outputs_table_lists_exactly_the_action_outputs() {
    let rows = readme_table(&read("README.md"), "### Outputs");
    let readme = unique_map(
        rows.iter().map(|cells| {
            assert_eq!(
                cells.len(),
                2,
                "outputs row must be | output | description |: {cells:?}"
            );
            assert!(
                !cells[1].is_empty(),
                "outputs row without description: {cells:?}"
            );
            (code_cell(&cells[0], "output"), String::new())
        }),
        "README outputs table",
    );
    let action: BTreeSet<String> = action().outputs.into_keys().collect();
    let readme: BTreeSet<String> = readme.into_keys().collect();
    assert_eq!(readme, action, "README outputs table vs action.yml");
}

#[test]
fn readme_quick_start_is_exactly_demo_and_locked_tests() {
    let readme = read("README.md");
    let start = readme
        .find("## Quick start")
        .expect("README has a Quick start");
    let block = readme[start..]
        .split("```")
        .nth(1)
        .expect("Quick start has a code block");
    let commands: Vec<&str> = block
        .lines()
        .skip(1) // the info string (sh)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands,
        ["cargo run --release -- demo", "cargo test --locked"]
    );
    // CI runs the same test command the README promises.
    let ci = read(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test --locked"),
        ".ci/run must run `cargo test --locked` verbatim"
    );
}

#[cfg(unix)]
#[test]
fn ci_script_is_executable_and_strict() {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(repo_path(".ci/run"))
        .expect(".ci/run exists")
        .permissions()
        .mode();
    assert_ne!(mode & 0o111, 0, ".ci/run must be executable");
    let script = read(".ci/run");
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("set -euo pipefail"));
}

/// Every `uses:` value in a file, with its line number and the rest of the line (version comment).
fn uses_lines(text: &str) -> Vec<(usize, String, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let t = line.trim_start();
            let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
            let rest = t.strip_prefix("uses:")?.trim();
            let (value, comment) = match rest.split_once('#') {
                Some((v, c)) => (v.trim(), c.trim()),
                None => (rest, ""),
            };
            Some((n + 1, value.to_owned(), comment.to_owned()))
        })
        .collect()
}

#[test]
fn workflows_and_readme_use_third_party_actions_only_at_the_pinned_commits() {
    let pinned: BTreeMap<&str, (&str, &str)> = PINNED_ACTIONS
        .iter()
        .map(|(a, v, c)| (*a, (*v, *c)))
        .collect();
    let mut files: Vec<&str> = WORKFLOWS.to_vec();
    files.push("README.md");
    let mut seen = 0;
    for file in files {
        for (line, value, comment) in uses_lines(&read(file)) {
            seen += 1;
            let at = format!("{file}:{line}: uses: {value}");
            if value.starts_with("./") || value.starts_with("$/") {
                continue; // this repository, same commit
            }
            let (target, reference) = value
                .split_once('@')
                .unwrap_or_else(|| panic!("{at}: no @ref"));
            // Reusable workflows of this repository and the action itself move with our tags.
            if target == OWN_ACTION
                || target.starts_with(&format!("{OWN_ACTION}/.github/workflows/"))
            {
                assert!(reference.starts_with('v'), "{at}: use a release tag");
                continue;
            }
            assert!(!value.starts_with("docker://"), "{at}: no container steps");
            let (version, commit) = pinned
                .get(target)
                .unwrap_or_else(|| panic!("{at}: not in the SPEC's pinned table"));
            assert_eq!(reference, *commit, "{at}: pin the SPEC commit");
            assert_eq!(comment, *version, "{at}: comment must be `# {version}`");
        }
    }
    assert!(seen > 10, "found only {seen} uses: lines; parser broken?");
}

fn workflow(file: &str) -> Value {
    serde_yaml::from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn jobs(file: &str, wf: &Value) -> Vec<(String, Value)> {
    wf["jobs"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{file}: no jobs"))
        .iter()
        .map(|(k, v)| (scalar(k), v.clone()))
        .collect()
}

#[test]
fn workflows_default_to_no_permissions_and_never_persist_credentials() {
    for file in WORKFLOWS {
        let wf = workflow(file);
        let top = &wf["permissions"];
        assert!(
            top.as_mapping().is_some_and(|m| m.is_empty()),
            "{file}: top-level `permissions: {{}}`; widen per job"
        );
        for (name, job) in jobs(file, &wf) {
            assert!(
                job.get("permissions").is_some(),
                "{file}: job {name} must state its permissions"
            );
            let steps = job["steps"].as_sequence().cloned().unwrap_or_default();
            for step in steps {
                let uses = step["uses"].as_str().unwrap_or_default();
                if uses.starts_with("actions/checkout@") {
                    assert_eq!(
                        step["with"]["persist-credentials"],
                        Value::Bool(false),
                        "{file}: job {name}: checkout with persist-credentials: false"
                    );
                }
                if let Some(run) = step["run"].as_str() {
                    assert!(
                        !run.contains("${{"),
                        "{file}: job {name}: pass expressions to run: through env:"
                    );
                }
            }
        }
    }
}

#[test]
fn reusable_workflow_passes_its_inputs_to_the_action_unchanged() {
    let file = ".github/workflows/publish-function.yml";
    let wf = workflow(file);
    let call = &wf["on"]["workflow_call"];
    let action_inputs: BTreeSet<String> = action().inputs.into_keys().collect();
    let declared: BTreeSet<String> = call["inputs"]
        .as_mapping()
        .expect("workflow_call inputs")
        .keys()
        .map(scalar)
        .collect();
    // Only the job's runner is the workflow's own; every other input is an action input.
    let own: BTreeSet<String> = ["runs-on".to_owned()].into();
    let passed_through: BTreeSet<String> = declared.difference(&own).cloned().collect();
    assert!(
        passed_through.is_subset(&action_inputs),
        "{file}: inputs not in action.yml: {:?}",
        passed_through
            .difference(&action_inputs)
            .collect::<Vec<_>>()
    );
    assert!(declared.contains("role-to-assume"));

    let (_, job) = jobs(file, &wf).into_iter().next().expect("one job");
    let step = job["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with(OWN_ACTION))
        })
        .expect("a step that uses the action")
        .clone();
    let with = step["with"].as_mapping().expect("with:");
    for (key, value) in with {
        let key = scalar(key);
        assert!(
            action_inputs.contains(&key),
            "{file}: with.{key} is no action input"
        );
        if passed_through.contains(&key) {
            assert_eq!(
                scalar(value),
                format!("${{{{ inputs.{key} }}}}"),
                "{file}: with.{key} must pass inputs.{key} through"
            );
        }
    }
    for key in &passed_through {
        assert!(
            with.contains_key(key.as_str()),
            "{file}: input {key} is declared but not passed to the action"
        );
    }
    // Every action output is a workflow output.
    let outputs: BTreeSet<String> = call["outputs"]
        .as_mapping()
        .expect("workflow_call outputs")
        .keys()
        .map(scalar)
        .collect();
    let expected: BTreeSet<String> = SPEC_OUTPUTS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(outputs, expected, "{file}: outputs");
    // Deploys queue; a cancelled deploy could leave DEVELOPMENT untested.
    assert_eq!(job["concurrency"]["cancel-in-progress"], Value::Bool(false));
}

/// Instructions of the last stage of a Dockerfile: (INSTRUCTION, arguments), continuations joined.
fn final_stage(dockerfile: &str) -> Vec<(String, String)> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_empty()) {
            continue;
        }
        current.push_str(t.trim_end_matches('\\'));
        current.push(' ');
        if !t.ends_with('\\') {
            let (op, args) = current
                .trim()
                .split_once(' ')
                .unwrap_or((current.trim(), ""));
            instructions.push((op.to_ascii_uppercase(), args.trim().to_owned()));
            current.clear();
        }
    }
    let last_from = instructions
        .iter()
        .rposition(|(op, _)| op == "FROM")
        .expect("a FROM");
    instructions.split_off(last_from)
}

#[test]
fn dockerfile_final_stage_is_scratch_with_only_the_static_binary_and_ca_bundle() {
    let dockerfile = read("Dockerfile");
    let stage = final_stage(&dockerfile);
    assert_eq!(stage[0], ("FROM".into(), "scratch".into()));
    let mut copied = BTreeSet::new();
    for (op, args) in &stage[1..] {
        match op.as_str() {
            "COPY" => {
                let dest = args.split_whitespace().last().unwrap_or_default();
                copied.insert(dest.to_owned());
            }
            "ENTRYPOINT" => assert_eq!(args, r#"["/cloudfront-publish"]"#),
            "LABEL" | "ENV" => {}
            other => panic!("final stage must not use {other} (no USER, WORKDIR, RUN, CMD)"),
        }
    }
    let expected: BTreeSet<String> = [
        "/cloudfront-publish".to_owned(),
        "/etc/ssl/certs/ca-certificates.crt".to_owned(),
    ]
    .into();
    assert_eq!(copied, expected, "final stage contents");
    assert!(
        stage.iter().any(|(op, _)| op == "ENTRYPOINT"),
        "exec-form ENTRYPOINT"
    );
    // The builder is pinned by digest and links statically.
    let builder = dockerfile
        .lines()
        .find(|l| l.starts_with("FROM ") && l.contains(" AS builder"))
        .expect("a builder stage");
    assert!(
        builder.contains("@sha256:"),
        "pin the builder by digest: {builder}"
    );
    assert!(dockerfile.contains("-C target-feature=+crt-static"));
    assert!(dockerfile.contains("--profile dist"));
}

#[test]
fn binary_reads_exactly_the_action_inputs() {
    let mut yml = action_defaults(&action());
    // The runner fills `${{ github.token }}`; the binary sees the token, not the expression.
    yml.insert("github-token".into(), String::new());
    let bin: BTreeMap<String, String> = cloudfront_publish::inputs::INPUTS
        .iter()
        .map(|(n, d, _)| ((*n).to_owned(), (*d).to_owned()))
        .collect();
    assert_eq!(bin, yml);
}
