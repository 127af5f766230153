//! Loading the rule files: each `--rules` file is parsed (with its `Include`s), the
//! directives are concatenated in order and compiled once into a shared [`RuleSet`].
//! [`Summary`] is what `--check-config` prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use inspector_engine::ruleset::{self, Item, RuleSet};
use inspector_engine::seclang::{self, Config, DirectiveKind, EngineMode, FsSource, Source};

/// A rule file that cannot be loaded; displays as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{0}")]
    Parse(#[from] seclang::ParseError),
    #[error("{0}")]
    Compile(#[from] ruleset::CompileError),
}

/// The compiled rules and what was loaded.
#[derive(Debug)]
pub struct Loaded {
    /// The SecurityPolicy these rules were rendered from (`-`: plain `--rules` files).
    pub policy: String,
    pub rules: RuleSet,
    pub summary: Summary,
    /// Every rule id (the bounded label values of the rule metrics).
    pub ids: BTreeSet<u64>,
    /// The namespaces of the flows these rules serve (from a policy's flow map).
    pub namespaces: BTreeMap<SocketAddr, String>,
}

/// What `--check-config` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub per_phase: [usize; 5],
    pub engine: EngineMode,
    pub request_body_access: bool,
    pub response_body_access: bool,
    /// `name at file:line` of each directive accepted but ignored.
    pub ignored: Vec<String>,
}

impl Summary {
    /// Total rules over all phases.
    pub fn total(&self) -> usize {
        self.per_phase.iter().sum()
    }
}

/// Parses and compiles the files, in order.
pub fn load(files: &[PathBuf]) -> Result<Loaded, RulesError> {
    load_with(None, files)
}

/// Serves one in-memory file (a rendered policy), everything else from the filesystem.
struct Overlay<'a> {
    name: &'a Path,
    text: &'a str,
}

impl Source for Overlay<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path == self.name { Ok(self.text.to_owned()) } else { FsSource.read(path) }
    }

    fn glob(&self, pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
        FsSource.glob(pattern)
    }
}

/// Parses and compiles `rendered` (`(name, text)`: a configuration held in memory whose
/// `Include`s are read from the filesystem), then the files, in order.
pub fn load_with(rendered: Option<(&str, &str)>, files: &[PathBuf]) -> Result<Loaded, RulesError> {
    let mut config = Config::default();
    if let Some((name, text)) = rendered {
        let name = Path::new(name);
        config = seclang::parse(name, &Overlay { name, text })?;
    }
    for file in files {
        let part = seclang::parse(file, &FsSource)?;
        config.directives.extend(part.directives);
        config.files.extend(part.files);
    }
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let rules = ruleset::compile(&config, &read)?;
    let ignored = config
        .ignored()
        .map(|d| match &d.kind {
            DirectiveKind::Ignored { name, .. } => format!("{name} at {}", d.location()),
            _ => d.location(),
        })
        .collect();
    let mut per_phase = [0; 5];
    let mut ids = BTreeSet::new();
    for (count, items) in per_phase.iter_mut().zip(&rules.phases) {
        for item in items {
            if let Item::Rule(rule) = item {
                *count += 1;
                ids.insert(rule.id);
            }
        }
    }
    let summary = Summary {
        files: config.files.len(),
        per_phase,
        engine: rules.settings.engine,
        request_body_access: rules.settings.request_body_access,
        response_body_access: rules.settings.response_body_access,
        ignored,
    };
    Ok(Loaded { policy: "-".into(), rules, summary, ids, namespaces: BTreeMap::new() })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "rules OK: {} rules from {} files", self.total(), self.files)?;
        for (phase, count) in self.per_phase.iter().enumerate() {
            writeln!(f, "  phase {}: {count}", phase + 1)?;
        }
        writeln!(f, "engine: {:?}", self.engine)?;
        writeln!(f, "request body access: {}", on_off(self.request_body_access))?;
        writeln!(f, "response body access: {}", on_off(self.response_body_access))?;
        writeln!(f, "ignored directives: {}", self.ignored.len())?;
        for line in &self.ignored {
            writeln!(f, "  ignored: {line}")?;
        }
        Ok(())
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "On" } else { "Off" }
}
