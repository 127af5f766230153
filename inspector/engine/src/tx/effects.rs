//! What matches do: matched variables, captures, `setvar`, `ctl`, the audit record and the
//! disruptive action.

use std::borrow::Cow;

use super::resolve::{atoi, persistent};
use super::state::{InterruptAction, Interruption, MatchedRule, Transaction};
use crate::request::BodyProcessor;
use crate::ruleset::Rule;
use crate::ruleset::actions::{Ctl, Disruptive, SetOp, SetVar};
use crate::ruleset::macros::MacroString;
use crate::seclang::{Collection, EngineMode};

impl Transaction<'_> {
    /// Effects of one matched value: `MATCHED_VAR*`, captures, then the rule's `setvar`s.
    pub(super) fn apply_match(
        &mut self,
        rule: &Rule,
        head: &Rule,
        (name, value): (&[u8], &[u8]),
        captures: &[Vec<u8>],
    ) {
        if rule.capture {
            const GROUPS: [&[u8]; 10] = [b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9"];
            for (key, group) in GROUPS.into_iter().zip(captures) {
                self.tx.set(key, group.clone());
            }
        }
        // MATCHED_VAR and MATCHED_VAR_NAME reuse their buffers; MATCHED_VARS is kept only for
        // a chain that reads it.
        self.matched.var.clear();
        self.matched.var.extend_from_slice(value);
        self.matched.name.clear();
        self.matched.name.extend_from_slice(name);
        if rule.keeps_matched_vars {
            self.matched.vars.push(name, value);
        }
        for setvar in &rule.setvars {
            self.setvar(setvar, head);
        }
    }

    /// Effects once the chain from `rule` on matched: `ctl`s, the audit record (for the
    /// chain's first rule) and the disruptive action.
    pub(super) fn after_full_match(&mut self, rule: &Rule, head: &Rule) {
        for ctl in &rule.ctls {
            self.ctl(ctl);
        }
        if !std::ptr::eq(rule, head) {
            return;
        }
        let msg = rule.msg.as_ref().map(|m| self.expand(m, head)).unwrap_or_default();
        let data = rule.logdata.as_ref().map(|m| self.expand(m, head)).unwrap_or_default();
        self.matches.push(MatchedRule {
            id: head.id,
            phase: head.phase,
            msg,
            data,
            severity: rule.severity,
            tags: rule.tags.clone(),
            logged: rule.log,
        });
        let status = rule.status.unwrap_or(403);
        let action = match &rule.disruptive {
            Some(Disruptive::Deny) => Some(InterruptAction::Deny),
            Some(Disruptive::Drop) => Some(InterruptAction::Drop),
            Some(Disruptive::Redirect(to)) => Some(InterruptAction::Redirect(self.expand(to, head))),
            Some(Disruptive::Allow(scope)) => {
                if self.engine() == EngineMode::On {
                    self.allow = Some(*scope);
                }
                None
            }
            Some(Disruptive::Pass | Disruptive::Block) | None => None,
        };
        if let Some(action) = action
            && self.engine() == EngineMode::On
        {
            let status =
                if matches!(action, InterruptAction::Redirect(_)) { rule.status.unwrap_or(302) } else { status };
            self.interruption = Some(Interruption { rule_id: head.id, status, action });
        }
    }

    /// Expands a macro string in the context of rule `head`.
    pub(super) fn expand(&self, m: &MacroString, head: &Rule) -> String {
        m.expand(|c, k, out| self.lookup(c, k, Some((head.id, "")), out))
    }

    /// A `setvar` operand: constant ones (most of CRS's) as they are, without an expansion.
    fn operand<'m>(&self, v: &'m MacroString, head: &Rule) -> Cow<'m, str> {
        match v.as_text() {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(self.expand(v, head)),
        }
    }

    fn setvar(&mut self, setvar: &SetVar, head: &Rule) {
        // Keys are lower-cased when parsed; only expanded macros can bring capitals back.
        let key: Cow<'_, [u8]> = match setvar.key.as_text() {
            Some(text) => Cow::Borrowed(text.as_bytes()),
            None => {
                let mut key = self.expand(&setvar.key, head).into_bytes();
                key.make_ascii_lowercase();
                Cow::Owned(key)
            }
        };
        let store = match setvar.collection {
            Collection::Tx => &self.tx,
            other => &self.persistent[persistent(other)],
        };
        let current = || atoi(store.first(&key).unwrap_or_default());
        let operand = |v| self.operand(v, head);
        let value = match &setvar.op {
            SetOp::Set(v) => Some(operand(v).into_owned()),
            SetOp::Add(v) => Some((current().saturating_add(atoi(operand(v).as_bytes()))).to_string()),
            SetOp::Sub(v) => Some((current().saturating_sub(atoi(operand(v).as_bytes()))).to_string()),
            SetOp::One => Some("1".to_owned()),
            SetOp::Delete => None,
        };
        let store = match setvar.collection {
            Collection::Tx => &mut self.tx,
            other => &mut self.persistent[persistent(other)],
        };
        match value {
            Some(v) => store.set(&key, v.into_bytes()),
            None => store.remove(&key),
        }
    }

    fn ctl(&mut self, ctl: &Ctl) {
        let o = &mut self.overrides;
        match ctl {
            Ctl::RuleEngine(mode) => o.engine = Some(*mode),
            Ctl::RemoveById(range) => o.removed_ids.push(*range),
            Ctl::RemoveByTag(tag) => o.removed_tags.push(tag.clone()),
            Ctl::RemoveTargetById(range, target) => o.removed_targets_by_id.push((*range, target.clone())),
            Ctl::RemoveTargetByTag(tag, target) => o.removed_targets_by_tag.push((tag.clone(), target.clone())),
            Ctl::RequestBodyAccess(on) => o.request_body_access = Some(*on),
            Ctl::ForceRequestBodyVariable(on) => o.force_request_body = *on,
            Ctl::BodyProcessor(name) => {
                self.request.body_processor = match name.as_str() {
                    "JSON" => Some(BodyProcessor::Json),
                    "XML" => Some(BodyProcessor::Xml),
                    "URLENCODED" => Some(BodyProcessor::UrlEncoded),
                    "MULTIPART" => Some(BodyProcessor::Multipart),
                    _ => self.request.body_processor,
                }
            }
            Ctl::Ignored(_) => {}
        }
    }
}
