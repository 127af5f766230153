//! Rule evaluation: phases, chains, skips, targets → transformations → operator.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

use super::resolve::{Value, ValueList};
use super::state::Transaction;
use super::transformed::Chain;
use crate::operator::OpContext;
use crate::ruleset::actions::AllowScope;
use crate::ruleset::macros::MacroString;
use crate::ruleset::{Item, Rule};
use crate::seclang::EngineMode;

/// What a rule's operator matched, before its effects are applied: the names and values in
/// one buffer that the transaction reuses from rule to rule, so matching allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Found {
    bytes: Vec<u8>,
    matches: Vec<FoundMatch>,
}

#[derive(Debug)]
struct FoundMatch {
    name: Range<usize>,
    value: Range<usize>,
    captures: Vec<Vec<u8>>,
}

impl Found {
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.matches.clear();
    }

    /// Adds a match whose name `write_name` appends.
    fn push(&mut self, write_name: impl FnOnce(&mut Vec<u8>), value: &[u8], captures: Vec<Vec<u8>>) {
        let start = self.bytes.len();
        write_name(&mut self.bytes);
        let split = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.matches.push(FoundMatch { name: start..split, value: split..self.bytes.len(), captures });
    }

    /// Each match: its name (`ARGS:q`), its value and its captures.
    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8], &[Vec<u8>])> {
        self.matches.iter().map(|m| (&self.bytes[m.name.clone()], &self.bytes[m.value.clone()], &m.captures[..]))
    }
}

impl Transaction<'_> {
    /// Runs every rule of `phase` (1-5) unless the transaction is already decided.
    pub(super) fn run_phase(&mut self, phase: u8) -> Option<super::Interruption> {
        if self.interruption.is_some() || self.engine() == EngineMode::Off {
            return self.interruption.clone();
        }
        match self.allow {
            Some(AllowScope::All) if phase < 5 => return None,
            Some(AllowScope::Request) if phase <= 2 => return None,
            _ => self.allow = None,
        }
        self.transformed.clear();
        self.unions.clear_changing(&self.rules.prefilters.groups);
        let rules = self.rules;
        let items = &rules.phases[usize::from(phase.clamp(1, 5)) - 1];
        let mut skip = 0u32;
        let mut skip_after: Option<&str> = None;
        for item in items {
            let rule = match item {
                Item::Marker(name) => {
                    if skip_after == Some(name.as_str()) {
                        skip_after = None;
                    }
                    continue;
                }
                Item::Rule(rule) => rule,
            };
            if skip_after.is_some() {
                continue;
            }
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if self.removed(rule) {
                continue;
            }
            self.matched.vars.clear();
            if !self.evaluate(rule, rule) {
                continue;
            }
            skip = rule.skip;
            skip_after = rule.skip_after.as_deref();
            if self.interruption.is_some() {
                return self.interruption.clone();
            }
            if self.allow.is_some() {
                break;
            }
        }
        None
    }

    /// Evaluates `rule` (part of the chain started by `head`); true when the whole rest of
    /// the chain matched and the actions ran.
    fn evaluate(&mut self, rule: &Rule, head: &Rule) -> bool {
        if !self.may_match(rule) {
            return false;
        }
        // Taken while the effects run, which need the transaction mutably.
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.collect(rule, head, &mut found);
        for (name, value, captures) in found.iter() {
            self.apply_match(rule, head, (name, value), captures);
        }
        let matched = !found.matches.is_empty();
        self.found = found;
        if !matched {
            return false;
        }
        if let Some(next) = &rule.chain
            && !self.evaluate(next, head)
        {
            return false;
        }
        self.after_full_match(rule, head);
        true
    }

    /// Every (transformed) value the operator matches, with its captures, into `found`.
    fn collect(&self, rule: &Rule, head: &Rule, found: &mut Found) {
        let Some(operator) = &rule.operator else {
            return found.push(|_| {}, &[], Vec::new());
        };
        let mut values = ValueList::new();
        for target in &rule.targets {
            let start = values.len();
            self.resolve(target, &mut values);
            if target.count {
                let n = values.len() - start;
                values.truncate(start);
                let count = Cow::Owned(n.to_string().into_bytes());
                values.push(Value {
                    collection: target.collection,
                    key: Cow::Borrowed(&[]),
                    value: count,
                    position: 0,
                });
            }
        }
        if !rule.exclusions.is_empty() || self.overrides.removes_targets() {
            values.retain(|v| !self.excluded(rule, head, v));
        }
        // Nothing changes while a rule collects its matches: a parameter expands once.
        let expanded: RefCell<Option<((*const u8, usize), String)>> = RefCell::new(None);
        let expand = |text: &str| {
            if let Some((at, done)) = &*expanded.borrow()
                && *at == (text.as_ptr(), text.len())
            {
                return done.clone();
            }
            let lookup = |c, k: Option<&str>, out: &mut Vec<u8>| self.lookup(c, k, Some((head.id, "")), out);
            let done = match &operator.param_macros {
                Some((param, parsed)) if param == text => parsed.expand(lookup),
                _ => MacroString::parse(text).map_or_else(|_| text.to_owned(), |m| m.expand(lookup)),
            };
            *expanded.borrow_mut() = Some(((text.as_ptr(), text.len()), done.clone()));
            done
        };
        for v in &values {
            if self.lacks_literals(rule, v) {
                continue;
            }
            let borrowed = matches!(v.value, Cow::Borrowed(_));
            for candidate in self.transformed.candidates(Chain::of(rule), v.collection, &v.value, borrowed) {
                let mut captures = Vec::new();
                let mut ctx = OpContext { expand: &expand, captures: rule.capture.then_some(&mut captures) };
                if operator.op.evaluate(&candidate, &mut ctx) != operator.negated {
                    found.push(|out| v.write_name(out), &candidate, captures);
                }
            }
        }
    }

    fn excluded(&self, rule: &Rule, head: &Rule, v: &Value<'_>) -> bool {
        if rule.exclusions.iter().any(|e| e.excludes(v.collection, &v.key)) {
            return true;
        }
        if !self.overrides.removes_targets() {
            return false;
        }
        let name = v.name();
        let by_id =
            self.overrides.removed_targets_by_id.iter().any(|(ids, t)| ids.contains(head.id) && same_target(t, &name));
        let by_tag = self
            .overrides
            .removed_targets_by_tag
            .iter()
            .any(|(tag, t)| head.tags.iter().any(|x| x == tag) && same_target(t, &name));
        by_id || by_tag
    }

    fn removed(&self, rule: &Rule) -> bool {
        self.overrides.removed_ids.iter().any(|r| r.contains(rule.id))
            || self.overrides.removed_tags.iter().any(|t| rule.tags.contains(t))
    }
}

/// `ARGS:foo` written in a ctl matches the value named `ARGS:foo` (case-insensitively);
/// a bare `ARGS` matches every value of ARGS.
fn same_target(written: &str, name: &[u8]) -> bool {
    let w = written.as_bytes();
    w.eq_ignore_ascii_case(name)
        || (!w.contains(&b':')
            && name.len() > w.len()
            && name[w.len()] == b':'
            && name[..w.len()].eq_ignore_ascii_case(w))
}
