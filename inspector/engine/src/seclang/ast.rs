//! Directives: what each one says, and where it starts.

use std::path::Path;
use std::sync::Arc;

use super::rule::{ActionSpec, RuleSpec, VariableSpec};

/// One directive and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The file it comes from.
    pub file: Arc<Path>,
    /// The line (1-based) where it starts.
    pub line: usize,
    /// What it says.
    pub kind: DirectiveKind,
}

impl Directive {
    /// `file:line`, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// A directive's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `SecRule VARIABLES OPERATOR [ACTIONS]`.
    Rule(RuleSpec),
    /// `SecAction ACTIONS`: a rule that always matches.
    Action(Vec<ActionSpec>),
    /// `SecMarker NAME` (target of `skipAfter`).
    Marker(String),
    /// `SecDefaultAction ACTIONS`.
    DefaultAction(Vec<ActionSpec>),
    /// `SecRuleEngine`.
    RuleEngine(EngineMode),
    /// `SecRequestBodyAccess On|Off`.
    RequestBodyAccess(bool),
    /// `SecResponseBodyAccess On|Off`.
    ResponseBodyAccess(bool),
    /// `SecRequestBodyLimit BYTES`.
    RequestBodyLimit(u64),
    /// `SecRequestBodyNoFilesLimit BYTES`.
    RequestBodyNoFilesLimit(u64),
    /// `SecRequestBodyLimitAction`.
    RequestBodyLimitAction(LimitAction),
    /// `SecResponseBodyLimit BYTES`.
    ResponseBodyLimit(u64),
    /// `SecResponseBodyLimitAction`.
    ResponseBodyLimitAction(LimitAction),
    /// `SecResponseBodyMimeType TYPE...` (adds to the list).
    ResponseBodyMimeType(Vec<String>),
    /// `SecResponseBodyMimeTypesClear`.
    ResponseBodyMimeTypesClear,
    /// `SecRuleRemoveById ID|RANGE...`.
    RuleRemoveById(Vec<IdRange>),
    /// `SecRuleRemoveByTag TAG`.
    RuleRemoveByTag(String),
    /// `SecRuleRemoveByMsg MSG`.
    RuleRemoveByMsg(String),
    /// `SecRuleUpdateTargetById IDS TARGETS [REPLACED]`.
    RuleUpdateTargetById {
        /// Rules affected.
        ids: Vec<IdRange>,
        /// Targets to add (or, with `!`, to exclude).
        targets: Vec<VariableSpec>,
        /// The target replaced by `targets` (ModSecurity v2's third argument).
        replaced: Option<VariableSpec>,
    },
    /// `SecRuleUpdateTargetByTag TAG TARGETS`.
    RuleUpdateTargetByTag {
        /// Tag of the rules affected.
        tag: String,
        /// Targets to add or exclude.
        targets: Vec<VariableSpec>,
    },
    /// `SecRuleUpdateTargetByMsg MSG TARGETS`.
    RuleUpdateTargetByMsg {
        /// Message of the rules affected.
        msg: String,
        /// Targets to add or exclude.
        targets: Vec<VariableSpec>,
    },
    /// `SecRuleUpdateActionById ID ACTIONS`.
    RuleUpdateActionById {
        /// Rule affected.
        id: u64,
        /// Actions replacing the rule's ones of the same kind.
        actions: Vec<ActionSpec>,
    },
    /// `SecArgumentSeparator CHAR`.
    ArgumentSeparator(u8),
    /// `SecCollectionTimeout SECONDS`.
    CollectionTimeout(u64),
    /// `SecComponentSignature TEXT`.
    ComponentSignature(String),
    /// A directive that only matters to ModSecurity's own I/O (audit and debug logs, upload
    /// and temp dirs, PCRE limits...): accepted, kept for reporting, otherwise ignored.
    Ignored {
        /// Canonical directive name (`SecAuditLog`).
        name: &'static str,
        /// Arguments as written.
        args: Vec<String>,
    },
}

/// `SecRuleEngine` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineMode {
    /// Rules run and disruptive actions apply.
    On,
    /// Rules do not run.
    Off,
    /// Rules run, disruptive actions are only logged.
    DetectionOnly,
}

/// What to do with a body over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitAction {
    /// Reject the transaction (413 for requests).
    Reject,
    /// Inspect the part within the limit, pass the rest.
    ProcessPartial,
}

/// An inclusive rule-id range (`100-200`); a single id has `start == end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdRange {
    /// First id.
    pub start: u64,
    /// Last id (inclusive).
    pub end: u64,
}

impl IdRange {
    /// Whether `id` is in the range.
    pub fn contains(&self, id: u64) -> bool {
        (self.start..=self.end).contains(&id)
    }
}
