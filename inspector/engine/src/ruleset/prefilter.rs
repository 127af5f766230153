//! The literal prefilter: for every transformation chain, one Aho-Corasick automaton over the
//! required literals of all `@rx`/`@pm`-like operators that run after that chain. One scan of
//! a transformed value tells which of those operators could possibly match it; the others are
//! not run at all.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Item, Rule};

/// Automata by the key of the chain they serve (see `Rule::chain_key`).
#[derive(Debug, Default)]
pub struct Prefilters {
    groups: HashMap<u64, Group>,
}

/// The automaton of one chain and, per pattern, the rule slot it speaks for.
#[derive(Debug)]
struct Group {
    automaton: AhoCorasick,
    slot_of_pattern: Vec<u32>,
    slots: u32,
}

impl Prefilters {
    /// Assigns every eligible rule a slot in its chain's group and builds the automata.
    /// Eligible: a non-negated operator with required literals, without `multiMatch`.
    pub(super) fn build(phases: &mut [Vec<Item>; 5]) -> Self {
        let mut literals: HashMap<u64, Vec<(Vec<u8>, u32)>> = HashMap::new();
        let mut slots: HashMap<u64, u32> = HashMap::new();
        for item in phases.iter_mut().flatten() {
            let Item::Rule(rule) = item else { continue };
            let mut link: Option<&mut Rule> = Some(rule);
            while let Some(rule) = link {
                assign(rule, &mut literals, &mut slots);
                link = rule.chain.as_deref_mut();
            }
        }
        let mut groups = HashMap::new();
        for (key, patterns) in literals {
            let builder = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(patterns.iter().map(|(lit, _)| lit.as_slice()));
            if let Ok(automaton) = builder {
                let slot_of_pattern = patterns.iter().map(|(_, slot)| *slot).collect();
                groups.insert(key, Group { automaton, slot_of_pattern, slots: slots[&key] });
            }
        }
        Self { groups }
    }

    /// The slots of chain `key` whose literals occur in `value` (a bit set).
    pub fn scan(&self, key: u64, value: &[u8]) -> Option<Vec<u64>> {
        let group = self.groups.get(&key)?;
        let mut bits = vec![0u64; (group.slots as usize).div_ceil(64)];
        for m in group.automaton.find_overlapping_iter(value) {
            let slot = group.slot_of_pattern[m.pattern().as_usize()] as usize;
            bits[slot / 64] |= 1 << (slot % 64);
        }
        Some(bits)
    }
}

fn assign(rule: &mut Rule, literals: &mut HashMap<u64, Vec<(Vec<u8>, u32)>>, slots: &mut HashMap<u64, u32>) {
    let Some(op) = &rule.operator else { return };
    if op.negated || rule.multi_match {
        return;
    }
    let Some(prefilter) = op.op.prefilter() else { return };
    if prefilter.literals.is_empty() || prefilter.literals.iter().any(Vec::is_empty) {
        return;
    }
    let key = rule.chain_key();
    let slot = slots.entry(key).or_insert(0);
    let group = literals.entry(key).or_default();
    group.extend(prefilter.literals.into_iter().map(|lit| (lit, *slot)));
    rule.prefilter_slot = Some(*slot);
    *slot += 1;
}

/// Whether `slot` is set in `bits`.
pub fn has(bits: &[u64], slot: u32) -> bool {
    let slot = slot as usize;
    bits.get(slot / 64).is_some_and(|w| w & (1 << (slot % 64)) != 0)
}
