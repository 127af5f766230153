//! PCRE → Rust regex syntax, for the harmless differences CRS patterns rely on.
//!
//! ModSecurity compiles `@rx` with PCRE in byte (non-UTF) mode. The output of
//! [`translate_pcre`] means the same to the `regex` crate (bytes API, Unicode off) and to
//! fancy-regex (run on Latin-1-decoded input, see `rx.rs`):
//! - `\d \w \s` and their negations become ASCII POSIX classes (`[[:digit:]]`...), as in PCRE
//!   without UCP; `\h \v \R` become explicit byte sets;
//! - escaped punctuation (`\/`, `\"`, `\<`) becomes the plain or Rust-escaped character
//!   (`\<` would be a word boundary in Rust);
//! - inside a class, an unescaped `[` and a literal `-`, `&`, `~` are escaped (Rust reads
//!   `[`, `--`, `&&`, `~~` as nested classes and set operations), `\b` is a backspace;
//! - a `{` that does not start a `{n}`/`{n,}`/`{n,m}` quantifier is a literal;
//! - non-ASCII pattern characters become their UTF-8 bytes (`\xHH`), as PCRE sees them;
//! - `\0`, `\e`, `\a`, `\cX`, one-digit `\xH` become `\xHH`; `\Z` becomes `(?:\n?\z)`;
//!   `(?#...)` comments are dropped.
//!
//! Look-around, back-references, atomic groups and possessive quantifiers are kept: the
//! `regex` crate rejects them and the operator falls back to fancy-regex.

use super::rx_class::{class, common_escape, push_bytes};

/// Translates a PCRE pattern into the syntax described in the module docs.
pub fn translate_pcre(pat: &str) -> String {
    translate(pat).0
}

/// The translation, and whether it has a possessive quantifier (which the `regex` crate
/// would silently read as a nested greedy repetition, so it must go to fancy-regex).
pub(crate) fn translate(pat: &str) -> (String, bool) {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = String::with_capacity(pat.len() + 16);
    let mut i = 0;
    let mut possessive = false;
    // Whether the previous token is a quantifier (a following `+` makes it possessive).
    let mut after_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        let quantified = std::mem::take(&mut after_quantifier);
        i += 1;
        match c {
            '+' if quantified => {
                possessive = true;
                out.push('+');
            }
            '?' if quantified => out.push('?'),
            '*' | '+' => {
                out.push(c);
                after_quantifier = true;
            }
            '?' if i >= 2 && chars[i - 2] == '(' && !escaped_at(&chars, i - 2) => out.push('?'),
            '?' => {
                out.push('?');
                after_quantifier = true;
            }
            '\\' => i = escape_outside(&chars, i, &mut out),
            '[' => i = class(&chars, i, &mut out),
            '(' if chars.get(i) == Some(&'?') && chars.get(i + 1) == Some(&'#') => {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                i += 1;
            }
            '{' => match quantifier_len(&chars[i..]) {
                Some(n) => {
                    out.push('{');
                    out.extend(&chars[i..i + n]);
                    i += n;
                    after_quantifier = true;
                }
                None => out.push_str("\\{"),
            },
            '}' => out.push_str("\\}"),
            c if !c.is_ascii() => push_bytes(c, &mut out),
            c => out.push(c),
        }
    }
    (out, possessive)
}

/// Whether the character at `pos` is escaped by an odd number of backslashes.
fn escaped_at(chars: &[char], pos: usize) -> bool {
    chars[..pos].iter().rev().take_while(|&&c| c == '\\').count() % 2 == 1
}

/// Length of `n}`, `n,}` or `n,m}` at the start of `rest` (after a `{`), if it is one.
fn quantifier_len(rest: &[char]) -> Option<usize> {
    let digits = |from: usize| rest[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let first = digits(0);
    if first == 0 {
        return None;
    }
    match rest.get(first) {
        Some('}') => Some(first + 1),
        Some(',') => {
            let second = digits(first + 1);
            (rest.get(first + 1 + second) == Some(&'}')).then_some(first + second + 2)
        }
        _ => None,
    }
}

/// After a `\` outside a class; returns the index after the escape.
fn escape_outside(chars: &[char], i: usize, out: &mut String) -> usize {
    if let Some(next) = common_escape(chars, i, false, out) {
        return next;
    }
    match chars.get(i) {
        None => {
            out.push_str("\\\\");
            i
        }
        Some('Z') => {
            out.push_str("(?:\\n?\\z)");
            i + 1
        }
        Some('R') => {
            out.push_str("(?:\\r\\n|[\\n\\x0B\\x0C\\r\\x85])");
            i + 1
        }
        Some(&c) => {
            out.push('\\');
            out.push(c);
            i + 1
        }
    }
}
