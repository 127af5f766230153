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

/// What the prefilter found in this phase. Its buffers are flat and kept from phase to
/// phase, so a phase allocates nothing once they have grown to the rule set's size.
#[derive(Debug, Default)]
pub(super) struct Unions {
    bits: RefCell<GroupBits>,
    /// Per collection, its values as scanned.
    scans: RefCell<Vec<Scanned>>,
    /// A group's union while it is worked out, and one candidate's row.
    scratch: RefCell<(Vec<u64>, Vec<u64>)>,
}

/// The slot bit sets of the groups worked out, one after another in `words`.
#[derive(Debug, Default)]
struct GroupBits {
    /// By group index: where its bits start in `words`, or [`UNKNOWN`].
    at: Vec<u32>,
    words: Vec<u64>,
}

/// A group not worked out in this phase.
const UNKNOWN: u32 = u32::MAX;

/// The values of one collection (the one whose index it has in `Unions::scans`), scanned as
/// they are: by position, a row (every chain's slots) and the transformations that may change
/// the value. Values that the same transformations may change form a class, with the union
/// of their rows: a chain that changes none of a class's values takes the class's union, so
/// a group costs one step per class (a few), not one per value. `fresh` is false until the
/// collection is scanned in this phase.
#[derive(Debug, Default)]
struct Scanned {
    fresh: bool,
    rows: Vec<u64>,
    changes: Vec<Mask>,
    classes: Vec<Mask>,
    class_rows: Vec<u64>,
}

impl GroupBits {
    /// The bits of group `g` (of `len` words), if worked out.
    fn of(&self, g: usize, len: usize) -> Option<&[u64]> {
        let at = *self.at.get(g)?;
        (at != UNKNOWN).then(|| &self.words[at as usize..at as usize + len])
    }
}

impl Unions {
    /// Forgets everything (new request values).
    pub fn clear(&self) {
        let mut bits = self.bits.borrow_mut();
        bits.at.clear();
        bits.words.clear();
        self.scans.borrow_mut().iter_mut().for_each(|s| s.fresh = false);
    }

    /// Forgets what a body or a response may change (a new phase); the request line and
    /// headers stay as they were.
    pub fn clear_changing(&self, groups: &[Group]) {
        let mut bits = self.bits.borrow_mut();
        for (at, group) in bits.at.iter_mut().zip(groups) {
            if !from_request_head(group.collection) {
                *at = UNKNOWN;
            }
        }
        for (scanned, &collection) in self.scans.borrow_mut().iter_mut().zip(C::ALL) {
            if !from_request_head(collection) {
                scanned.fresh = false;
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
        let Some(scanned) = scans.get(v.collection as usize).filter(|s| s.fresh) else { return false };
        let words = prefilters.row_words;
        match (scanned.rows.get(v.position * words..(v.position + 1) * words), scanned.changes.get(v.position)) {
            (Some(row), Some(changes)) => changes & chain.mask == 0 && !has(chain.part(row), p.slot),
            _ => false,
        }
    }

    /// Whether the union of `group` has `slot`, scanning the group first if needed.
    fn group_has(&self, group: u32, slot: u32) -> bool {
        let g = group as usize;
        let prefilters = &self.rules.prefilters;
        let len = prefilters.chains[prefilters.groups[g].chain as usize].words;
        if let Some(bits) = self.unions.bits.borrow().of(g, len) {
            return has(bits, slot);
        }
        let mut scratch = self.unions.scratch.borrow_mut();
        let (union, row) = &mut *scratch;
        self.scan_group(g, union, row);
        let found = has(union, slot);
        let mut all = self.unions.bits.borrow_mut();
        if all.at.len() <= g {
            all.at.resize(prefilters.groups.len().max(g + 1), UNKNOWN);
        }
        all.at[g] = u32::try_from(all.words.len()).unwrap_or(UNKNOWN);
        all.words.extend_from_slice(union);
        found
    }

    /// Into `union`: the slots found in every value of the group's target, transformed by
    /// the group's chain (`row` is room for one candidate's scan).
    fn scan_group(&self, g: usize, union: &mut Vec<u64>, row: &mut Vec<u64>) {
        let prefilters = &self.rules.prefilters;
        let group = &prefilters.groups[g];
        let filter = &prefilters.chains[group.chain as usize];
        union.clear();
        union.resize(filter.words, 0);
        self.scan_collection(group.collection);
        let scans = self.unions.scans.borrow();
        let Some(scanned) = scans.get(group.collection as usize).filter(|s| s.fresh) else { return };
        let words = prefilters.row_words;
        // A whole collection: the classes the chain leaves alone count as they were scanned,
        // and only the values of the others are transformed.
        let whole = group.key.is_none();
        if whole {
            let mut all_alone = true;
            for (class, class_row) in scanned.classes.iter().zip(scanned.class_rows.chunks_exact(words)) {
                if class & filter.mask == 0 {
                    or_into(union, filter.part(class_row));
                } else {
                    all_alone = false;
                }
            }
            if all_alone {
                return;
            }
        }
        let chain = Chain { transforms: &filter.transforms, keys: &filter.keys, mask: filter.mask, multi_match: false };
        self.each_value(group.collection, |position, key, value, borrowed| {
            if group.key.as_ref().is_some_and(|k| !k.eq_ignore_ascii_case(key)) {
                return;
            }
            let scanned_row = scanned.rows.get(position * words..(position + 1) * words);
            if let (Some(scanned_row), Some(changes)) = (scanned_row, scanned.changes.get(position))
                && changes & filter.mask == 0
            {
                if !whole {
                    or_into(union, filter.part(scanned_row));
                }
                return; // A whole collection counted it with its class.
            }
            for candidate in self.transformed.candidates(chain, group.collection, value, borrowed) {
                // A chain may leave a value it could have changed as it was: scanned already.
                let unchanged = candidate.as_ptr() == value.as_ptr() && candidate.len() == value.len();
                match scanned_row {
                    Some(scanned_row) if unchanged => or_into(union, filter.part(scanned_row)),
                    _ => {
                        row.clear();
                        row.resize(words, 0);
                        prefilters.scan(&candidate, row);
                        or_into(union, filter.part(row));
                    }
                }
            }
        });
    }

    /// Scans every value of collection `c` as it is, once per phase.
    fn scan_collection(&self, c: C) {
        let at = c as usize;
        let mut scans = self.unions.scans.borrow_mut();
        if scans.get(at).is_some_and(|s| s.fresh) {
            return;
        }
        if scans.len() <= at {
            scans.resize_with(at + 1, Scanned::default);
        }
        let prefilters = &self.rules.prefilters;
        let words = prefilters.row_words;
        let scanned = &mut scans[at];
        scanned.rows.clear();
        scanned.changes.clear();
        scanned.classes.clear();
        scanned.class_rows.clear();
        self.each_value(c, |_, _, value, _| {
            let start = scanned.rows.len();
            scanned.rows.resize(start + words, 0);
            prefilters.scan(value, &mut scanned.rows[start..]);
            let changes = trigger::changes(value);
            scanned.changes.push(changes);
            let class = match scanned.classes.iter().position(|&m| m == changes) {
                Some(class) => class,
                None => {
                    scanned.classes.push(changes);
                    scanned.class_rows.resize(scanned.class_rows.len() + words, 0);
                    scanned.classes.len() - 1
                }
            };
            let (rows, class_rows) = (&scanned.rows[start..], &mut scanned.class_rows[class * words..]);
            or_into(class_rows, rows);
        });
        scanned.fresh = true;
    }
}

fn or_into(bits: &mut [u64], part: &[u64]) {
    for (b, p) in bits.iter_mut().zip(part) {
        *b |= p;
    }
}
