//! SecLang parsing: configuration text to directives, each with its file and line.
//!
//! ```text
//! Source (fs / memory) ─▶ lexer (lines, continuations, quotes) ─▶ directive (one meaning
//!   per directive: variables, operator, actions) ─▶ parser (Include, ids, chains) ─▶ Config
//! ```
//!
//! The parser checks what it can without compiling: directive, variable and action names,
//! argument shapes, ids (present, unique), phases and chains. Operator and transformation
//! names are checked by the rule compiler (`operator::compile`, `transform::lookup`).
//! Errors display as `file:line: message`. Nothing here panics, whatever the input.

mod actions;
mod ast;
mod collection;
mod directive;
mod error;
mod ignored;
mod lexer;
mod parser;
mod rule;
mod source;
mod variables;

use std::path::Path;
use std::sync::Arc;

pub use actions::{ACTIONS, canonical_action, parse_actions, phase_number};
pub use ast::{Directive, DirectiveKind, EngineMode, IdRange, LimitAction};
pub use collection::Collection;
pub use directive::parse_operator;
pub use error::{ErrorKind, ParseError};
pub use ignored::{IGNORED, UNSUPPORTED};
pub use lexer::{RawDirective, lex, split_words};
pub use parser::MAX_INCLUDE_DEPTH;
pub use rule::{ActionSpec, OperatorSpec, RuleSpec, Selector, VariableSpec, rule_id};
pub use source::{FsSource, MemSource, Source, normalize, wildcard_match};
pub use variables::parse_variables;

/// A parsed configuration: every directive in order, `Include`s expanded in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The directives, in the order ModSecurity would apply them.
    pub directives: Vec<Directive>,
    /// Every file read, in the order they were read (the root first).
    pub files: Vec<Arc<Path>>,
}

impl Config {
    /// The directives accepted but ignored (audit/debug logs, temp dirs...), so a loader can
    /// print `ignored: SecAuditLog at file:line`.
    pub fn ignored(&self) -> impl Iterator<Item = &Directive> {
        self.directives.iter().filter(|d| matches!(d.kind, DirectiveKind::Ignored { .. }))
    }

    /// The `SecRule` and `SecAction` directives.
    pub fn rules(&self) -> impl Iterator<Item = &Directive> {
        self.directives.iter().filter(|d| matches!(d.kind, DirectiveKind::Rule(_) | DirectiveKind::Action(_)))
    }
}

/// Parses the configuration rooted at `root`, expanding `Include`s through `source`
/// (relative to the including file's directory, globs sorted).
pub fn parse(root: &Path, source: &dyn Source) -> Result<Config, ParseError> {
    let mut parser = parser::Parser::new(source);
    parser.file(root, None)?;
    Ok(parser.finish())
}

/// Parses one in-memory file called `name` (an `Include` in it fails: there is no other file).
pub fn parse_str(name: &str, text: &str) -> Result<Config, ParseError> {
    parse(Path::new(name), &MemSource::new().with(name, text))
}
