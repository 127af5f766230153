//! The literal prefilter at run time (see `ruleset::prefilter`): per phase, each (chain,
//! target) group is worked out at most once, when a rule first asks for it, and a rule
//! runs only if one of its groups found one of its literals. Each collection's values are
//! scanned once, for every chain at a time (their rows); a value is scanned again only for
//! a chain that changes it.

use std::cell::RefCell;

use super::resolve::Value;
use super::state::Transaction;
use super::transformed::Chain;
use crate::ruleset::Rule;
use crate::ruleset::prefilter::{Group, from_request_head, has};
use crate::seclang::Collection as C;
use crate::transform::trigger::{self, Mask};

/// What the prefilter found in this phase.
#[derive(Debug, Default)]
pub(super) struct Unions {
    /// Slot bit sets of the groups worked out, by group index.
    bits: RefCell<Vec<Option<Box<[u64]>>>>,
    /// Per collection, its values as scanned.
    scans: RefCell<Vec<Option<Scanned>>>,
}

/// The values of one collection, scanned as they are: by position, a row (every chain's
/// slots) and the transformations that may change the value.
#[derive(Debug)]
struct Scanned {
    collection: C,
    rows: Vec<u64>,
    changes: Vec<Mask>,
}

impl Unions {
    /// Forgets everything (new request values).
    pub fn clear(&self) {
        self.bits.borrow_mut().clear();
        self.scans.borrow_mut().clear();
    }

    /// Forgets what a body or a response may change (a new phase); the request line and
    /// headers stay as they were.
    pub fn clear_changing(&self, groups: &[Group]) {
        for (bits, group) in self.bits.borrow_mut().iter_mut().zip(groups) {
            if !from_request_head(group.collection) {
                *bits = None;
            }
        }
        for scanned in self.scans.borrow_mut().iter_mut() {
            if scanned.as_ref().is_some_and(|s| !from_request_head(s.collection)) {
                *scanned = None;
            }
        }
    }
}

impl Transaction<'_> {
    /// Whether `rule` may match: false only when no value of any of its targets contains
    /// one of its operator's required literals.
    pub(super) fn may_match(&self, rule: &Rule) -> bool {
        let Some(p) = &rule.prefilter else { return true };
        p.groups.iter().any(|&group| self.group_has(group, p.slot))
    }

    /// Whether value `v` of one of `rule`'s targets is known to hold none of the rule's
    /// literals: the chain leaves it as it is, and its row (scanned in this phase) lacks
    /// the rule's bit. The operator then cannot match it.
    pub(super) fn lacks_literals(&self, rule: &Rule, v: &Value<'_>) -> bool {
        let Some(p) = &rule.prefilter else { return false };
        let prefilters = &self.rules.prefilters;
        let chain = &prefilters.chains[p.chain as usize];
        let scans = self.unions.scans.borrow();
        let Some(Some(scanned)) = scans.get(v.collection as usize) else { return false };
        let words = prefilters.row_words;
        match (scanned.rows.get(v.position * words..(v.position + 1) * words), scanned.changes.get(v.position)) {
            (Some(row), Some(changes)) => changes & chain.mask == 0 && !has(chain.part(row), p.slot),
            _ => false,
        }
    }

    /// Whether the union of `group` has `slot`, scanning the group first if needed.
    fn group_has(&self, group: u32, slot: u32) -> bool {
        let g = group as usize;
        if let Some(Some(bits)) = self.unions.bits.borrow().get(g) {
            return has(bits, slot);
        }
        let bits = self.scan_group(g);
        let found = has(&bits, slot);
        let mut all = self.unions.bits.borrow_mut();
        if all.len() <= g {
            all.resize(self.rules.prefilters.groups.len().max(g + 1), None);
        }
        all[g] = Some(bits);
        found
    }

    /// The union of the slots found in every value of the group's target, transformed
    /// by the group's chain.
    fn scan_group(&self, g: usize) -> Box<[u64]> {
        let prefilters = &self.rules.prefilters;
        let group = &prefilters.groups[g];
        let filter = &prefilters.chains[group.chain as usize];
        let mut bits = vec![0u64; filter.words].into_boxed_slice();
        self.scan_collection(group.collection);
        let scans = self.unions.scans.borrow();
        let Some(Some(scanned)) = scans.get(group.collection as usize) else { return bits };
        let words = prefilters.row_words;
        let chain = Chain { transforms: &filter.transforms, keys: &filter.keys, mask: filter.mask, multi_match: false };
        let mut scratch = Vec::new();
        self.each_value(group.collection, |position, key, value, borrowed| {
            if group.key.as_ref().is_some_and(|k| !k.eq_ignore_ascii_case(key)) {
                return;
            }
            let row = scanned.rows.get(position * words..(position + 1) * words);
            match (row, scanned.changes.get(position)) {
                (Some(row), Some(changes)) if changes & filter.mask == 0 => union(&mut bits, filter.part(row)),
                _ => {
                    for candidate in self.transformed.candidates(chain, group.collection, value, borrowed) {
                        scratch.clear();
                        scratch.resize(words, 0);
                        prefilters.scan(&candidate, &mut scratch);
                        union(&mut bits, filter.part(&scratch));
                    }
                }
            }
        });
        bits
    }

    /// Scans every value of collection `c` as it is, once per phase.
    fn scan_collection(&self, c: C) {
        let at = c as usize;
        if self.unions.scans.borrow().get(at).is_some_and(Option::is_some) {
            return;
        }
        let prefilters = &self.rules.prefilters;
        let mut scanned = Scanned { collection: c, rows: Vec::new(), changes: Vec::new() };
        self.each_value(c, |_, _, value, _| {
            let start = scanned.rows.len();
            scanned.rows.resize(start + prefilters.row_words, 0);
            prefilters.scan(value, &mut scanned.rows[start..]);
            scanned.changes.push(trigger::changes(value));
        });
        let mut scans = self.unions.scans.borrow_mut();
        if scans.len() <= at {
            scans.resize_with(at + 1, || None);
        }
        scans[at] = Some(scanned);
    }
}

fn union(bits: &mut [u64], part: &[u64]) {
    for (b, p) in bits.iter_mut().zip(part) {
        *b |= p;
    }
}
