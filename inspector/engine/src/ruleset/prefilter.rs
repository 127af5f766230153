//! The literal prefilter: a rule whose operator can only match values that contain one of a
//! few literals (`@rx` required factors, `@pm` phrases) is skipped, without resolving its
//! targets, when no value of its target collections contains any of them.
//!
//! Rules are grouped by transformation chain. Per chain, one Aho-Corasick automaton holds
//! the literals of all the chain's rules, each literal pointing at its rule's slot. At run
//! time a transaction scans each (chain, collection) [`Group`] at most once per phase: every
//! value of the collection, transformed by the chain, goes through the automaton, and the
//! union of the slots found says which rules could match some value of the collection
//! (`tx::prefilter`). Rules are not scanned one by one, so the cost grows with the
//! request, not with the rule set.
//!
//! Eligible rules: a non-negated operator with required literals, no `multiMatch` (it also
//! matches intermediate results), and only targets from stable request collections,
//! without counting (`&ARGS`). Selectors and exclusions only narrow a collection, so the
//! union over the whole collection is a safe over-approximation.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::{Item, Rule};
use crate::seclang::Collection as C;
use crate::transform::Transform;

/// Every chain's automaton and every (chain, collection) group of a rule set.
#[derive(Debug, Default)]
pub struct Prefilters {
    /// Automata, by chain index.
    pub chains: Vec<ChainFilter>,
    /// (chain, collection) pairs that rules target, by group index.
    pub groups: Vec<Group>,
}

/// One transformation chain and the literals of the rules that use it.
#[derive(Debug)]
pub struct ChainFilter {
    /// The chain's transformations, as the rules name them.
    pub transforms: Vec<(String, Transform)>,
    /// Cache keys of the chain's prefixes (see `Rule::transform_keys`).
    pub keys: Vec<u64>,
    /// Words of a slot bit set of this chain.
    pub words: usize,
    automaton: AhoCorasick,
    slot_of_pattern: Vec<u32>,
}

/// A chain applied to a collection: the unit that a transaction scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Group {
    /// Index into [`Prefilters::chains`].
    pub chain: u32,
    /// The collection whose values are scanned.
    pub collection: C,
}

/// A rule's place in the prefilter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulePrefilter {
    /// The rule's bit in its chain's slot sets.
    pub slot: u32,
    /// One group per target of the rule.
    pub groups: Vec<u32>,
}

impl ChainFilter {
    /// Sets in `bits` the slot of every rule with a literal in `value`.
    pub fn scan(&self, value: &[u8], bits: &mut [u64]) {
        for m in self.automaton.find_overlapping_iter(value) {
            let slot = self.slot_of_pattern[m.pattern().as_usize()] as usize;
            bits[slot / 64] |= 1 << (slot % 64);
        }
    }
}

/// Whether `slot` is set in `bits`.
pub fn has(bits: &[u64], slot: u32) -> bool {
    let slot = slot as usize;
    bits.get(slot / 64).is_some_and(|w| w & (1 << (slot % 64)) != 0)
}

/// Collections whose values stay the same for a whole phase (request data).
fn stable(c: C) -> bool {
    matches!(
        c,
        C::Args
            | C::ArgsGet
            | C::ArgsPost
            | C::ArgsNames
            | C::ArgsGetNames
            | C::ArgsPostNames
            | C::RequestHeaders
            | C::RequestHeadersNames
            | C::RequestCookies
            | C::RequestCookiesNames
            | C::RequestUri
            | C::RequestUriRaw
            | C::RequestFilename
            | C::RequestBasename
            | C::RequestLine
            | C::RequestMethod
            | C::RequestProtocol
            | C::QueryString
            | C::RequestBody
            | C::Files
            | C::FilesNames
            | C::Xml
            | C::ResponseBody
            | C::ResponseHeaders
            | C::ResponseHeadersNames
    )
}

/// Literals gathered per chain while assigning slots.
#[derive(Default)]
struct Draft {
    transforms: Vec<(String, Transform)>,
    keys: Vec<u64>,
    literals: Vec<Vec<u8>>,
    slot_of_pattern: Vec<u32>,
    slots: u32,
}

/// Assigns every eligible rule (chained rules included) its slot and groups, and builds the
/// automata.
pub(super) fn build(phases: &mut [Vec<Item>; 5]) -> Prefilters {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut chain_index: HashMap<Vec<String>, u32> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_index: HashMap<Group, u32> = HashMap::new();
    for item in phases.iter_mut().flatten() {
        let Item::Rule(rule) = item else { continue };
        let mut link: Option<&mut Rule> = Some(rule);
        while let Some(rule) = link {
            if let Some(literals) = eligible_literals(rule) {
                let names: Vec<String> = rule.transforms.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
                let chain = *chain_index.entry(names).or_insert_with(|| {
                    drafts.push(Draft {
                        transforms: rule.transforms.clone(),
                        keys: rule.transform_keys.clone(),
                        ..Draft::default()
                    });
                    (drafts.len() - 1) as u32
                });
                let draft = &mut drafts[chain as usize];
                let slot = draft.slots;
                draft.slots += 1;
                draft.slot_of_pattern.extend(literals.iter().map(|_| slot));
                draft.literals.extend(literals);
                let rule_groups = rule.targets.iter().map(|t| {
                    let group = Group { chain, collection: t.collection };
                    *group_index.entry(group).or_insert_with(|| {
                        groups.push(group);
                        (groups.len() - 1) as u32
                    })
                });
                rule.prefilter = Some(RulePrefilter { slot, groups: rule_groups.collect() });
            }
            link = rule.chain.as_deref_mut();
        }
    }
    let chains = drafts.into_iter().map(automaton_of).collect::<Option<Vec<_>>>();
    match chains {
        Some(chains) => Prefilters { chains, groups },
        None => {
            // An automaton failed to build (size limits): no rule is skipped.
            clear(phases);
            Prefilters::default()
        }
    }
}

/// The literals of an eligible rule (see the module docs).
fn eligible_literals(rule: &Rule) -> Option<Vec<Vec<u8>>> {
    let op = rule.operator.as_ref()?;
    let stable_targets = !rule.targets.is_empty() && rule.targets.iter().all(|t| !t.count && stable(t.collection));
    if op.negated || rule.multi_match || !stable_targets {
        return None;
    }
    let prefilter = op.op.prefilter()?;
    let usable = !prefilter.literals.is_empty() && prefilter.literals.iter().all(|l| !l.is_empty());
    (usable && prefilter.case_insensitive).then_some(prefilter.literals)
}

fn automaton_of(draft: Draft) -> Option<ChainFilter> {
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        // A DFA scans fastest; chains are few, so its memory stays small.
        .kind(Some(AhoCorasickKind::DFA))
        .build(&draft.literals)
        .ok()?;
    Some(ChainFilter {
        transforms: draft.transforms,
        keys: draft.keys,
        words: (draft.slots as usize).div_ceil(64),
        automaton,
        slot_of_pattern: draft.slot_of_pattern,
    })
}

fn clear(phases: &mut [Vec<Item>; 5]) {
    for item in phases.iter_mut().flatten() {
        let Item::Rule(rule) = item else { continue };
        let mut link: Option<&mut Rule> = Some(rule);
        while let Some(rule) = link {
            rule.prefilter = None;
            link = rule.chain.as_deref_mut();
        }
    }
}
