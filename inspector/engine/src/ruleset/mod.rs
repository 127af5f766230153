//! The rule compiler: a parsed [`Config`] becomes a [`RuleSet`], compiled once and shared by
//! every transaction. Removals and target/action updates (`SecRuleRemoveById`,
//! `SecRuleUpdateTargetById`, ...) apply to every rule, wherever they appear in the config,
//! as in libmodsecurity.

pub mod actions;
pub mod macros;
pub mod prefilter;
pub mod rule;
pub mod targets;

use std::collections::BTreeMap;
use std::path::Path;

use crate::operator::LoadContext;
use crate::seclang::{ActionSpec, Config, Directive, DirectiveKind, EngineMode, IdRange, LimitAction, VariableSpec};

pub use rule::{Defaults, Rule, RuleOperator, RuleSource};

/// A compiled rule set.
#[derive(Debug)]
pub struct RuleSet {
    /// Rules and markers of each phase (index 0 = phase 1), in config order.
    pub phases: [Vec<Item>; 5],
    /// Engine settings from the config.
    pub settings: Settings,
    /// The literal prefilter's automata and groups.
    pub prefilters: prefilter::Prefilters,
}

/// One entry of a phase's list.
#[derive(Debug)]
pub enum Item {
    /// A rule (with its chain).
    Rule(Box<Rule>),
    /// A `SecMarker` (markers appear in every phase).
    Marker(String),
}

/// Settings that are not rules.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `SecRuleEngine`.
    pub engine: EngineMode,
    /// `SecRequestBodyAccess`.
    pub request_body_access: bool,
    /// `SecResponseBodyAccess`.
    pub response_body_access: bool,
    /// `SecRequestBodyLimit`.
    pub request_body_limit: u64,
    /// `SecRequestBodyNoFilesLimit`.
    pub request_body_no_files_limit: u64,
    /// `SecRequestBodyLimitAction`.
    pub request_body_limit_action: LimitAction,
    /// `SecResponseBodyLimit`.
    pub response_body_limit: u64,
    /// `SecResponseBodyLimitAction`.
    pub response_body_limit_action: LimitAction,
    /// `SecResponseBodyMimeType`.
    pub response_mime_types: Vec<String>,
    /// `SecArgumentSeparator`.
    pub argument_separator: u8,
    /// `SecComponentSignature`s.
    pub components: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            engine: EngineMode::Off,
            request_body_access: false,
            response_body_access: false,
            request_body_limit: 134_217_728,
            request_body_no_files_limit: 1_048_576,
            request_body_limit_action: LimitAction::Reject,
            response_body_limit: 524_288,
            response_body_limit_action: LimitAction::Reject,
            response_mime_types: vec!["text/plain".into(), "text/html".into()],
            argument_separator: b'&',
            components: Vec::new(),
        }
    }
}

/// A rule that failed to compile, with its location.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct CompileError {
    /// `file:line`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

/// Directives that change other rules, gathered before compiling.
#[derive(Debug, Default)]
struct Exceptions<'a> {
    removed_ids: Vec<IdRange>,
    removed_tags: Vec<&'a str>,
    removed_msgs: Vec<&'a str>,
    targets_by_id: Vec<(IdRange, &'a [VariableSpec])>,
    targets_by_tag: Vec<(&'a str, &'a [VariableSpec])>,
    targets_by_msg: Vec<(&'a str, &'a [VariableSpec])>,
    actions_by_id: BTreeMap<u64, Vec<ActionSpec>>,
}

/// Compiles a parsed config. Data files (`@pmFromFile`) are read with `read_file`.
pub fn compile(config: &Config, read_file: &dyn Fn(&Path) -> Result<String, String>) -> Result<RuleSet, CompileError> {
    let exceptions = gather(&config.directives);
    let mut set = RuleSet { phases: Default::default(), settings: Settings::default(), prefilters: Default::default() };
    let mut defaults: [Defaults; 5] = Default::default();
    let mut directives = config.directives.iter().peekable();
    while let Some(d) = directives.next() {
        let fail = |message: String| CompileError { location: d.location(), message };
        match &d.kind {
            DirectiveKind::Rule(_) | DirectiveKind::Action(_) => {
                let mut chain = vec![d];
                while rule_chains(chain[chain.len() - 1]) {
                    match directives.next() {
                        Some(next) => chain.push(next),
                        None => return Err(fail("chain without a following rule".into())),
                    }
                }
                if let Some(rule) = compile_chain(&chain, &defaults, &exceptions, read_file)? {
                    let phase = usize::from(rule.phase.clamp(1, 5)) - 1;
                    set.phases[phase].push(Item::Rule(Box::new(rule)));
                }
            }
            DirectiveKind::Marker(name) => {
                for phase in &mut set.phases {
                    phase.push(Item::Marker(name.clone()));
                }
            }
            DirectiveKind::DefaultAction(actions) => {
                let phase = usize::from(actions::phase(actions)) - 1;
                defaults[phase] = Defaults { actions: actions.clone() };
            }
            other => settings(&mut set.settings, other),
        }
    }
    set.prefilters = prefilter::build(&mut set.phases);
    Ok(set)
}

fn settings(s: &mut Settings, kind: &DirectiveKind) {
    match kind {
        DirectiveKind::RuleEngine(mode) => s.engine = *mode,
        DirectiveKind::RequestBodyAccess(on) => s.request_body_access = *on,
        DirectiveKind::ResponseBodyAccess(on) => s.response_body_access = *on,
        DirectiveKind::RequestBodyLimit(n) => s.request_body_limit = *n,
        DirectiveKind::RequestBodyNoFilesLimit(n) => s.request_body_no_files_limit = *n,
        DirectiveKind::RequestBodyLimitAction(a) => s.request_body_limit_action = *a,
        DirectiveKind::ResponseBodyLimit(n) => s.response_body_limit = *n,
        DirectiveKind::ResponseBodyLimitAction(a) => s.response_body_limit_action = *a,
        DirectiveKind::ResponseBodyMimeType(types) => s.response_mime_types.extend(types.iter().cloned()),
        DirectiveKind::ResponseBodyMimeTypesClear => s.response_mime_types.clear(),
        DirectiveKind::ArgumentSeparator(c) => s.argument_separator = *c,
        DirectiveKind::ComponentSignature(c) => s.components.push(c.clone()),
        _ => {}
    }
}

fn gather(directives: &[Directive]) -> Exceptions<'_> {
    let mut e = Exceptions::default();
    for d in directives {
        match &d.kind {
            DirectiveKind::RuleRemoveById(ids) => e.removed_ids.extend(ids),
            DirectiveKind::RuleRemoveByTag(tag) => e.removed_tags.push(tag),
            DirectiveKind::RuleRemoveByMsg(msg) => e.removed_msgs.push(msg),
            DirectiveKind::RuleUpdateTargetById { ids, targets, .. } => {
                e.targets_by_id.extend(ids.iter().map(|id| (*id, targets.as_slice())));
            }
            DirectiveKind::RuleUpdateTargetByTag { tag, targets } => e.targets_by_tag.push((tag, targets)),
            DirectiveKind::RuleUpdateTargetByMsg { msg, targets } => e.targets_by_msg.push((msg, targets)),
            DirectiveKind::RuleUpdateActionById { id, actions } => {
                e.actions_by_id.entry(*id).or_default().extend(actions.iter().cloned());
            }
            _ => {}
        }
    }
    e
}

fn rule_chains(d: &Directive) -> bool {
    match &d.kind {
        DirectiveKind::Rule(r) => rule::chains(&r.actions),
        DirectiveKind::Action(a) => rule::chains(a),
        _ => false,
    }
}

/// Compiles a chain (first rule first); `None` when the first rule is removed.
fn compile_chain(
    chain: &[&Directive],
    defaults: &[Defaults; 5],
    exceptions: &Exceptions<'_>,
    read_file: &dyn Fn(&Path) -> Result<String, String>,
) -> Result<Option<Rule>, CompileError> {
    let mut compiled: Vec<Rule> = Vec::new();
    let mut phase = 2;
    let mut id = 0;
    for (i, d) in chain.iter().enumerate() {
        let (variables, operator, own) = match &d.kind {
            DirectiveKind::Rule(r) => (r.variables.clone(), Some(&r.operator), r.actions.clone()),
            DirectiveKind::Action(a) => (Vec::new(), None, a.clone()),
            _ => continue,
        };
        let location = d.location();
        let fail = |message: String| CompileError { location: location.clone(), message };
        let mut actions = own;
        let mut variables = variables;
        if i == 0 {
            id = crate::seclang::rule_id(&actions).unwrap_or_default();
            phase = actions::phase(&actions);
            if exceptions.removed(id, &actions) {
                return Ok(None);
            }
            exceptions.update(id, &mut variables, &mut actions);
        }
        let dir = d.file.parent().unwrap_or(Path::new("."));
        let load = LoadContext { rule_dir: dir, read_file };
        let source = RuleSource {
            id: if i == 0 { id } else { 0 },
            phase,
            location: &location,
            variables: &variables,
            operator,
            actions: &actions,
        };
        let empty = Defaults::default();
        let defaults = if i == 0 { &defaults[usize::from(phase.clamp(1, 5)) - 1] } else { &empty };
        compiled.push(rule::compile(&source, defaults, &load).map_err(fail)?);
    }
    let mut next: Option<Box<Rule>> = None;
    while let Some(mut rule) = compiled.pop() {
        rule.chain = next.take();
        next = Some(Box::new(rule));
    }
    let mut first = next.map(|b| *b);
    if let Some(rule) = &mut first {
        rule.mark_matched_vars();
    }
    Ok(first)
}

impl Exceptions<'_> {
    fn removed(&self, id: u64, actions: &[ActionSpec]) -> bool {
        let tags = || actions.iter().filter(|a| a.name == "tag").filter_map(|a| a.value.as_deref());
        let msg = actions::value(actions, "msg");
        self.removed_ids.iter().any(|r| r.contains(id))
            || tags().any(|t| self.removed_tags.contains(&t))
            || msg.is_some_and(|m| self.removed_msgs.contains(&m))
    }

    fn update(&self, id: u64, variables: &mut Vec<VariableSpec>, actions: &mut Vec<ActionSpec>) {
        let tags: Vec<String> = actions.iter().filter(|a| a.name == "tag").filter_map(|a| a.value.clone()).collect();
        let msg = actions::value(actions, "msg").map(str::to_owned);
        for (range, targets) in &self.targets_by_id {
            if range.contains(id) {
                variables.extend(targets.iter().cloned());
            }
        }
        for (tag, targets) in &self.targets_by_tag {
            if tags.iter().any(|t| t == tag) {
                variables.extend(targets.iter().cloned());
            }
        }
        for (m, targets) in &self.targets_by_msg {
            if msg.as_deref() == Some(*m) {
                variables.extend(targets.iter().cloned());
            }
        }
        if let Some(updates) = self.actions_by_id.get(&id) {
            // An updated action replaces the rule's actions of the same name; `t:` adds.
            actions.retain(|a| a.name == "t" || !updates.iter().any(|u| u.name == a.name));
            actions.extend(updates.iter().cloned());
        }
    }
}
