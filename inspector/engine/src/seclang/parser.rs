//! The driver: reads files through a [`Source`], expands `Include` in place, and checks what
//! spans directives (rule ids, chains, include cycles).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Config;
use super::ast::{Directive, DirectiveKind};
use super::directive::{Parsed, convert};
use super::error::{ErrorKind, ParseError};
use super::lexer::lex;
use super::rule::rule_id;
use super::source::{Source, normalize};

/// How deep `Include`s may nest (a guard against symlink loops the lexical check misses).
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// Where a file was included from (`None` for the root).
type Origin<'a> = Option<(&'a Arc<Path>, usize)>;

pub struct Parser<'a> {
    source: &'a dyn Source,
    /// Files being parsed, outermost first (for cycle detection).
    stack: Vec<PathBuf>,
    /// Where each rule id was first defined.
    ids: HashMap<u64, (Arc<Path>, usize)>,
    config: Config,
}

impl<'a> Parser<'a> {
    pub fn new(source: &'a dyn Source) -> Self {
        Parser { source, stack: Vec::new(), ids: HashMap::new(), config: Config::default() }
    }

    pub fn finish(self) -> Config {
        self.config
    }

    /// Parses `path` and everything it includes.
    pub fn file(&mut self, path: &Path, origin: Origin<'_>) -> Result<(), ParseError> {
        let path = normalize(path);
        let at_origin = |kind| match origin {
            Some((file, line)) => ParseError { file: file.clone(), line, kind },
            None => ParseError { file: Arc::from(path.as_path()), line: 0, kind },
        };
        if self.stack.contains(&path) {
            let mut cycle: Vec<String> = self.stack.iter().map(|p| p.display().to_string()).collect();
            cycle.push(path.display().to_string());
            return Err(at_origin(ErrorKind::IncludeCycle(cycle.join(" -> "))));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(at_origin(ErrorKind::IncludeTooDeep(MAX_INCLUDE_DEPTH)));
        }
        let text = self.source.read(&path).map_err(|e| at_origin(io_error(&path, &e)))?;
        let file: Arc<Path> = Arc::from(path.as_path());
        self.config.files.push(file.clone());
        let raws = lex(&text).map_err(|(line, kind)| ParseError { file: file.clone(), line, kind })?;
        self.stack.push(path);
        // Line of the previous rule when it ends with `chain`.
        let mut chain: Option<usize> = None;
        for raw in raws {
            let at = |kind| ParseError { file: file.clone(), line: raw.line, kind };
            match convert(&raw.words).map_err(at)? {
                Parsed::Include(pattern) => {
                    if let Some(line) = chain {
                        let kind = ErrorKind::DanglingChain("is followed by an Include".to_string());
                        return Err(ParseError { file: file.clone(), line, kind });
                    }
                    self.include(&file, raw.line, &pattern)?;
                }
                Parsed::Kind(kind) => {
                    chain = self.check_rule(&kind, chain, &file, raw.line)?;
                    self.config.directives.push(Directive { file: file.clone(), line: raw.line, kind });
                }
            }
        }
        self.stack.pop();
        match chain {
            Some(line) => Err(ParseError { file, line, kind: ErrorKind::DanglingChain("the file ends".to_string()) }),
            None => Ok(()),
        }
    }

    fn include(&mut self, file: &Arc<Path>, line: usize, pattern: &str) -> Result<(), ParseError> {
        let at = |kind| ParseError { file: file.clone(), line, kind };
        let target = match file.parent() {
            Some(dir) if Path::new(pattern).is_relative() => dir.join(pattern),
            _ => PathBuf::from(pattern),
        };
        let matches = self.source.glob(&target).map_err(|e| at(io_error(&target, &e)))?;
        if matches.is_empty() {
            return Err(at(ErrorKind::IncludeNoMatch(target.display().to_string())));
        }
        for path in matches {
            self.file(&path, Some((file, line)))?;
        }
        Ok(())
    }

    /// Checks ids and chains; returns the line of this rule if it ends with `chain`.
    fn check_rule(
        &mut self,
        kind: &DirectiveKind,
        chain: Option<usize>,
        file: &Arc<Path>,
        line: usize,
    ) -> Result<Option<usize>, ParseError> {
        let at = |kind| ParseError { file: file.clone(), line, kind };
        let actions = match kind {
            DirectiveKind::Rule(rule) => &rule.actions,
            DirectiveKind::Action(actions) => actions,
            _ => {
                return match chain {
                    Some(chain_line) => {
                        let kind =
                            ErrorKind::DanglingChain(format!("is followed by a non-rule directive at line {line}"));
                        Err(ParseError { file: file.clone(), line: chain_line, kind })
                    }
                    None => Ok(None),
                };
            }
        };
        let has_id = actions.iter().any(|a| a.name == "id");
        if chain.is_some() {
            if has_id {
                return Err(at(ErrorKind::IdInChainedRule));
            }
        } else {
            let id = rule_id(actions).ok_or_else(|| at(ErrorKind::MissingId))?;
            if let Some((first_file, first_line)) = self.ids.get(&id) {
                let first = format!("{}:{first_line}", first_file.display());
                return Err(at(ErrorKind::DuplicateId { id, first }));
            }
            self.ids.insert(id, (file.clone(), line));
        }
        Ok(actions.iter().any(|a| a.name == "chain").then_some(line))
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> ErrorKind {
    ErrorKind::Io { path: path.display().to_string(), message: error.to_string() }
}
