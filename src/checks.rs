//! Checks shared by both loaders of a plan (the action inputs and the manifest): the same value is
//! judged the same way wherever it is written. Each returns the bare reason; the caller names the
//! input, or the manifest entry and line, that it came from.
//!
//! Not for: reading the environment or parsing YAML (see `inputs` and `manifest`).

use std::path::Path;

use crate::types::{
    InvalidValue, KvsArn, MAX_FUNCTION_CODE_BYTES, MAX_FUNCTION_COMMENT_CHARS, Runtime,
};

/// A function comment as CloudFront accepts it (at most 128 characters).
pub fn comment(c: &str) -> Result<(), InvalidValue> {
    let n = c.chars().count();
    if n > MAX_FUNCTION_COMMENT_CHARS {
        Err(InvalidValue(format!(
            "is {n} characters; CloudFront accepts at most {MAX_FUNCTION_COMMENT_CHARS}"
        )))
    } else {
        Ok(())
    }
}

/// How many key value stores a function of `runtime` may be associated with: at most one, and
/// only on runtime 2.0.
pub fn kvs_association(count: usize, runtime: Runtime) -> Result<(), InvalidValue> {
    if count > 1 {
        return Err(InvalidValue(format!(
            "{count} ARNs given; a function can be associated with at most 1 key value store"
        )));
    }
    if count > 0 && runtime != Runtime::Js2 {
        return Err(InvalidValue(
            "key value stores need runtime cloudfront-js-2.0".to_owned(),
        ));
    }
    Ok(())
}

/// Key value store associations as CloudFront accepts them: the count and runtime first, then
/// each ARN's shape.
pub fn kvs_arns(arns: &[String], runtime: Runtime) -> Result<Vec<KvsArn>, InvalidValue> {
    kvs_association(arns.len(), runtime)?;
    arns.iter().map(|a| a.parse()).collect()
}

/// A compute utilization limit: 0-100.
pub fn utilization(n: u32) -> Result<u32, InvalidValue> {
    if n <= 100 {
        Ok(n)
    } else {
        Err(InvalidValue(format!("{n} is not an integer from 0 to 100")))
    }
}

/// `max-compute-utilization` as text: an integer 0-100.
pub fn parse_utilization(v: &str) -> Result<u32, InvalidValue> {
    match v.parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(InvalidValue(format!(
            "{v:?} is not an integer from 0 to 100"
        ))),
    }
}

/// Function code as CloudFront accepts it: not blank, within the size quota, UTF-8.
pub fn code(bytes: Vec<u8>) -> Result<String, InvalidValue> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InvalidValue("the function file is empty".to_owned()));
    }
    if bytes.len() > MAX_FUNCTION_CODE_BYTES {
        return Err(InvalidValue(format!(
            "the function is {} bytes; CloudFront accepts at most {MAX_FUNCTION_CODE_BYTES} bytes",
            bytes.len()
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        InvalidValue(format!(
            "the function file is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads a function file relative to `base` and checks it with [`code`]; the message starts with
/// the file as the user wrote it, and a file that cannot be read says what it is relative to
/// (`relative_to`: "the workspace", "the manifest's folder").
pub fn read_code(base: &Path, file: &str, relative_to: &str) -> Result<String, InvalidValue> {
    let bytes = std::fs::read(base.join(file)).map_err(|e| {
        InvalidValue(format!(
            "{file}: cannot read the function file: {} (relative to {relative_to}, {})",
            io_reason(&e),
            base.display()
        ))
    })?;
    code(bytes).map_err(|e| InvalidValue(format!("{file}: {e}")))
}

/// Function code that compiles in the embedded runtime as the service compiles it on create and
/// update (with the 1.0 rules for cloudfront-js-1.0), without running it. `runtime` is `None` when
/// the run does not name one (an existing function keeps its own): then code that either runtime
/// compiles passes, so valid 1.0 code is never refused by the 2.0 rules. The message is
/// `FILE:LINE:COLUMN: SyntaxError: …`, with `file` as the user wrote it.
pub fn compiles(code: &str, runtime: Option<Runtime>, file: &str) -> Result<(), InvalidValue> {
    let checked = match runtime {
        Some(rt) => crate::runtime::check_syntax(code, rt),
        None => crate::runtime::check_syntax(code, Runtime::Js2)
            .or_else(|e| crate::runtime::check_syntax(code, Runtime::Js1).map_err(|_| e)),
    };
    checked.map_err(|e| {
        let kind = if e.message.starts_with("SyntaxError") {
            ""
        } else {
            "SyntaxError: "
        };
        InvalidValue(format!(
            "{file}:{}:{}: {kind}{}",
            e.line, e.column, e.message
        ))
    })
}

/// A short reason for an I/O error, without the OS error number noise.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => e.to_string(),
    }
}

/// Splits a newline- or comma-separated list, dropping blanks (YAML `|` blocks end with a newline).
pub fn split_list(v: &str) -> Vec<String> {
    v.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_the_file_line_and_column() {
        let code = "function handler(e) {\n  return e.request +* 1;\n}\n";
        let err = compiles(code, None, "fn/a.js").unwrap_err().0;
        assert!(err.starts_with("fn/a.js:2:"), "{err}");
        assert!(err.contains("SyntaxError"), "{err}");
    }

    #[test]
    fn the_1_0_rules_apply_only_when_the_run_names_1_0() {
        let code = "function handler(e) {\n  const r = e.request;\n  return r;\n}\n";
        assert!(compiles(code, Some(Runtime::Js2), "a.js").is_ok());
        assert!(compiles(code, None, "a.js").is_ok());
        let err = compiles(code, Some(Runtime::Js1), "a.js").unwrap_err().0;
        assert!(err.starts_with("a.js:2:") && err.contains("const"), "{err}");
    }
}
