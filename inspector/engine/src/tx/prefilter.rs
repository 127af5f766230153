//! The literal prefilter at run time (see `ruleset::prefilter`): per phase, each (chain,
//! target) group is worked out at most once, when a rule first asks for it, and a rule
//! runs only if one of its groups found one of its literals. Each collection's values are
//! scanned once, for every chain at a time (their rows); a value is scanned again only for
//! a chain that changes it.

use std::cell::{Ref, RefCell};

use super::resolve::{Value, ValueList};
use super::state::Transaction;
use super::transformed::Chain;
use crate::ruleset::Rule;
use crate::ruleset::prefilter::has;
use crate::ruleset::targets::Target;
use crate::seclang::Collection as C;
use crate::transform::trigger;

/// What the prefilter found in this phase.
#[derive(Debug, Default)]
pub(super) struct Unions {
    /// Slot bit sets of the groups worked out, by group index.
    bits: RefCell<Vec<Option<Box<[u64]>>>>,
    /// Per collection, the rows of its values as they are, one after another.
    rows: RefCell<Vec<Option<Vec<u64>>>>,
}

impl Unions {
    /// Forgets everything (a new phase: values may have changed).
    pub fn clear(&self) {
        self.bits.borrow_mut().clear();
        self.rows.borrow_mut().clear();
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
        let rows = self.unions.rows.borrow();
        let Some(Some(rows)) = rows.get(v.collection as usize) else { return false };
        let words = prefilters.row_words;
        let Some(row) = rows.get(v.position * words..(v.position + 1) * words) else { return false };
        !has(chain.part(row), p.slot) && !trigger::may_change(&v.value, chain.mask)
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
        let mut values = ValueList::new();
        self.resolve(&Target { collection: group.collection, count: false, select: None }, &mut values);
        let rows = self.rows(group.collection, &values);
        let words = prefilters.row_words;
        let chain = Chain { transforms: &filter.transforms, keys: &filter.keys, mask: filter.mask, multi_match: false };
        let mut scratch = Vec::new();
        for (i, v) in values.iter().enumerate() {
            if group.key.as_ref().is_some_and(|key| !key.eq_ignore_ascii_case(&v.key)) {
                continue;
            }
            match rows.get(i * words..(i + 1) * words) {
                Some(row) if !trigger::may_change(&v.value, filter.mask) => union(&mut bits, filter.part(row)),
                _ => {
                    let borrowed = matches!(v.value, std::borrow::Cow::Borrowed(_));
                    for candidate in self.transformed.candidates(chain, v.collection, &v.value, borrowed) {
                        scratch.clear();
                        scratch.resize(words, 0);
                        prefilters.scan(&candidate, &mut scratch);
                        union(&mut bits, filter.part(&scratch));
                    }
                }
            }
        }
        bits
    }

    /// The rows of `values` (every value of collection `c`), scanned on first use.
    fn rows(&self, c: C, values: &[Value<'_>]) -> Ref<'_, [u64]> {
        let at = c as usize;
        {
            let mut all = self.unions.rows.borrow_mut();
            if all.len() <= at {
                all.resize_with(at + 1, || None);
            }
            if all[at].is_none() {
                let prefilters = &self.rules.prefilters;
                let mut rows = vec![0u64; prefilters.row_words * values.len()];
                for (v, row) in values.iter().zip(rows.chunks_exact_mut(prefilters.row_words.max(1))) {
                    prefilters.scan(&v.value, row);
                }
                all[at] = Some(rows);
            }
        }
        Ref::map(self.unions.rows.borrow(), |all| all.get(at).and_then(Option::as_deref).unwrap_or_default())
    }
}

fn union(bits: &mut [u64], part: &[u64]) {
    for (b, p) in bits.iter_mut().zip(part) {
        *b |= p;
    }
}
