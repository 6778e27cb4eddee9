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

/// One significant token: its text, 1-based line and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    line: usize,
    start: usize,
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
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub column: usize,
}

/// The scanner's state while it walks the source once.
struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: usize,
    tokens: Vec<Token<'a>>,
    /// Brace depth per open template substitution, so `}` knows when it closes `${`.
    template_stack: Vec<usize>,
    depth: usize,
}

fn tokenize(src: &str) -> Result<Vec<Token<'_>>, ScanError> {
    let mut s = Scanner {
        src,
        bytes: src.as_bytes(),
        i: 0,
        line: 1,
        tokens: Vec::new(),
        template_stack: Vec::new(),
        depth: 0,
    };
    while s.i < s.bytes.len() {
        let c = s.bytes[s.i];
        let next = s.bytes.get(s.i + 1).copied();
        match c {
            b'\n' => {
                s.line += 1;
                s.i += 1;
            }
            b' ' | b'\t' | b'\r' => s.i += 1,
            b'/' if next == Some(b'/') => s.line_comment(),
            b'/' if next == Some(b'*') => s.block_comment()?,
            b'\'' | b'"' => s.string(c)?,
            // A template starts, or a `${...}` substitution ends and its template continues.
            b'`' => s.template(false)?,
            b'}' if s.template_stack.last() == Some(&s.depth) => s.template(true)?,
            b'/' if regex_allowed(s.tokens.last()) => s.regex()?,
            _ if c.is_ascii_digit() => s.number(),
            _ if is_ident_byte(c) || c >= 0x80 => s.word(),
            _ => s.punct(c),
        }
    }
    if !s.template_stack.is_empty() {
        return Err(s.error("unterminated template literal", s.bytes.len()));
    }
    Ok(s.tokens)
}

impl<'a> Scanner<'a> {
    fn error(&self, what: &str, at: usize) -> ScanError {
        let (line, column) = position(self.src, at);
        ScanError {
            message: format!("{what} (line {line})"),
            line,
            column,
        }
    }

    fn push(&mut self, kind: Kind, start: usize, line: usize) {
        let text = &self.src[start..self.i.min(self.src.len())];
        self.tokens.push(Token {
            kind,
            text,
            line,
            start,
        });
    }

    fn line_comment(&mut self) {
        while self.i < self.bytes.len() && self.bytes[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn block_comment(&mut self) -> Result<(), ScanError> {
        let start = self.i;
        self.i += 2;
        loop {
            if self.i + 1 >= self.bytes.len() {
                return Err(self.error("unterminated comment", start));
            }
            if self.bytes[self.i] == b'*' && self.bytes[self.i + 1] == b'/' {
                self.i += 2;
                return Ok(());
            }
            if self.bytes[self.i] == b'\n' {
                self.line += 1;
            }
            self.i += 1;
        }
    }

    fn string(&mut self, quote: u8) -> Result<(), ScanError> {
        let (start, line) = (self.i, self.line);
        self.i += 1;
        loop {
            match self.bytes.get(self.i) {
                None | Some(b'\n') => {
                    return Err(self.error("unterminated string literal", start));
                }
                Some(b'\\') => {
                    if self.bytes.get(self.i + 1) == Some(&b'\n') {
                        self.line += 1;
                    }
                    self.i += 2;
                }
                Some(&q) if q == quote => {
                    self.i += 1;
                    break;
                }
                Some(_) => self.i += 1,
            }
        }
        self.push(Kind::Literal, start, line);
        Ok(())
    }

    /// Template text after a backtick, or after the `}` closing a substitution (`resumed`).
    fn template(&mut self, resumed: bool) -> Result<(), ScanError> {
        if resumed {
            self.template_stack.pop();
        }
        let (start, line) = (self.i, self.line);
        self.i = scan_template(self.bytes, self.i + 1, &mut self.line)
            .ok_or_else(|| self.error("unterminated template literal", start))?;
        if self.bytes.get(self.i.wrapping_sub(2)..self.i) == Some(b"${") {
            self.template_stack.push(self.depth);
        } else {
            self.tokens.push(Token {
                kind: Kind::Literal,
                text: "`",
                line,
                start,
            });
        }
        Ok(())
    }

    fn regex(&mut self) -> Result<(), ScanError> {
        let (start, line) = (self.i, self.line);
        self.i += 1;
        let mut in_class = false;
        loop {
            match self.bytes.get(self.i) {
                None | Some(b'\n') => {
                    return Err(self.error("unterminated regular expression", start));
                }
                Some(b'\\') => self.i += 2,
                Some(b'[') => {
                    in_class = true;
                    self.i += 1;
                }
                Some(b']') => {
                    in_class = false;
                    self.i += 1;
                }
                Some(b'/') if !in_class => {
                    self.i += 1;
                    break;
                }
                Some(_) => self.i += 1,
            }
        }
        while self.i < self.bytes.len() && is_ident_byte(self.bytes[self.i]) {
            self.i += 1;
        }
        self.push(Kind::Literal, start, line);
        Ok(())
    }

    fn number(&mut self) {
        let start = self.i;
        while self.i < self.bytes.len()
            && (is_ident_byte(self.bytes[self.i]) || self.bytes[self.i] == b'.')
        {
            self.i += 1;
        }
        self.push(Kind::Literal, start, self.line);
    }

    fn word(&mut self) {
        let start = self.i;
        while self.i < self.bytes.len()
            && (is_ident_byte(self.bytes[self.i]) || self.bytes[self.i] >= 0x80)
        {
            self.i += 1;
        }
        self.push(Kind::Word, start, self.line);
    }

    fn punct(&mut self, c: u8) {
        let start = self.i;
        // `...` and `=>` matter to nobody here, but `.` must stay its own token.
        if self.bytes[self.i..].starts_with(b"...") {
            self.i += 3;
        } else {
            match c {
                b'{' => self.depth += 1,
                b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            self.i += 1;
        }
        self.push(Kind::Punct, start, self.line);
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn position(src: &str, at: usize) -> (usize, usize) {
    let at = at.min(src.len());
    let before = src.get(..at).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Scans template text from `i` up to and including the closing backtick or a `${`; `None` when
/// the template does not end.
fn scan_template(bytes: &[u8], mut i: usize, line: &mut usize) -> Option<usize> {
    loop {
        match bytes.get(i)? {
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    *line += 1;
                }
                i += 2;
            }
            b'`' => return Some(i + 1),
            b'$' if bytes.get(i + 1) == Some(&b'{') => return Some(i + 2),
            b'\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
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
            return Err(rejected(
                src,
                t,
                "cloudfront-js-1.0 is ES5.1 with a few extras, use cloudfront-js-2.0",
            ));
        }
        if t.text == "function"
            && let Some(star) = tokens.get(i + 1).filter(|n| n.text == "*")
        {
            return Err(rejected(src, star, "generators need cloudfront-js-2.0"));
        }
    }
    Ok(())
}

fn rejected(src: &str, t: &Token<'_>, why: &str) -> ScanError {
    let (line, column) = position(src, t.start);
    ScanError {
        message: format!(
            "Token \"{}\" not supported in this version (line {line}); {why}",
            t.text
        ),
        line,
        column,
    }
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
