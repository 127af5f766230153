//! Rule targets (`ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^sess/`), compiled.

use regex::bytes::{Regex, RegexBuilder};

use crate::seclang::{Collection, Selector, VariableSpec};

/// One target or exclusion.
#[derive(Clone, Debug)]
pub struct Target {
    /// The variable.
    pub collection: Collection,
    /// `&VAR`: the number of values.
    pub count: bool,
    /// Which keys; `None`: all.
    pub select: Option<Select>,
}

/// A key selector.
#[derive(Clone, Debug)]
pub enum Select {
    /// Exact key, lower-cased (keys compare case-insensitively).
    Key(Vec<u8>),
    /// `/^regex/` that is a plain word (`/^header_name_/`): the same prefix test as the regex
    /// (case-insensitive, Unicode) without running one. Lower-cased. (Unanchored words stay
    /// regexes: the regex crate's substring search is faster than a scan by position.)
    Prefix(Vec<u8>),
    /// `/regex/`, matched case-insensitively against the key.
    Regex(Regex),
}

impl Select {
    /// Whether `key` is selected.
    pub fn matches(&self, key: &[u8]) -> bool {
        match self {
            Self::Key(k) => k.eq_ignore_ascii_case(key),
            Self::Prefix(word) => word_at(key, word),
            Self::Regex(re) => re.is_match(key),
        }
    }

    /// A selector regex that is `^` and a plain word: ASCII letters, digits, `_`, `-`, `/`,
    /// and escaped punctuation (`\/`, `\\`; not `\<` or `\>`, word boundaries to the
    /// regex crate).
    fn prefix(re: &str) -> Option<Self> {
        let body = re.strip_prefix('^')?;
        let mut word = Vec::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            let literal = match c {
                '\\' => chars.next().filter(|e| e.is_ascii_punctuation() && !matches!(e, '<' | '>'))?,
                c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/') => c.to_ascii_lowercase(),
                _ => return None,
            };
            word.push(u8::try_from(literal).ok()?);
        }
        (!word.is_empty()).then_some(Self::Prefix(word))
    }
}

/// Whether `key` starts with `word` (lower-case), as a case-insensitive Unicode regex
/// compares: a letter matches either ASCII case, and `k` and `s` also match the KELVIN SIGN
/// and the long s, their other case-folding partners.
fn word_at(key: &[u8], word: &[u8]) -> bool {
    let mut at = 0;
    for &w in word {
        match key.get(at) {
            Some(b) if b.eq_ignore_ascii_case(&w) => at += 1,
            _ => {
                let partner = match w {
                    b'k' => "\u{212A}",
                    b's' => "\u{17F}",
                    _ => return false,
                };
                if !key[at..].starts_with(partner.as_bytes()) {
                    return false;
                }
                at += partner.len();
            }
        }
    }
    true
}

impl Target {
    /// Compiles a parsed variable.
    pub fn compile(spec: &VariableSpec) -> Result<Self, String> {
        let select = match &spec.selector {
            None => None,
            Some(Selector::Key(k)) => Some(Select::Key(k.to_ascii_lowercase().into_bytes())),
            Some(Selector::Regex(re)) => Some(match Select::prefix(re) {
                Some(word) => word,
                None => Select::Regex(
                    RegexBuilder::new(re)
                        .case_insensitive(true)
                        .build()
                        .map_err(|e| format!("invalid selector regex /{re}/: {e}"))?,
                ),
            }),
        };
        Ok(Self { collection: spec.collection, count: spec.count, select })
    }

    /// Whether this exclusion removes the value `key` of `collection`.
    pub fn excludes(&self, collection: Collection, key: &[u8]) -> bool {
        self.collection == collection && self.select.as_ref().is_none_or(|s| s.matches(key))
    }
}

/// Splits parsed variables into targets and exclusions.
pub fn compile(specs: &[VariableSpec]) -> Result<(Vec<Target>, Vec<Target>), String> {
    let mut targets = Vec::new();
    let mut exclusions = Vec::new();
    for spec in specs {
        let target = Target::compile(spec)?;
        if spec.exclude { exclusions.push(target) } else { targets.push(target) }
    }
    Ok((targets, exclusions))
}
