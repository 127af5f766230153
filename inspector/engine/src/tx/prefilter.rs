//! The literal prefilter at run time (see `ruleset::prefilter`): per phase, each (chain,
//! collection) group is scanned at most once, when a rule first asks for it, and a rule
//! runs only if one of its groups found one of its literals.

use std::cell::RefCell;

use super::state::Transaction;
use super::transformed::Chain;
use crate::ruleset::Rule;
use crate::ruleset::prefilter::has;
use crate::ruleset::targets::Target;

/// Slot bit sets of the groups scanned in this phase, by group index.
#[derive(Debug, Default)]
pub(super) struct Unions {
    bits: RefCell<Vec<Option<Box<[u64]>>>>,
}

impl Unions {
    /// Forgets every scan (a new phase: values may have changed).
    pub fn clear(&self) {
        self.bits.borrow_mut().clear();
    }
}

impl Transaction<'_> {
    /// Whether `rule` may match: false only when no value of any of its targets contains
    /// one of its operator's required literals.
    pub(super) fn may_match(&self, rule: &Rule) -> bool {
        let Some(p) = &rule.prefilter else { return true };
        p.groups.iter().any(|&group| self.group_has(group, p.slot))
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

    /// The union of the slots found in every value of the group's collection, transformed
    /// by the group's chain (results are shared with the rules through the cache).
    fn scan_group(&self, g: usize) -> Box<[u64]> {
        let prefilters = &self.rules.prefilters;
        let group = prefilters.groups[g];
        let filter = &prefilters.chains[group.chain as usize];
        let mut bits = vec![0u64; filter.words].into_boxed_slice();
        let mut values = Vec::new();
        self.resolve(&Target { collection: group.collection, count: false, select: None }, &mut values);
        let chain = Chain { transforms: &filter.transforms, keys: &filter.keys, multi_match: false };
        for v in &values {
            let borrowed = matches!(v.value, std::borrow::Cow::Borrowed(_));
            for candidate in self.transformed.candidates(chain, v.collection, &v.value, borrowed) {
                filter.scan(&candidate, &mut bits);
            }
        }
        bits
    }
}
