//! The README and the scripts' own headers say what is true: every benchmark script names what it
//! needs and every variable it reads, the README's benchmark table says the same, and the README
//! states the path rules and the test-file grammar the binary implements.
//!
//! Not for: the action's inputs and outputs tables (tests/action_contract.rs checks those).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bench_scripts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("benches"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    v.sort();
    assert!(v.len() >= 4, "{v:?}");
    v
}

/// The leading comment block (after the shebang), without the `# ` prefixes.
fn header(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.starts_with("#!"))
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').to_owned())
        .collect()
}

/// Variables a script reads with a default: `${NAME:-...}` or `${NAME:=...}`.
fn variables_read(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("${") {
        let rest = &text[i + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_' || c.is_ascii_digit())
            .collect();
        let after = &rest[name.len()..];
        let starts_upper = name.starts_with(|c: char| c.is_ascii_uppercase());
        if starts_upper && (after.starts_with(":-") || after.starts_with(":=")) {
            found.insert(name);
        }
    }
    found
}

/// The names in a header's `Variables:` block (indented `NAME  meaning` lines after it).
fn header_variables(header: &[String]) -> BTreeSet<String> {
    let start = header
        .iter()
        .position(|l| l.trim() == "Variables:")
        .unwrap_or_else(|| panic!("no `# Variables:` line in {header:#?}"));
    header[start + 1..]
        .iter()
        .take_while(|l| l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// The tools of a header's `Needs:` line.
fn header_needs(header: &[String]) -> Vec<String> {
    let line = header
        .iter()
        .find_map(|l| l.trim().strip_prefix("Needs:"))
        .unwrap_or_else(|| panic!("no `# Needs:` line in {header:#?}"));
    // Text after three spaces is a remark, not a tool.
    let list = line.split("   ").next().unwrap_or(line);
    list.split(',').map(|t| t.trim().to_owned()).collect()
}

#[test]
fn every_bench_script_header_names_its_needs_and_the_variables_it_reads() {
    for path in bench_scripts() {
        let text = read(&path);
        let h = header(&text);
        let named = header_variables(&h);
        let mut read_vars = variables_read(&text);
        if text.contains("lib.sh\"") {
            // Set for every script that builds through lib.sh.
            read_vars.insert("BIN".to_owned());
        }
        read_vars.remove("TMPDIR");
        for v in &read_vars {
            if v == "TIME_PREFIX" && path.ends_with("lib.sh") {
                assert!(named.contains(v), "lib.sh must say who sets TIME_PREFIX");
                continue;
            }
            assert!(
                named.contains(v),
                "{}: reads {v} but its header does not name it ({named:?})",
                path.display()
            );
        }
        assert!(!header_needs(&h).is_empty(), "{}", path.display());
    }
}

#[test]
fn readme_benchmark_table_agrees_with_the_script_headers() {
    let readme = read(&root().join("README.md"));
    for path in bench_scripts() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "lib.sh" {
            continue; // sourced by the others, not run
        }
        let cell = format!("| `benches/{name}`");
        let row = readme
            .lines()
            .find(|l| l.starts_with(&cell))
            .unwrap_or_else(|| panic!("README has no row starting with {cell}"));
        let h = header(&read(&path));
        for need in header_needs(&h) {
            assert!(
                row.contains(&need),
                "README row for {name} lacks {need:?}: {row}"
            );
        }
        for var in header_variables(&h) {
            assert!(
                row.contains(&format!("`{var}`")),
                "README row for {name} lacks `{var}`: {row}"
            );
        }
    }
}

/// The README's row for one input of the inputs table.
fn input_row<'a>(readme: &'a str, input: &str) -> &'a str {
    let cell = format!("| `{input}` |");
    readme
        .lines()
        .find(|l| l.starts_with(&cell))
        .unwrap_or_else(|| panic!("README has no inputs row for {input}"))
}

#[test]
fn readme_states_the_test_file_grammar_and_the_path_rules() {
    let readme = read(&root().join("README.md"));
    let row = input_row(&readme, "test-events").to_ascii_lowercase();
    for word in ["newline", "comma", "glob", "folder"] {
        assert!(
            row.contains(word),
            "test-events row should mention {word}: {row}"
        );
    }
    assert!(
        readme.contains("relative to the manifest"),
        "the manifest's path rule"
    );
    assert!(
        readme.contains("relative to the workspace"),
        "the inputs' path rule"
    );
}

#[test]
fn readme_says_cargo_install_builds_a_dynamic_binary() {
    let readme = read(&root().join("README.md"));
    // `cargo install` links glibc dynamically; only the Dockerfile's `+crt-static` build (the
    // image's binary) is static. Every paragraph that gives the command says which it builds.
    let paragraphs: Vec<&str> = readme
        .split("\n\n")
        .filter(|p| p.contains("cargo install"))
        .collect();
    assert!(
        !paragraphs.is_empty(),
        "README should say how to install with cargo"
    );
    for p in paragraphs {
        assert!(
            p.contains("dynamic"),
            "say that cargo install builds a dynamic binary: {p}"
        );
    }
}
