//! `@rx`: PCRE-compatible regular expressions, served by the fastest engine that accepts
//! the pattern.
//!
//! Tiers, tried in order after [`translate_pcre`](super::translate_pcre):
//! 1. [`Tier::Regex`]: `regex::bytes::Regex` with Unicode off (bytes, ASCII classes and
//!    case folding, as PCRE in non-UTF mode). Linear time.
//! 2. [`Tier::Fancy`]: fancy-regex, only for what the `regex` crate rejects (look-around,
//!    back-references, atomic groups, possessive quantifiers), with a backtrack limit.
//!    fancy-regex matches `&str`, so the input is decoded as Latin-1: byte `b` becomes
//!    `char::from(b)`. The mapping is one-to-one, so `.` is still one byte, `\xHH` in the
//!    (translated) pattern still matches byte `HH`, and captures map back exactly. The only
//!    effect is that bytes 0x80..=0xFF are Latin-1 letters to `\b` and `(?i)` (PCRE treats
//!    them as non-word bytes without case). Hitting the backtrack limit counts as no match,
//!    as ModSecurity treats PCRE's match-limit error.
//!
//! Parameters with macros compile at evaluation ([`Tier::Dynamic`]), keeping the last
//! expansion's engine; a pattern that fails to compile then does not match. Flags are those of libmodsecurity v3 (`Regex` in
//! `src/utils/regex.cc`): DOTALL and MULTILINE, i.e. `(?sm)`; an empty pattern matches.
//! Captures follow ModSecurity: group 0 is the whole match, then groups 1..=9; a group
//! that did not participate is stored as an empty value (ModSecurity leaves TX:n as is).

use std::sync::{Arc, Mutex};

use super::param::Param;
use super::rx_prefilter;
use super::rx_translate::translate;
use super::{OpContext, Operator, Prefilter};

/// Backtracking steps fancy-regex may take per match attempt (PCRE's default match limit
/// is 10,000,000; ModSecurity's SecPcreMatchLimit default is 1,000).
pub const FANCY_BACKTRACK_LIMIT: usize = 100_000;

/// Which engine serves a compiled `@rx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// The `regex` crate (linear time).
    Regex,
    /// fancy-regex with a backtrack limit.
    Fancy,
    /// The pattern has macros: compiled at each evaluation.
    Dynamic,
}

/// The last pattern a dynamic `@rx` expanded to, with its engine (macros usually expand to
/// the same value request after request).
type LastCompiled = Mutex<Option<(String, Arc<Result<Engine, String>>)>>;

#[derive(Debug)]
enum Engine {
    Regex(regex::bytes::Regex),
    Fancy(Box<fancy_regex::Regex>),
    Dynamic(Param, LastCompiled),
    Always,
}

/// A compiled `@rx` operator.
#[derive(Debug)]
pub struct Rx {
    engine: Engine,
    prefilter: Option<Prefilter>,
}

impl Rx {
    /// Compiles `pattern` (the SecLang parameter, PCRE syntax).
    pub fn new(pattern: &str) -> Result<Self, String> {
        let param = Param::new(pattern);
        if param.is_dynamic() {
            return Ok(Self { engine: Engine::Dynamic(param, Mutex::new(None)), prefilter: None });
        }
        if pattern.is_empty() {
            return Ok(Self { engine: Engine::Always, prefilter: None });
        }
        let (body, possessive) = translate(pattern);
        let translated = format!("(?sm){body}");
        let engine = build(&translated, possessive).map_err(|e| format!("@rx {pattern:?}: {e}"))?;
        let prefilter = match engine {
            Engine::Regex(_) => rx_prefilter::required_literals(&translated),
            _ => None,
        };
        Ok(Self { engine, prefilter })
    }

    /// The engine serving this pattern.
    pub fn engine_tier(&self) -> Tier {
        match self.engine {
            Engine::Regex(_) | Engine::Always => Tier::Regex,
            Engine::Fancy(_) => Tier::Fancy,
            Engine::Dynamic(..) => Tier::Dynamic,
        }
    }

    /// Whether the pattern matches `input`, ignoring captures.
    pub fn is_match(&self, input: &[u8]) -> bool {
        let mut ctx = OpContext { expand: &|s: &str| s.to_owned(), captures: None };
        self.evaluate(input, &mut ctx)
    }
}

fn build(translated: &str, possessive: bool) -> Result<Engine, String> {
    let fast = regex::bytes::RegexBuilder::new(translated).unicode(false).size_limit(64 << 20).build();
    match fast {
        Ok(re) if !possessive => Ok(Engine::Regex(re)),
        Ok(_) => fancy(translated).map_err(|e| format!("fancy-regex: {e}")),
        Err(fast_err) if !needs_backtracking(translated) => Err(format!("regex: {fast_err}")),
        Err(fast_err) => fancy(translated).map_err(|e| format!("regex: {fast_err}; fancy-regex: {e}")),
    }
}

fn fancy(translated: &str) -> Result<Engine, fancy_regex::Error> {
    fancy_regex::RegexBuilder::new(translated)
        .backtrack_limit(FANCY_BACKTRACK_LIMIT)
        .build()
        .map(|re| Engine::Fancy(Box::new(re)))
}

/// Whether the `regex` crate rejects `translated` only for a backtracking feature
/// (look-around, back-reference, atomic group, possessive quantifier, `\K`/`\G`), rather
/// than for an error PCRE would report too.
fn needs_backtracking(translated: &str) -> bool {
    use regex_syntax::ast::ErrorKind as K;
    match regex_syntax::ast::parse::Parser::new().parse(translated) {
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            K::UnsupportedLookAround
                | K::UnsupportedBackreference
                | K::FlagUnrecognized
                | K::RepetitionMissing
                | K::EscapeUnrecognized
        ),
    }
}

fn latin1(input: &[u8]) -> String {
    input.iter().map(|&b| char::from(b)).collect()
}

fn from_latin1(s: &str) -> Vec<u8> {
    // Every char comes from `latin1`, so it fits in a byte.
    s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

fn run(engine: &Engine, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
    let capturing = ctx.captures.is_some();
    match engine {
        Engine::Always => true,
        Engine::Regex(re) if !capturing => re.is_match(input),
        // Most values do not match: the DFA says so without building captures.
        Engine::Regex(re) if !re.is_match(input) => false,
        // Without groups, the whole match is the only capture: no capture engine needed.
        Engine::Regex(re) if re.captures_len() == 1 => match re.find(input) {
            Some(m) => {
                ctx.capture([m.as_bytes().to_vec()]);
                true
            }
            None => false,
        },
        Engine::Regex(re) => match re.captures(input) {
            Some(caps) => {
                let groups = last_set(caps.iter().map(|m| m.map(|m| m.as_bytes().to_vec())));
                ctx.capture(groups);
                true
            }
            None => false,
        },
        // Without `capture`, only whether it matches: no capture slots to fill.
        Engine::Fancy(re) if !capturing => re.is_match(&latin1(input)).unwrap_or(false),
        Engine::Fancy(re) => {
            let text = latin1(input);
            match re.captures(&text) {
                Ok(Some(caps)) => {
                    ctx.capture(last_set(caps.iter().map(|m| m.map(|m| from_latin1(m.as_str())))));
                    true
                }
                Ok(None) | Err(_) => false,
            }
        }
        Engine::Dynamic(param, last) => {
            let pattern = param.value(ctx).into_owned();
            if pattern.is_empty() {
                return true;
            }
            let cached =
                last.lock().ok().and_then(|l| l.as_ref().filter(|(p, _)| *p == pattern).map(|(_, e)| e.clone()));
            let engine = cached.unwrap_or_else(|| {
                let (body, possessive) = translate(&pattern);
                let engine = Arc::new(build(&format!("(?sm){body}"), possessive));
                if let Ok(mut l) = last.lock() {
                    *l = Some((pattern, engine.clone()));
                }
                engine
            });
            match engine.as_ref() {
                Ok(engine) => run(engine, input, ctx),
                Err(_) => false,
            }
        }
    }
}

/// Groups up to the last one that participated (PCRE's return count); earlier unset groups
/// become empty values.
fn last_set(groups: impl Iterator<Item = Option<Vec<u8>>>) -> Vec<Vec<u8>> {
    let groups: Vec<Option<Vec<u8>>> = groups.take(10).collect();
    let end = groups.iter().rposition(Option::is_some).map_or(0, |p| p + 1);
    groups.into_iter().take(end).map(Option::unwrap_or_default).collect()
}

impl Operator for Rx {
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
        run(&self.engine, input, ctx)
    }

    fn prefilter(&self) -> Option<Prefilter> {
        self.prefilter.clone()
    }

    fn tier(&self) -> Option<Tier> {
        Some(self.engine_tier())
    }
}
