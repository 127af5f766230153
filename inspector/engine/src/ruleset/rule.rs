//! One compiled rule: targets, transformations, operator and typed actions.

use crate::operator::{self, LoadContext, Operator};
use crate::seclang::{ActionSpec, Collection, OperatorSpec, VariableSpec};
use crate::transform::trigger::{self, Mask};
use crate::transform::{self, Transform};

use super::actions::{self, Ctl, Disruptive, SetVar, value};
use super::macros::MacroString;
use super::targets::{self, Target};

/// A compiled rule (a `SecRule`, or a `SecAction`, which has no operator).
#[derive(Debug)]
pub struct Rule {
    /// `id` (0 for chained rules after the first).
    pub id: u64,
    /// Phase 1-5.
    pub phase: u8,
    /// `file:line`.
    pub location: String,
    /// What the operator runs against.
    pub targets: Vec<Target>,
    /// Values removed from the targets.
    pub exclusions: Vec<Target>,
    /// `None` for `SecAction`: it matches once, unconditionally.
    pub operator: Option<RuleOperator>,
    /// Transformations, in order, after `t:none` resets.
    pub transforms: Vec<(String, Transform)>,
    /// For each transformation, a key naming the chain up to it (equal chains, equal keys),
    /// so results can be shared between rules.
    pub transform_keys: Vec<u64>,
    /// The transformations as a set (see `transform::trigger`).
    pub transform_mask: Mask,
    /// `multiMatch`: run the operator after every transformation that changed the value.
    pub multi_match: bool,
    /// `capture`: keep regex groups in `TX:0`..`TX:9`.
    pub capture: bool,
    /// `msg`.
    pub msg: Option<MacroString>,
    /// `logdata`.
    pub logdata: Option<MacroString>,
    /// `tag`s.
    pub tags: Vec<String>,
    /// `severity` as a number (0 emergency .. 7 debug).
    pub severity: Option<u8>,
    /// Whether a match is logged (`log`/`nolog`, else the phase default).
    pub log: bool,
    /// `setvar`s, run for every matched value.
    pub setvars: Vec<SetVar>,
    /// The disruptive action, if any.
    pub disruptive: Option<Disruptive>,
    /// `status` for deny/redirect.
    pub status: Option<u16>,
    /// `skip:N`.
    pub skip: u32,
    /// `skipAfter:MARKER`.
    pub skip_after: Option<String>,
    /// `ctl`s, run after a full match.
    pub ctls: Vec<Ctl>,
    /// The next rule of a chain.
    pub chain: Option<Box<Rule>>,
    /// Its place in the literal prefilter, when eligible (set by the rule-set compiler).
    pub prefilter: Option<super::prefilter::RulePrefilter>,
    /// Whether its matches must be kept in `MATCHED_VARS`: it or a later rule of its chain
    /// reads `MATCHED_VARS` or `MATCHED_VARS_NAMES` (see [`Rule::mark_matched_vars`]).
    pub keeps_matched_vars: bool,
}

/// A rule's operator.
#[derive(Debug)]
pub struct RuleOperator {
    /// Name without `@`.
    pub name: String,
    /// `!@...`.
    pub negated: bool,
    /// The compiled operator.
    pub op: Box<dyn Operator>,
    /// A parameter with macros (`@within %{tx.allowed_methods}`), parsed once: its text and
    /// its parts.
    pub param_macros: Option<(String, MacroString)>,
}

/// `SecDefaultAction` of one phase, applied to rules that follow it.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    /// Its actions.
    pub actions: Vec<ActionSpec>,
}

/// What one rule is made of, as parsed.
#[derive(Debug)]
pub struct RuleSource<'a> {
    /// `id` (0 inside a chain).
    pub id: u64,
    /// Phase (a chain's later rules inherit the first rule's).
    pub phase: u8,
    /// `file:line`.
    pub location: &'a str,
    /// Targets (empty for `SecAction`).
    pub variables: &'a [VariableSpec],
    /// Operator (`None` for `SecAction`).
    pub operator: Option<&'a OperatorSpec>,
    /// The rule's own actions.
    pub actions: &'a [ActionSpec],
}

/// Compiles one rule, with the phase's `SecDefaultAction` applied first.
pub fn compile(src: &RuleSource<'_>, defaults: &Defaults, load: &LoadContext<'_>) -> Result<Rule, String> {
    let RuleSource { id, phase, location, variables, operator, actions } = *src;
    let (targets, exclusions) = targets::compile(variables)?;
    let operator = match operator {
        None => None,
        Some(spec) => Some(RuleOperator {
            name: spec.name.clone(),
            negated: spec.negated,
            op: operator::compile(&spec.name, &spec.param, load)?,
            param_macros: MacroString::parse(&spec.param)
                .ok()
                .filter(MacroString::is_dynamic)
                .map(|m| (spec.param.clone(), m)),
        }),
    };
    let all: Vec<&ActionSpec> = defaults.actions.iter().chain(actions).collect();
    let mut rule = Rule::bare(id, phase, location);
    rule.targets = targets;
    rule.exclusions = exclusions;
    rule.operator = operator;
    for (i, action) in all.iter().enumerate() {
        let own = i >= defaults.actions.len();
        apply(&mut rule, action, own)?;
    }
    rule.transform_keys = chain_keys(rule.transforms.iter().map(|(name, _)| name.as_str()));
    rule.transform_mask = mask_of(&rule.transforms);
    if rule.disruptive == Some(Disruptive::Block) {
        // `block` does what the phase's SecDefaultAction says (CRS: pass; a config may deny).
        let mut default = Rule::bare(rule.id, rule.phase, &rule.location);
        for action in &defaults.actions {
            apply(&mut default, action, false)?;
        }
        rule.disruptive = default.disruptive.filter(|d| *d != Disruptive::Block);
        rule.status = rule.status.or(default.status);
    }
    Ok(rule)
}

fn apply(rule: &mut Rule, action: &ActionSpec, own: bool) -> Result<(), String> {
    let v = action.value.as_deref().unwrap_or_default();
    match action.name.as_str() {
        "t" if v == "none" => rule.transforms.clear(),
        "t" => {
            let f = transform::lookup(v).ok_or_else(|| format!("unknown transformation t:{v}"))?;
            rule.transforms.push((v.to_owned(), f));
        }
        "multiMatch" => rule.multi_match = true,
        "capture" => rule.capture = true,
        "msg" if own => rule.msg = Some(MacroString::parse(v)?),
        "logdata" if own => rule.logdata = Some(MacroString::parse(v)?),
        "tag" => rule.tags.push(v.to_owned()),
        "severity" => rule.severity = Some(severity(v)?),
        "log" => rule.log = true,
        "nolog" => rule.log = false,
        "setvar" => rule.setvars.push(actions::setvar(v)?),
        "deny" => rule.disruptive = Some(Disruptive::Deny),
        "drop" => rule.disruptive = Some(Disruptive::Drop),
        "pass" => rule.disruptive = Some(Disruptive::Pass),
        "block" => rule.disruptive = Some(Disruptive::Block),
        "redirect" => rule.disruptive = Some(Disruptive::Redirect(MacroString::parse(v)?)),
        "allow" => {
            let scope = match v {
                "" => actions::AllowScope::All,
                "phase" => actions::AllowScope::Phase,
                "request" => actions::AllowScope::Request,
                _ => return Err(format!("allow:{v}: expected phase or request")),
            };
            rule.disruptive = Some(Disruptive::Allow(scope));
        }
        "status" => rule.status = Some(v.parse().map_err(|_| format!("status:{v}: not a status code"))?),
        "skip" if own => rule.skip = v.parse().map_err(|_| format!("skip:{v}: not a number"))?,
        "skipAfter" if own => rule.skip_after = Some(v.to_owned()),
        "ctl" => rule.ctls.push(actions::ctl(v)?),
        // Metadata, chaining and I/O-only actions: handled elsewhere or without effect here.
        _ => {}
    }
    Ok(())
}

impl Rule {
    /// A rule with no targets, operator or actions yet.
    fn bare(id: u64, phase: u8, location: &str) -> Self {
        Self {
            id,
            phase,
            location: location.to_owned(),
            targets: Vec::new(),
            exclusions: Vec::new(),
            operator: None,
            transforms: Vec::new(),
            transform_keys: Vec::new(),
            transform_mask: 0,
            multi_match: false,
            capture: false,
            msg: None,
            logdata: None,
            tags: Vec::new(),
            severity: None,
            log: true,
            setvars: Vec::new(),
            disruptive: None,
            status: None,
            skip: 0,
            skip_after: None,
            ctls: Vec::new(),
            chain: None,
            prefilter: None,
            keeps_matched_vars: false,
        }
    }

    /// Sets [`keeps_matched_vars`](Self::keeps_matched_vars) on this rule and the rest of its
    /// chain (`MATCHED_VARS` lives from a chain's first rule to its last).
    pub fn mark_matched_vars(&mut self) -> bool {
        let later = self.chain.as_mut().is_some_and(|next| next.mark_matched_vars());
        self.keeps_matched_vars = later || self.reads_matched_vars();
        self.keeps_matched_vars
    }

    /// Whether a target, exclusion or macro of this rule names `MATCHED_VARS(_NAMES)`.
    fn reads_matched_vars(&self) -> bool {
        let named = |c: Collection| matches!(c, Collection::MatchedVars | Collection::MatchedVarsNames);
        let in_macro = |m: &MacroString| m.mentions(named);
        let setvar = |s: &SetVar| {
            in_macro(&s.key)
                || matches!(&s.op, actions::SetOp::Set(v) | actions::SetOp::Add(v) | actions::SetOp::Sub(v) if in_macro(v))
        };
        self.targets.iter().chain(&self.exclusions).any(|t| named(t.collection))
            || self.operator.as_ref().and_then(|o| o.param_macros.as_ref()).is_some_and(|(_, m)| in_macro(m))
            || self.msg.as_ref().is_some_and(in_macro)
            || self.logdata.as_ref().is_some_and(in_macro)
            || self.setvars.iter().any(setvar)
            || matches!(&self.disruptive, Some(Disruptive::Redirect(to)) if in_macro(to))
    }
}

/// The set of a chain's transformations.
pub(super) fn mask_of(transforms: &[(String, Transform)]) -> Mask {
    transforms.iter().filter_map(|(name, _)| trigger::bit(name)).fold(0, |mask, bit| mask | bit)
}

/// FNV-1a over the names of each prefix of a transformation chain (case-insensitive, as
/// names are).
fn chain_keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<u64> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    names
        .map(|name| {
            for b in name.bytes().map(|b| b.to_ascii_lowercase()).chain([b',']) {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            hash
        })
        .collect()
}

fn severity(v: &str) -> Result<u8, String> {
    const NAMES: [&str; 8] = ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"];
    if let Ok(n) = v.parse::<u8>()
        && n < 8
    {
        return Ok(n);
    }
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(v))
        .map(|p| p as u8)
        .ok_or_else(|| format!("unknown severity {v:?}"))
}

/// Whether an action list has `chain`.
pub fn chains(actions: &[ActionSpec]) -> bool {
    value(actions, "chain").is_some() || actions.iter().any(|a| a.name == "chain")
}
