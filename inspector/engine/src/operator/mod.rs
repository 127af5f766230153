//! Operators (`@rx`, `@pm`, ...): compiled once at load, then evaluated against transformed
//! values. One file per operator (or per small family), registered by name.
//!
//! Contract used by the rule compiler and the transaction:
//! - [`compile`] turns `(name, parameter)` into an [`Operator`], or an error message that the
//!   compiler reports with file:line (unknown operator, bad regex, missing data file).
//! - Parameters containing macros (`%{tx.inbound_anomaly_score_threshold}`) are expanded at
//!   evaluation time through [`OpContext::expand`]; static parameters are compiled once.
//! - Negation (`!@rx`) is applied by the caller, not by the operator.

use std::fmt;
use std::path::Path;

/// A compiled operator.
pub trait Operator: Send + Sync + fmt::Debug {
    /// Whether `input` matches. Operators that capture (`@rx`, `@pm`...) store capture groups
    /// in `ctx.captures` when it is `Some` (ModSecurity's `capture` action: the whole match as
    /// group 0, then groups 1..=9).
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool;
}

/// What an operator may use while evaluating.
pub struct OpContext<'a> {
    /// Expands `%{collection.key}` macros in a parameter string.
    pub expand: &'a dyn Fn(&str) -> String,
    /// Where to store captures, when the rule has the `capture` action.
    pub captures: Option<&'a mut Vec<Vec<u8>>>,
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

impl fmt::Debug for LoadContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadContext").field("rule_dir", &self.rule_dir).finish_non_exhaustive()
    }
}

/// Compiles operator `name` (without `@`, e.g. `"rx"`) with its parameter.
pub fn compile(name: &str, param: &str, ctx: &LoadContext<'_>) -> Result<Box<dyn Operator>, String> {
    let _ = (param, ctx);
    Err(format!("unknown operator @{name}"))
}
