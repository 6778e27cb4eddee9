//! A small JavaScript token scanner used before compiling: it tells an ES module from a script and
//! finds the syntax that `cloudfront-js-1.0` rejects.
//!
//! Not a parser. It skips strings, comments, template literals (scanning their `${}` parts as code)
//! and regular-expression literals, then looks at the remaining words. What it checks for 1.0:
//! the keywords `let`, `const`, `class`, `async`, `await`, `import`, `export` and `yield`, and the
//! generator star `function*`, anywhere they are used as keywords (not after `.` and not as an
//! object key before `:`). Destructuring, spread in calls and `for…of` are not detected; QuickJS
//! accepts them where the service would not. When the scanner cannot follow a source (an
//! unterminated literal), it stays silent and the engine reports the syntax error.

/// One significant token: its text and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Punct,
    Literal,
}

/// Words after which a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORDS: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
];

/// Keywords that `cloudfront-js-1.0` does not accept.
const FORBIDDEN_IN_V1: &[&str] = &[
    "let", "const", "class", "async", "await", "import", "export", "yield",
];

/// A syntax problem found by the scan, phrased as the engine's SyntaxError.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// The message without the `SyntaxError: ` prefix.
    pub message: String,
}

fn tokenize(src: &str) -> Result<Vec<Token<'_>>, ScanError> {
    let bytes = src.as_bytes();
    let mut tokens: Vec<Token<'_>> = Vec::new();
    let mut i = 0;
    let mut line = 1;
    // Brace depth per open template substitution, so `}` knows when it closes `${`.
    let mut template_stack: Vec<usize> = Vec::new();
    let mut depth = 0usize;

    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start_line = line;
                i += 2;
                loop {
                    if i + 1 >= bytes.len() {
                        return Err(ScanError {
                            message: format!("unterminated comment (line {start_line})"),
                        });
                    }
                    if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                let start = i;
                let start_line = line;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(ScanError {
                                message: format!("unterminated string literal (line {start_line})"),
                            });
                        }
                        Some(b'\\') => {
                            if bytes.get(i + 1) == Some(&b'\n') {
                                line += 1;
                            }
                            i += 2;
                        }
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                tokens.push(Token {
                    kind: Kind::Literal,
                    text: &src[start..i],
                    line: start_line,
                });
            }
            // A template starts, or a `${...}` substitution ends and its template continues.
            c @ (b'`' | b'}') if c == b'`' || template_stack.last() == Some(&depth) => {
                if c == b'}' {
                    template_stack.pop();
                }
                let start_line = line;
                i += 1;
                i = scan_template(bytes, i, &mut line, start_line)?;
                if bytes.get(i.wrapping_sub(2)..i) == Some(b"${") {
                    template_stack.push(depth);
                } else {
                    tokens.push(Token {
                        kind: Kind::Literal,
                        text: "`",
                        line: start_line,
                    });
                }
            }
            b'/' if regex_allowed(tokens.last()) => {
                let start = i;
                let start_line = line;
                i += 1;
                let mut in_class = false;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(ScanError {
                                message: format!(
                                    "unterminated regular expression (line {start_line})"
                                ),
                            });
                        }
                        Some(b'\\') => i += 2,
                        Some(b'[') => {
                            in_class = true;
                            i += 1;
                        }
                        Some(b']') => {
                            in_class = false;
                            i += 1;
                        }
                        Some(b'/') if !in_class => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                while i < bytes.len() && is_ident_byte(bytes[i]) {
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Literal,
                    text: &src[start..i.min(src.len())],
                    line: start_line,
                });
            }
            _ if c.is_ascii_digit() => {
                let start = i;
                while i < bytes.len() && (is_ident_byte(bytes[i]) || bytes[i] == b'.') {
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Literal,
                    text: &src[start..i],
                    line,
                });
            }
            _ if is_ident_byte(c) || c >= 0x80 => {
                let start = i;
                while i < bytes.len() && (is_ident_byte(bytes[i]) || bytes[i] >= 0x80) {
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Word,
                    text: &src[start..i],
                    line,
                });
            }
            _ => {
                let start = i;
                // `...` and `=>` matter to nobody here, but `.` must stay its own token.
                if bytes[i..].starts_with(b"...") {
                    i += 3;
                } else {
                    match c {
                        b'{' => depth += 1,
                        b'}' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Punct,
                    text: &src[start..i],
                    line,
                });
            }
        }
    }
    if !template_stack.is_empty() {
        return Err(ScanError {
            message: "unterminated template literal".to_owned(),
        });
    }
    Ok(tokens)
}

/// Scans template text from `i` up to and including the closing backtick or a `${`.
fn scan_template(
    bytes: &[u8],
    mut i: usize,
    line: &mut usize,
    start_line: usize,
) -> Result<usize, ScanError> {
    loop {
        match bytes.get(i) {
            None => {
                return Err(ScanError {
                    message: format!("unterminated template literal (line {start_line})"),
                });
            }
            Some(b'\\') => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    *line += 1;
                }
                i += 2;
            }
            Some(b'`') => return Ok(i + 1),
            Some(b'$') if bytes.get(i + 1) == Some(&b'{') => return Ok(i + 2),
            Some(b'\n') => {
                *line += 1;
                i += 1;
            }
            Some(_) => i += 1,
        }
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

fn regex_allowed(prev: Option<&Token<'_>>) -> bool {
    match prev {
        None => true,
        Some(t) => match t.kind {
            Kind::Literal => false,
            Kind::Word => REGEX_AFTER_WORDS.contains(&t.text),
            Kind::Punct => !matches!(t.text, ")" | "]" | "}"),
        },
    }
}

/// True when `tokens[i]` is used as a keyword: not a property name after `.` or before `:`.
fn used_as_keyword(tokens: &[Token<'_>], i: usize) -> bool {
    let after_dot = i > 0 && tokens[i - 1].text == ".";
    let before_colon = tokens.get(i + 1).is_some_and(|t| t.text == ":");
    !after_dot && !before_colon
}

/// True when the source has `import`/`export` declarations, so it must be compiled as an ES module.
pub fn is_module(src: &str) -> bool {
    let Ok(tokens) = tokenize(src) else {
        return false;
    };
    tokens.iter().enumerate().any(|(i, t)| {
        t.kind == Kind::Word
            && used_as_keyword(&tokens, i)
            && match t.text {
                // `import(` and `import.meta` are expressions, not declarations.
                "import" => tokens
                    .get(i + 1)
                    .is_some_and(|n| n.text != "(" && n.text != "."),
                "export" => true,
                _ => false,
            }
    })
}

/// Checks a `cloudfront-js-1.0` source for syntax the service rejects (see the module doc).
pub fn check_v1(src: &str) -> Result<(), ScanError> {
    // A source the scanner cannot follow (e.g. a regex it took for a division) is left to the
    // engine, which reports real syntax errors itself; the scan must never reject valid code.
    let Ok(tokens) = tokenize(src) else {
        return Ok(());
    };
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != Kind::Word || !used_as_keyword(&tokens, i) {
            continue;
        }
        if FORBIDDEN_IN_V1.contains(&t.text) {
            return Err(ScanError {
                message: format!(
                    "Token \"{}\" not supported in this version (line {}); cloudfront-js-1.0 is ES5.1 with a few extras, use cloudfront-js-2.0",
                    t.text, t.line
                ),
            });
        }
        if t.text == "function" && tokens.get(i + 1).is_some_and(|n| n.text == "*") {
            return Err(ScanError {
                message: format!(
                    "Token \"*\" not supported in this version (line {}); generators need cloudfront-js-2.0",
                    t.line
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_rejects_let_and_const_with_their_line() {
        let err =
            check_v1("function handler(e) {\n  let x = 1;\n  return e.request;\n}").unwrap_err();
        assert!(err.message.contains("\"let\""), "{}", err.message);
        assert!(err.message.contains("line 2"), "{}", err.message);
        assert!(check_v1("const a = 1;").is_err());
        assert!(check_v1("class A {}").is_err());
        assert!(check_v1("async function handler(e) {}").is_err());
        assert!(check_v1("function* g() {}").is_err());
    }

    #[test]
    fn v1_ignores_keywords_inside_strings_comments_templates_and_regexes() {
        let src = r#"
            // let me explain: const is fine in a comment
            /* class async */
            var s = "let const class";
            var t = 'import export';
            var u = `const ${ 'let' } class`;
            var r = /let|const/g;
            var o = { const: 1, let: 2 };
            var p = o.const + o.let;
            var q = 10 / 2 / 5;
            function handler(event) { return event.request; }
        "#;
        assert_eq!(check_v1(src), Ok(()));
    }

    #[test]
    fn v1_scans_code_inside_template_substitutions() {
        let err = check_v1("var s = `a${ (function(){ let x = 1; return x; })() }b`;").unwrap_err();
        assert!(err.message.contains("\"let\""));
    }

    #[test]
    fn v1_accepts_documented_extras() {
        let src = "var f = (a, ...rest) => a ** 2; var s = `x${f(2)}y`; function handler(e) { return e.request; }";
        assert_eq!(check_v1(src), Ok(()));
    }

    #[test]
    fn module_detection_sees_import_and_export_but_not_dynamic_import_or_strings() {
        assert!(is_module(
            "import cf from 'cloudfront';\nfunction handler(e) {}"
        ));
        assert!(is_module("export function handler(e) {}"));
        assert!(!is_module("function handler(e) { return e.request; }"));
        assert!(!is_module("var s = 'import cf from \"cloudfront\"';"));
        assert!(!is_module("var x = obj.import; var y = { export: 1 };"));
    }

    #[test]
    fn unterminated_literals_are_left_to_the_engine() {
        assert!(tokenize("var s = 'abc").is_err());
        assert!(tokenize("var s = `abc").is_err());
        assert!(tokenize("/* open").is_err());
        assert_eq!(check_v1("var s = 'abc"), Ok(()));
    }

    #[test]
    fn a_regex_after_a_paren_with_a_quote_does_not_block_valid_code() {
        assert_eq!(check_v1("if (x) /'/.test(s);"), Ok(()));
    }

    #[test]
    fn division_after_closing_paren_is_not_a_regex() {
        assert_eq!(check_v1("var a = (4) / 2; var b = a / 2 / 1;"), Ok(()));
    }
}
