//! The transaction's state and what it reports.

use std::time::Instant;

use super::Connection;
use super::recycle::Buffers;
use crate::request::RequestVars;
use crate::ruleset::RuleSet;
use crate::ruleset::actions::AllowScope;
use crate::seclang::{EngineMode, IdRange};
use crate::values::Values;

/// A rule that matched (the whole chain), as the audit log reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedRule {
    /// Rule id (of the chain's first rule).
    pub id: u64,
    /// Phase.
    pub phase: u8,
    /// Expanded `msg`.
    pub msg: String,
    /// Expanded `logdata`.
    pub data: String,
    /// Severity 0-7.
    pub severity: Option<u8>,
    /// Tags.
    pub tags: Vec<String>,
    /// Whether the rule logs (`log`, not `nolog`).
    pub logged: bool,
}

/// What stops a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interruption {
    /// The rule that decided.
    pub rule_id: u64,
    /// HTTP status to answer with.
    pub status: u16,
    /// How.
    pub action: InterruptAction,
}

/// How a transaction is stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterruptAction {
    /// Answer with `status`.
    Deny,
    /// Close the connection.
    Drop,
    /// Redirect to this URL.
    Redirect(String),
}

#[derive(Debug, Default)]
pub(super) struct Response {
    pub status: u16,
    pub protocol: Vec<u8>,
    pub headers: Values,
    pub content_type: Vec<u8>,
    pub body: Vec<u8>,
}

#[derive(Debug, Default)]
pub(super) struct Body {
    pub raw: Vec<u8>,
    pub args_post: Values,
    pub error: Option<String>,
    pub files: Values,
    pub files_names: Values,
    pub files_sizes: Values,
    /// `FILES_TMP_CONTENT`: empty per file, as files are not extracted.
    pub files_tmp_content: Values,
    /// `MULTIPART_*` flags (and `INBOUND_DATA_ERROR`), once the multipart processor ran.
    pub multipart_flags: Values,
    pub multipart_names: Values,
    pub multipart_filenames: Values,
    pub multipart_part_headers: Values,
    /// `XML:/*`: the root element's text.
    pub xml: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
pub(super) struct Matched {
    pub var: Vec<u8>,
    pub name: Vec<u8>,
    pub vars: Values,
}

/// Runtime changes made by `ctl`.
#[derive(Debug, Default)]
pub(super) struct Overrides {
    pub engine: Option<EngineMode>,
    pub removed_ids: Vec<IdRange>,
    pub removed_tags: Vec<String>,
    pub removed_targets_by_id: Vec<(IdRange, String)>,
    pub removed_targets_by_tag: Vec<(String, String)>,
    pub request_body_access: Option<bool>,
    pub force_request_body: bool,
}

impl Overrides {
    /// Whether a `ctl` removed targets from rules.
    pub fn removes_targets(&self) -> bool {
        !self.removed_targets_by_id.is_empty() || !self.removed_targets_by_tag.is_empty()
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        Buffers {
            tx: std::mem::take(&mut self.tx),
            args: std::mem::take(&mut self.args),
            matched_vars: std::mem::take(&mut self.matched.vars),
            transformed: std::mem::take(&mut self.transformed),
            unions: std::mem::take(&mut self.unions),
            found: std::mem::take(&mut self.found),
        }
        .give_back();
    }
}

/// TX variables a transaction has room for before the collection grows.
const TX_CAPACITY: usize = 128;

/// One transaction.
#[derive(Debug)]
pub struct Transaction<'r> {
    pub(super) rules: &'r RuleSet,
    pub(super) connection: Connection,
    pub(super) id: String,
    pub(super) started: Instant,
    pub(super) request: RequestVars,
    pub(super) args: Values,
    pub(super) body: Body,
    pub(super) response: Response,
    pub(super) tx: Values,
    pub(super) persistent: [Values; 5],
    pub(super) matched: Matched,
    pub(super) overrides: Overrides,
    pub(super) allow: Option<AllowScope>,
    pub(super) matches: Vec<MatchedRule>,
    pub(super) interruption: Option<Interruption>,
    pub(super) transformed: super::transformed::TransformCache,
    pub(super) unions: super::prefilter::Unions,
    /// The current rule's matches (a buffer reused from rule to rule).
    pub(super) found: super::eval::Found,
}

impl<'r> Transaction<'r> {
    pub(super) fn new(rules: &'r RuleSet, connection: Connection, id: String) -> Self {
        // CRS sets dozens of TX variables per request: room for them without regrowing.
        let buffers = Buffers::take(TX_CAPACITY);
        Self {
            rules,
            connection,
            id,
            started: Instant::now(),
            request: RequestVars::default(),
            args: buffers.args,
            body: Body::default(),
            response: Response::default(),
            tx: buffers.tx,
            persistent: Default::default(),
            matched: Matched { vars: buffers.matched_vars, ..Matched::default() },
            overrides: Overrides::default(),
            allow: None,
            matches: Vec::new(),
            interruption: None,
            transformed: buffers.transformed,
            unions: buffers.unions,
            found: buffers.found,
        }
    }

    /// Every rule that matched so far, in order.
    pub fn matched_rules(&self) -> &[MatchedRule] {
        &self.matches
    }

    /// The interruption, if a rule stopped the transaction.
    pub fn interruption(&self) -> Option<&Interruption> {
        self.interruption.as_ref()
    }

    /// A `TX` value (e.g. `anomaly_score`), as text.
    pub fn tx(&self, key: &str) -> Option<String> {
        self.tx.first(key.as_bytes()).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The engine mode in force (`ctl:ruleEngine` can change it).
    pub fn engine(&self) -> EngineMode {
        self.overrides.engine.unwrap_or(self.rules.settings.engine)
    }
}
