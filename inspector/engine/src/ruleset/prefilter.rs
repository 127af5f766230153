//! The literal prefilter: a rule whose operator can only match values that contain one of a
//! few literals (`@rx` required factors, `@pm` phrases) is skipped, without resolving its
//! targets, when no value of its targets contains any of them.
//!
//! Rules are grouped by transformation chain, less a trailing `t:lowercase` (the scan is
//! ASCII-case-insensitive anyway); each rule gets a slot in its chain. One Aho-Corasick DFA
//! holds the literals of every rule, each pointing at its rule's bit in a *row*: the slots
//! of every chain side by side, each chain from a word boundary.
//!
//! At run time a transaction works out each (chain, target) [`Group`] at most once per
//! phase: the union, over every value of the target (a collection, or one key of it:
//! `REQUEST_HEADERS:User-Agent`) transformed by the chain, of the slots whose literals it
//! holds. A value that the chain leaves as it is (most, see `transform::trigger`) is scanned
//! once for all chains; only values a chain changes are scanned again, transformed
//! (`tx::prefilter`). Rules are not scanned one by one, so the cost grows with the number
//! of values, not with the number of rules or chains.
//!
//! Eligible rules: a non-negated operator with selective required literals, no `multiMatch` (it also
//! matches intermediate results), and only targets from stable request collections,
//! without counting (`&ARGS`). Regex selectors and exclusions only narrow a collection, so
//! the union over the whole collection is a safe over-approximation for them.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::targets::Select;
use super::{Item, Rule};
use crate::seclang::Collection as C;
use crate::transform::Transform;
use crate::transform::trigger::Mask;

/// The automaton, every chain and every (chain, target) group of a rule set.
#[derive(Debug, Default)]
pub struct Prefilters {
    /// Chains, by chain index.
    pub chains: Vec<ChainFilter>,
    /// (chain, target) pairs of the rules, by group index.
    pub groups: Vec<Group>,
    /// Words of a row (every chain's slots).
    pub row_words: usize,
    /// Every literal; `None` when no rule has one.
    automaton: Option<AhoCorasick>,
    /// Each literal's bit in a row.
    bit_of_pattern: Vec<u32>,
}

/// One transformation chain, and where its rules' slots sit in a row.
#[derive(Debug)]
pub struct ChainFilter {
    /// The chain's transformations, as the rules name them.
    pub transforms: Vec<(String, Transform)>,
    /// Cache keys of the chain's prefixes (see `Rule::transform_keys`).
    pub keys: Vec<u64>,
    /// The chain's transformations as a set.
    pub mask: Mask,
    /// The chain's first word in a row.
    pub first_word: usize,
    /// Words of a slot bit set of this chain.
    pub words: usize,
}

/// A chain applied to a target: the unit that a transaction scans.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Group {
    /// Index into [`Prefilters::chains`].
    pub chain: u32,
    /// The collection whose values are scanned.
    pub collection: C,
    /// Only the values of this key (lower-cased), for an exact selector (`ARGS:q`).
    pub key: Option<Vec<u8>>,
}

/// A rule's place in the prefilter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulePrefilter {
    /// Index into [`Prefilters::chains`].
    pub chain: u32,
    /// The rule's bit in its chain's slot sets.
    pub slot: u32,
    /// One group per target of the rule.
    pub groups: Vec<u32>,
}

impl Prefilters {
    /// Sets in `row` (of `row_words` words) the bit of every rule with a literal in `value`.
    pub fn scan(&self, value: &[u8], row: &mut [u64]) {
        let Some(automaton) = &self.automaton else { return };
        for m in automaton.find_overlapping_iter(value) {
            let bit = self.bit_of_pattern[m.pattern().as_usize()] as usize;
            row[bit / 64] |= 1 << (bit % 64);
        }
    }
}

impl ChainFilter {
    /// The chain's slot bits within a row.
    pub fn part<'r>(&self, row: &'r [u64]) -> &'r [u64] {
        &row[self.first_word..self.first_word + self.words]
    }
}

/// Whether `slot` is set in `bits`.
pub fn has(bits: &[u64], slot: u32) -> bool {
    let slot = slot as usize;
    bits.get(slot / 64).is_some_and(|w| w & (1 << (slot % 64)) != 0)
}

/// Collections that `request_headers` sets once and nothing changes later.
pub fn from_request_head(c: C) -> bool {
    matches!(
        c,
        C::RequestHeaders
            | C::RequestHeadersNames
            | C::RequestCookies
            | C::RequestCookiesNames
            | C::ArgsGet
            | C::ArgsGetNames
            | C::RequestUri
            | C::RequestUriRaw
            | C::RequestFilename
            | C::RequestBasename
            | C::RequestLine
            | C::RequestMethod
            | C::RequestProtocol
            | C::QueryString
    )
}

/// Collections whose values stay the same for a whole phase (request and response data).
fn stable(c: C) -> bool {
    from_request_head(c)
        || matches!(
            c,
            C::Args
                | C::ArgsPost
                | C::ArgsNames
                | C::ArgsPostNames
                | C::RequestBody
                | C::Files
                | C::FilesNames
                | C::Xml
                | C::ResponseBody
                | C::ResponseHeaders
                | C::ResponseHeadersNames
        )
}

/// Rules whose literals benign text holds this often (lone common letters) gain nothing
/// from the one shared scan but its extra matches: they run unfiltered. Shell separators
/// (`;`, `|`, `&`, `` ` ``: 932100-932115) and similar punctuation stay under it.
const MAX_HIT_RATE: f64 = 0.1;

/// Literals gathered per chain while assigning slots.
#[derive(Default)]
struct Draft {
    transforms: Vec<(String, Transform)>,
    keys: Vec<u64>,
    literals: Vec<(Vec<u8>, u32)>,
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
                let mut names: Vec<String> = rule.transforms.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
                // A trailing `lowercase` changes nothing for an ASCII-case-insensitive scan:
                // `[urlDecodeUni, lowercase]` is scanned as `[urlDecodeUni]`.
                while names.last().is_some_and(|n| n == "lowercase") {
                    names.pop();
                }
                let len = names.len();
                let chain = *chain_index.entry(names).or_insert_with(|| {
                    drafts.push(Draft {
                        transforms: rule.transforms[..len].to_vec(),
                        keys: rule.transform_keys[..len].to_vec(),
                        ..Draft::default()
                    });
                    (drafts.len() - 1) as u32
                });
                let draft = &mut drafts[chain as usize];
                let slot = draft.slots;
                draft.slots += 1;
                draft.literals.extend(literals.into_iter().map(|l| (l, slot)));
                let rule_groups = rule.targets.iter().map(|t| {
                    let key = match &t.select {
                        Some(Select::Key(k)) => Some(k.clone()),
                        _ => None,
                    };
                    let group = Group { chain, collection: t.collection, key };
                    *group_index.entry(group.clone()).or_insert_with(|| {
                        groups.push(group);
                        (groups.len() - 1) as u32
                    })
                });
                rule.prefilter = Some(RulePrefilter { chain, slot, groups: rule_groups.collect() });
            }
            link = rule.chain.as_deref_mut();
        }
    }
    match assemble(drafts, groups) {
        Some(prefilters) => prefilters,
        None => {
            // The automaton failed to build (size limits): no rule is skipped.
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
    let usable = !prefilter.literals.is_empty()
        && prefilter.literals.iter().all(|l| !l.is_empty())
        && prefilter.hit_rate() <= MAX_HIT_RATE;
    (usable && prefilter.case_insensitive).then_some(prefilter.literals)
}

/// Lays the chains out in a row and builds the one automaton.
fn assemble(drafts: Vec<Draft>, groups: Vec<Group>) -> Option<Prefilters> {
    let mut chains = Vec::with_capacity(drafts.len());
    let mut literals = Vec::new();
    let mut bit_of_pattern = Vec::new();
    let mut row_words = 0;
    for draft in drafts {
        let words = (draft.slots as usize).div_ceil(64);
        let first_bit = u32::try_from(row_words * 64).ok()?;
        for (literal, slot) in draft.literals {
            literals.push(literal);
            bit_of_pattern.push(first_bit + slot);
        }
        chains.push(ChainFilter {
            mask: super::rule::mask_of(&draft.transforms),
            transforms: draft.transforms,
            keys: draft.keys,
            first_word: row_words,
            words,
        });
        row_words += words;
    }
    let automaton = if literals.is_empty() {
        None
    } else {
        let built = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // A DFA scans fastest; one for the whole rule set stays a few MiB.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals);
        Some(built.ok()?)
    };
    Some(Prefilters { chains, groups, row_words, automaton, bit_of_pattern })
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
