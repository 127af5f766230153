//! Tokenization of configuration text into directives (name and arguments), the way
//! ModSecurity and Apache read their configuration:
//!
//! - a line ending with `\` continues on the next line (the `\` and the line break are
//!   removed; the next line's indentation is kept, and action lists are trimmed later);
//! - a line whose first non-blank character is `#` is a comment (a comment ending with `\`
//!   also swallows the next line, as for a commented-out multi-line rule);
//! - arguments are separated by blanks; an argument starting with `"` runs to the next `"`
//!   not escaped by `\`; escapes are kept verbatim (`\"` stays `\"`, as ModSecurity v3
//!   keeps them, so a regex sees `\"`);
//! - a quote inside an unquoted argument is an ordinary character.

use super::error::ErrorKind;

/// One directive as written: its starting line and its words (the name first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDirective {
    /// Line (1-based) where the directive starts.
    pub line: usize,
    /// Directive name followed by its arguments, quotes removed.
    pub words: Vec<String>,
}

/// Splits `text` into directives. Errors carry the directive's starting line.
pub fn lex(text: &str) -> Result<Vec<RawDirective>, (usize, ErrorKind)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut lines = text.split('\n').enumerate();
    while let Some((index, first)) = lines.next() {
        let line = index + 1;
        let mut logical = strip_cr(first).to_string();
        while logical.ends_with('\\') {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(strip_cr(next)),
                None => break,
            }
        }
        let body = logical.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let words = split_words(body).map_err(|message| (line, ErrorKind::Syntax(message)))?;
        out.push(RawDirective { line, words });
    }
    Ok(out)
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// Splits one logical line into words (see the module docs for quoting).
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(char::is_ascii_whitespace).is_some() {}
        let Some(first) = chars.next() else { break };
        let mut word = String::new();
        if first == '"' {
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        word.push(c);
                        if let Some(escaped) = chars.next() {
                            word.push(escaped);
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    _ => word.push(c),
                }
            }
            if !closed {
                return Err("unterminated double-quoted argument".to_string());
            }
        } else {
            word.push(first);
            while let Some(c) = chars.next_if(|c| !c.is_ascii_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
    Ok(words)
}
