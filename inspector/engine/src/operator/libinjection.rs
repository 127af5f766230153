//! `@detectSQLi` and `@detectXSS`, backed by libinjection behind the small [`Detector`]
//! trait so that tests and fuzzers can swap the implementation.
//!
//! As in libmodsecurity, `@detectSQLi` stores the libinjection fingerprint (e.g. `s&sos`)
//! as capture group 0; `@detectXSS` captures nothing.

use std::fmt;

use super::{OpContext, Operator};

/// An injection detector.
pub trait Detector: Send + Sync + fmt::Debug {
    /// `Some(fingerprint)` when `input` is SQL injection.
    fn sqli(&self, input: &[u8]) -> Option<String>;
    /// Whether `input` is cross-site scripting.
    fn xss(&self, input: &[u8]) -> bool;
}

/// The pure-Rust libinjection port (`libinjectionrs`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LibInjection;

impl Detector for LibInjection {
    fn sqli(&self, input: &[u8]) -> Option<String> {
        // `libinjectionrs::detect_sqli` tokenizes and folds the input once more after
        // detecting, for its result's fingerprint; the state already holds the one that
        // matched (as in C's `libinjection_sqli`), so that second pass is skipped.
        let mut state = libinjectionrs::SqliState::new(input, libinjectionrs::SqliFlags::FLAG_NONE);
        if !state.detect() {
            return None;
        }
        Some(libinjectionrs::Fingerprint::new(state.fingerprint).as_str().to_owned())
    }

    fn xss(&self, input: &[u8]) -> bool {
        libinjectionrs::detect_xss(input).is_injection() || any_event_handler(input)
    }
}

/// ModSecurity 3.0.9 bundles libinjection 3.9, which treats every attribute of five or more
/// characters starting with `on` as dangerous (`onpointerrawupdate=...`); `libinjectionrs`
/// follows the later event-name list. This adds the older rule back: an `on*` attribute
/// with a value (or named by an `attributeName` value) in any of libinjection's contexts.
/// Both need a token starting with `on`, so input without `on` anywhere (most benign values)
/// skips the five tokenizer passes.
fn any_event_handler(input: &[u8]) -> bool {
    use libinjectionrs::xss::{Html5Flags as F, Html5State, TokenType};
    if !input.windows(2).any(|w| w.eq_ignore_ascii_case(b"on")) {
        return false;
    }
    let handler = |name: &[u8]| name.len() >= 5 && name[..2].eq_ignore_ascii_case(b"on");
    [F::DataState, F::ValueNoQuote, F::ValueSingleQuote, F::ValueDoubleQuote, F::ValueBackQuote].into_iter().any(
        |flags| {
            let mut html = Html5State::new(input, flags);
            let (mut handler_named, mut indirect) = (false, false);
            while html.next() {
                let token = &html.token_start[..html.token_len];
                match html.token_type {
                    TokenType::AttrName => {
                        handler_named = handler(token);
                        indirect = token.eq_ignore_ascii_case(b"attributename");
                    }
                    TokenType::AttrValue if handler_named || (indirect && handler(token)) => return true,
                    _ => (handler_named, indirect) = (false, false),
                }
            }
            false
        },
    )
}

/// `@detectSQLi`.
#[derive(Debug)]
pub(crate) struct DetectSqli {
    detector: Box<dyn Detector>,
}

impl DetectSqli {
    pub(crate) fn new(detector: Box<dyn Detector>) -> Self {
        Self { detector }
    }
}

impl Operator for DetectSqli {
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
        match self.detector.sqli(input) {
            Some(fingerprint) => {
                ctx.capture([fingerprint.into_bytes()]);
                true
            }
            None => false,
        }
    }
}

/// `@detectXSS`.
#[derive(Debug)]
pub(crate) struct DetectXss {
    detector: Box<dyn Detector>,
}

impl DetectXss {
    pub(crate) fn new(detector: Box<dyn Detector>) -> Self {
        Self { detector }
    }
}

impl Operator for DetectXss {
    fn evaluate(&self, input: &[u8], _ctx: &mut OpContext<'_>) -> bool {
        self.detector.xss(input)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Detector, LibInjection};

    /// What `libinjectionrs::detect_sqli` reports: the verdict and, for SQLi, its fingerprint.
    fn reference(input: &[u8]) -> Option<String> {
        let result = libinjectionrs::detect_sqli(input);
        result.is_injection().then(|| result.fingerprint.map(|f| f.as_str().to_owned()).unwrap_or_default())
    }

    #[test]
    fn sqli_fingerprints_are_the_reference_s() {
        let inputs: [&[u8]; 10] = [
            b"1' or '1'='1",
            b"1 union select password from users",
            b"\" or 1=1 --",
            b"admin'--",
            b"1; drop table t",
            b"' or sleep(5)#",
            b"1) or (1=1",
            b"red shoes",
            b"some ordinary text 0",
            b"",
        ];
        for input in inputs {
            assert_eq!(LibInjection.sqli(input), reference(input), "{:?}", String::from_utf8_lossy(input));
        }
        assert_eq!(LibInjection.sqli(b"1' or '1'='1").as_deref(), Some("s&sos"));
    }

    /// SQL-ish fragments, so that generated inputs are often SQLi and often not.
    const FRAGMENTS: [&str; 20] = [
        "'", "\"", "`", "1", "a", " ", "or", "and", "select", "union", "from", "--", "#", "/*", "*/", "(", ")", "=",
        ",", "sleep",
    ];

    proptest! {
        #[test]
        fn sqli_agrees_with_the_reference_on_sql_like_text(
            fragments in proptest::collection::vec(prop::sample::select(&FRAGMENTS[..]), 0..16)
        ) {
            let input = fragments.concat();
            prop_assert_eq!(LibInjection.sqli(input.as_bytes()), reference(input.as_bytes()));
        }
    }
}
