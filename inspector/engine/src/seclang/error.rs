//! Parse errors: what is wrong and where (`file:line`).

use std::path::Path;
use std::sync::Arc;

/// A configuration error, displayed as `file:line: message`.
///
/// `line` is the line where the offending directive starts (1-based); it is 0 when the error
/// is not about a line (the root file cannot be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {}", .file.display(), .line, .kind)]
pub struct ParseError {
    /// The file containing the offending directive (as named by the includer, normalized).
    pub file: Arc<Path>,
    /// Line where the offending directive starts.
    pub line: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a directive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Tokenization or argument-shape problem (unterminated quote, missing argument...).
    #[error("{0}")]
    Syntax(String),
    /// A directive name ModSecurity v3 does not know.
    #[error("unknown directive `{0}`")]
    UnknownDirective(String),
    /// A directive ModSecurity knows but this engine refuses (network, Lua).
    #[error("directive `{0}` is not supported by this engine")]
    UnsupportedDirective(String),
    /// A directive argument with a wrong value.
    #[error("{directive}: {message}")]
    BadArgument {
        /// Directive name as written.
        directive: String,
        /// What was expected.
        message: String,
    },
    /// A variable (collection) name ModSecurity v3 does not know.
    #[error("unknown variable `{0}`")]
    UnknownVariable(String),
    /// An action name ModSecurity v3 does not know.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// A known action with a wrong or missing value.
    #[error("action `{action}`: {message}")]
    BadAction {
        /// Action name.
        action: String,
        /// What was expected.
        message: String,
    },
    /// `phase` with a value other than 1-5, request, response or logging.
    #[error("bad phase `{0}`: expected 1-5, request, response or logging")]
    BadPhase(String),
    /// A SecRule/SecAction (not a chained follower) without `id`.
    #[error("rule has no `id` action")]
    MissingId,
    /// Two rules with the same id.
    #[error("duplicate rule id {id} (first defined at {first})")]
    DuplicateId {
        /// The id.
        id: u64,
        /// `file:line` of the first definition.
        first: String,
    },
    /// A chained follower rule carrying its own `id`.
    #[error("`id` is only allowed on the first rule of a chain")]
    IdInChainedRule,
    /// A rule with `chain` that is not followed by a rule in the same file.
    #[error("rule has `chain` but {0}")]
    DanglingChain(String),
    /// A file cannot be read or listed.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path being read.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// An `Include` glob without any match.
    #[error("Include `{0}` matches no file")]
    IncludeNoMatch(String),
    /// A file including itself, directly or not.
    #[error("Include cycle: {0}")]
    IncludeCycle(String),
    /// Includes nested deeper than the limit.
    #[error("Include nesting deeper than {0} files")]
    IncludeTooDeep(usize),
}
