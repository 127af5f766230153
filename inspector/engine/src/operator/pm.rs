//! `@pm` and `@pmFromFile`/`@pmf`: phrase matching with Aho-Corasick, ASCII
//! case-insensitive (libmodsecurity builds its ACMP tree with `tolower`).
//!
//! - `@pm`: the parameter is unquoted (`"..."` around it is dropped), `|41 42|` hex
//!   sections and the escapes `\:`, `\;`, `\\`, `\"` are decoded, then it is split on
//!   whitespace: each word is a phrase.
//! - `@pmFromFile`: whitespace-separated file names, relative to the rule's directory; each
//!   line is a phrase, except empty lines and lines whose first non-blank character is `#`.
//!   Other lines are kept verbatim, trailing blanks and `\r` included (as libmodsecurity).
//!
//! On a match, the capture group 0 is the phrase that matched as written (ModSecurity's
//! TX:0 for `@pm`), and the operator stops at the first (earliest-ending) match.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{LoadContext, OpContext, Operator, Prefilter};

/// A compiled phrase matcher.
#[derive(Debug)]
pub(crate) struct Pm {
    phrases: Vec<Vec<u8>>,
    automaton: AhoCorasick,
}

impl Pm {
    /// `@pm` with its inline phrase list.
    pub(crate) fn from_param(param: &str) -> Result<Self, String> {
        let content = decode_content(param).map_err(|e| format!("@pm: {e}"))?;
        let phrases = content
            .split(|b| b.is_ascii_whitespace() || *b == 0x0B)
            .filter(|w| !w.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        Self::new(phrases)
    }

    /// `@pmFromFile`/`@pmf` with one or more data files.
    pub(crate) fn from_files(param: &str, ctx: &LoadContext<'_>) -> Result<Self, String> {
        let mut phrases = Vec::new();
        let mut any = false;
        for name in param.split_ascii_whitespace() {
            any = true;
            let text = ctx.read_data(name)?;
            phrases.extend(data_lines(&text).map(|l| l.as_bytes().to_vec()));
        }
        if !any {
            return Err("@pmFromFile: no file given".to_owned());
        }
        Self::new(phrases)
    }

    fn new(phrases: Vec<Vec<u8>>) -> Result<Self, String> {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .map_err(|e| format!("@pm: {e}"))?;
        Ok(Self { phrases, automaton })
    }
}

/// Lines of a data file that are phrases (see the module docs).
pub(crate) fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter(|line| {
        let is_comment = match line.find('#') {
            Some(pos) => line[..pos].bytes().all(|b| b.is_ascii_whitespace() || b == 0x0B),
            None => false,
        };
        !line.is_empty() && !is_comment
    })
}

/// libmodsecurity's `parse_pm_content`: quotes, `|hex|` sections and escapes.
fn decode_content(param: &str) -> Result<Vec<u8>, String> {
    let trimmed = param.trim_start_matches([' ', '\t']);
    let inner = match trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner,
        None => trimmed,
    };
    let mut out = Vec::with_capacity(inner.len());
    let (mut hex, mut escaped) = (false, false);
    let mut nibble: Option<u8> = None;
    for &b in inner.as_bytes() {
        if escaped {
            if !matches!(b, b':' | b';' | b'\\' | b'"') {
                return Err(format!("unsupported escape sequence \\{}", char::from(b)));
            }
            out.push(b);
            escaped = false;
        } else if b == b'|' {
            hex = !hex;
            nibble = None;
        } else if b == b'\\' && !hex {
            escaped = true;
        } else if hex {
            let Some(v) = char::from(b).to_digit(16) else { continue };
            let v = v as u8;
            match nibble.take() {
                Some(high) => out.push(high << 4 | v),
                None => nibble = Some(v),
            }
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

impl Operator for Pm {
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
        match self.automaton.find(input) {
            Some(m) => {
                if let Some(phrase) = self.phrases.get(m.pattern().as_usize()) {
                    ctx.capture([phrase.clone()]);
                }
                true
            }
            None => false,
        }
    }

    fn prefilter(&self) -> Option<Prefilter> {
        if self.phrases.iter().any(Vec::is_empty) {
            return None;
        }
        Some(Prefilter {
            literals: self.phrases.iter().map(|p| p.to_ascii_lowercase()).collect(),
            case_insensitive: true,
        })
    }
}
