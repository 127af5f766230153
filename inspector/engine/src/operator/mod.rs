//! Operators (`@rx`, `@pm`, ...): compiled once at load, then evaluated against transformed
//! values. One file per operator (or per small family), registered by name.
//!
//! Contract used by the rule compiler and the transaction:
//! - [`compile`] turns `(name, parameter)` into an [`Operator`], or an error message that the
//!   compiler reports with file:line (unknown operator, bad regex, missing data file).
//! - Parameters containing macros (`%{tx.inbound_anomaly_score_threshold}`) are expanded at
//!   evaluation time through [`OpContext::expand`]; static parameters are compiled once.
//! - Negation (`!@rx`) is applied by the caller, not by the operator.
//! - [`Operator::prefilter`] lists literals one of which must occur in any input the
//!   operator can match, so that a later Aho-Corasick pass can skip rules; [`Operator::tier`]
//!   tells which regex engine serves an `@rx` (for load-time reports).

use std::fmt;
use std::path::Path;

mod ip_match;
mod libinjection;
mod misc;
mod numeric;
mod param;
mod pm;
mod rx;
mod rx_class;
mod rx_prefilter;
mod rx_translate;
mod strings;
mod validate;
mod verify;

pub use libinjection::{Detector, LibInjection};
pub use rx::{Rx, Tier};
pub use rx_translate::translate_pcre;

/// A compiled operator.
pub trait Operator: Send + Sync + fmt::Debug {
    /// Whether `input` matches. Operators that capture (`@rx`, `@pm`...) store capture groups
    /// in `ctx.captures` when it is `Some` (ModSecurity's `capture` action: the whole match as
    /// group 0, then groups 1..=9).
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool;

    /// Literals such that every input this operator matches contains at least one of them
    /// (lowercased when [`Prefilter::case_insensitive`]). `None` means "no usable prefilter":
    /// the operator must always be evaluated.
    fn prefilter(&self) -> Option<Prefilter> {
        None
    }

    /// The regex engine behind this operator, for `@rx` (and operators built on a regex).
    fn tier(&self) -> Option<Tier> {
        None
    }
}

/// Required literals of an operator: an input containing none of them cannot match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefilter {
    /// Non-empty literals; at least one occurs in every matching input.
    pub literals: Vec<Vec<u8>>,
    /// Whether the literals are lowercased and must be searched ASCII-case-insensitively.
    pub case_insensitive: bool,
}

impl Prefilter {
    /// Whether `input` contains one of the literals (the slow reference check, for tests).
    pub fn may_match(&self, input: &[u8]) -> bool {
        let hay: Vec<u8> = if self.case_insensitive { input.to_ascii_lowercase() } else { input.to_vec() };
        self.literals.iter().any(|lit| lit.is_empty() || hay.windows(lit.len()).any(|w| w == lit.as_slice()))
    }

    /// Roughly how often some literal starts at a position of benign request text.
    pub fn hit_rate(&self) -> f64 {
        rx_prefilter::hit_rate(&self.literals)
    }
}

/// What an operator may use while evaluating.
pub struct OpContext<'a> {
    /// Expands `%{collection.key}` macros in a parameter string.
    pub expand: &'a dyn Fn(&str) -> String,
    /// Where to store captures, when the rule has the `capture` action.
    pub captures: Option<&'a mut Vec<Vec<u8>>>,
}

impl OpContext<'_> {
    /// Replaces the captures with `groups` (ModSecurity's TX:0..TX:9), if capturing.
    pub(crate) fn capture(&mut self, groups: impl IntoIterator<Item = Vec<u8>>) {
        if let Some(caps) = self.captures.as_deref_mut() {
            caps.clear();
            caps.extend(groups.into_iter().take(10));
        }
    }
}

impl fmt::Debug for OpContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpContext").field("captures", &self.captures).finish_non_exhaustive()
    }
}

/// What compiling an operator may use: data files (`@pmFromFile`, `@ipMatchFromFile`) are
/// read through `read_file`, relative to the directory of the rule file.
pub struct LoadContext<'a> {
    /// Directory of the file containing the rule.
    pub rule_dir: &'a Path,
    /// Reads a file; injected so that tests and fuzzers need no disk.
    pub read_file: &'a dyn Fn(&Path) -> Result<String, String>,
}

impl LoadContext<'_> {
    /// Reads a data file named in a parameter, relative to the rule's directory.
    pub(crate) fn read_data(&self, name: &str) -> Result<String, String> {
        if name.starts_with("https://") || name.starts_with("http://") {
            return Err(format!("data file {name}: not supported (needs network)"));
        }
        let path = self.rule_dir.join(name);
        (self.read_file)(&path).map_err(|e| format!("failed to open data file {}: {e}", path.display()))
    }
}

impl fmt::Debug for LoadContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadContext").field("rule_dir", &self.rule_dir).finish_non_exhaustive()
    }
}

/// Operator names [`compile`] knows (including those that always fail with a reason).
pub const NAMES: &[&str] = &[
    "beginsWith",
    "contains",
    "containsWord",
    "detectSQLi",
    "detectXSS",
    "endsWith",
    "eq",
    "ge",
    "geoLookup",
    "gt",
    "inspectFile",
    "ipMatch",
    "ipMatchF",
    "ipMatchFromFile",
    "le",
    "lt",
    "noMatch",
    "pm",
    "pmf",
    "pmFromFile",
    "rbl",
    "rx",
    "streq",
    "strmatch",
    "unconditionalMatch",
    "validateByteRange",
    "validateUrlEncoding",
    "validateUtf8Encoding",
    "verifyCC",
    "verifyCPF",
    "verifySSN",
    "within",
];

/// Compiles operator `name` (without `@`, e.g. `"rx"`) with its parameter.
pub fn compile(name: &str, param: &str, ctx: &LoadContext<'_>) -> Result<Box<dyn Operator>, String> {
    Ok(match name {
        "rx" => Box::new(Rx::new(param)?),
        "pm" => Box::new(pm::Pm::from_param(param)?),
        "pmf" | "pmFromFile" => Box::new(pm::Pm::from_files(param, ctx)?),
        "streq" | "contains" | "containsWord" | "beginsWith" | "endsWith" | "within" | "strmatch" => {
            Box::new(strings::StrOp::new(name, param))
        }
        "eq" | "ge" | "gt" | "le" | "lt" => Box::new(numeric::Compare::new(name, param)),
        "ipMatch" => Box::new(ip_match::IpMatch::from_list(param)?),
        "ipMatchF" | "ipMatchFromFile" => Box::new(ip_match::IpMatch::from_files(param, ctx)?),
        "validateByteRange" => Box::new(validate::ByteRange::new(param)?),
        "validateUrlEncoding" => Box::new(validate::UrlEncoding),
        "validateUtf8Encoding" => Box::new(validate::Utf8Encoding),
        "detectSQLi" => Box::new(libinjection::DetectSqli::new(Box::new(LibInjection))),
        "detectXSS" => Box::new(libinjection::DetectXss::new(Box::new(LibInjection))),
        "verifyCC" => Box::new(verify::Verify::new(verify::Kind::CreditCard, param)?),
        "verifySSN" => Box::new(verify::Verify::new(verify::Kind::Ssn, param)?),
        "verifyCPF" => Box::new(verify::Verify::new(verify::Kind::Cpf, param)?),
        "unconditionalMatch" => Box::new(misc::Constant(true)),
        "noMatch" => Box::new(misc::Constant(false)),
        // The inspector makes no DNS queries from the request path: a blocklist lookup
        // finds nothing, as ModSecurity's does when its resolver fails. CRS only reaches it
        // when a Project Honey Pot key is configured.
        "rbl" => Box::new(misc::Constant(false)),
        // Without a GeoIP database (`SecGeoLookupDb`, which we do not load) ModSecurity's
        // @geoLookup finds nothing and fails; CRS only reaches it when high-risk country
        // codes are configured.
        "geoLookup" => Box::new(misc::Constant(false)),
        "inspectFile" => return Err("@inspectFile: not supported (runs external programs)".to_owned()),
        _ => return Err(format!("unknown operator @{name}")),
    })
}

/// `@detectSQLi` or `@detectXSS` (by `name`) backed by another [`Detector`] (tests, fuzzing).
pub fn compile_with_detector(name: &str, detector: Box<dyn Detector>) -> Result<Box<dyn Operator>, String> {
    match name {
        "detectSQLi" => Ok(Box::new(libinjection::DetectSqli::new(detector))),
        "detectXSS" => Ok(Box::new(libinjection::DetectXss::new(detector))),
        _ => Err(format!("@{name} does not use a detector")),
    }
}
