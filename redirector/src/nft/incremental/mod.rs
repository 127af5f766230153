//! A node's chain-mode ruleset kept up to date one [`Delta`] at a time, with the result of a
//! full render every time: [`Rendered::apply`] turns a pod joining or leaving existing sets
//! into the set-element updates the diff of two full renders would give, in time linear in
//! the change, and falls back to the full render + [`diff`] whenever the table skeleton might
//! change.
//!
//! The fast path is checked before anything is touched, against three indexes kept beside
//! the ruleset: the membership counts of every local-pod set (`members`), the content groups
//! behind shared peer set names (`sharing`), and the sets' names in the ruleset (sorted,
//! found by binary search). It refuses, and the full path runs, when the delta brings a set
//! the node does not have, changes an `ipBlock` or whether a set holds endpoints, creates or
//! empties a variant (a pod whose grants match none of its policy's, a variant's last pod
//! leaving), splits or merges a group of shared peers, or changes more than one local pod.

mod edits;
mod effective;
mod members;
mod sharing;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use policy_crd::flow::{Delta, LocalPod, SetChange as PlanChange};

use super::config::{ChainConfig, Config};
use super::delta::NodeState;
use super::diff::{Transaction, diff};
use super::model::Ruleset;
use super::node::node;
use edits::{Edits, edits};
use effective::{effective, fold_into};
use members::{Members, Moves};
use sharing::{Regroup, Sharing};

/// A node's chain-mode state with its rendered ruleset and the indexes that let a pod change
/// be turned into set-element updates without rendering the whole node again.
#[derive(Clone, Debug)]
pub struct Rendered {
    state: NodeState,
    cfg: Config,
    chain: ChainConfig,
    ruleset: Ruleset,
    members: Members,
    sharing: Sharing,
    /// The state is not what [`NodeState::apply`] leaves (pods unsorted, sets no grant
    /// references): the next delta takes the full path, which normalises it.
    stale: bool,
    counts: Counts,
}

/// How many deltas took each path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Element-only, from the indexes.
    pub elements: usize,
    /// Full render and diff.
    pub renders: usize,
}

/// One delta checked to be element-only, not yet folded in.
#[derive(Debug)]
struct Step {
    /// The local pod's name, its place in the sorted pods and its new entry.
    pod: Option<(String, Result<usize, usize>, Option<LocalPod>)>,
    /// Effective changes of the node's address sets.
    sets: BTreeMap<String, PlanChange>,
    moves: Moves,
    regroup: Regroup,
    edits: Edits,
}

impl Rendered {
    /// Renders the state once and indexes it.
    pub fn new(state: NodeState, cfg: Config, chain: ChainConfig) -> Self {
        let ruleset = node(&state.plan, &state.sets, &cfg, &chain);
        let members = Members::new(&state.plan, &cfg.sidecarless);
        let sharing = Sharing::new(&state.sets, cfg.families);
        let sorted = state.plan.pods.windows(2).all(|w| w[0].pod < w[1].pod);
        let referenced: BTreeSet<&String> = (state.plan.pods.iter())
            .flat_map(|p| p.ingress.iter().chain(&p.egress).flatten())
            .filter_map(|g| g.peers.as_ref())
            .collect();
        let stale = !sorted || state.sets.keys().any(|id| !referenced.contains(id));
        Self { state, cfg, chain, ruleset, members, sharing, stale, counts: Counts::default() }
    }

    /// Folds one delta in; returns the transaction from the old ruleset to the new one:
    /// element-only (built with [`Transaction::of_sets`]) when the skeleton is unchanged,
    /// else the full render's [`diff`].
    pub fn apply(&mut self, delta: &Delta) -> Transaction {
        match self.step(delta) {
            Some(step) => {
                self.counts.elements += 1;
                self.commit(step)
            }
            None => {
                self.counts.renders += 1;
                self.render(delta)
            }
        }
    }

    /// The ruleset: always `node()` of [`Rendered::state`].
    pub fn ruleset(&self) -> &Ruleset {
        &self.ruleset
    }

    /// The node's state after every delta so far.
    pub fn state(&self) -> &NodeState {
        &self.state
    }

    /// The configuration it renders with.
    pub fn config(&self) -> (&Config, &ChainConfig) {
        (&self.cfg, &self.chain)
    }

    /// How many deltas took each path.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The full path: [`NodeState::apply`], render, diff, index anew.
    fn render(&mut self, delta: &Delta) -> Transaction {
        let next = Self::new(self.state.apply(delta), self.cfg.clone(), self.chain.clone());
        let tx = diff(&self.ruleset, &next.ruleset);
        *self = Self { counts: self.counts, ..next };
        tx
    }

    /// The delta as element edits, when it leaves the skeleton as it is.
    fn step(&self, delta: &Delta) -> Option<Step> {
        if self.stale {
            return None;
        }
        let sets = effective(&self.state, delta)?;
        let regroup = self.sharing.regroup(&self.state.sets, &sets)?;
        let (pod, moves) = match delta.pods.get(&self.state.plan.node).map(|p| (p.len(), p.iter().next())) {
            Some((n, _)) if n > 1 => return None,
            Some((_, Some((name, entry)))) => {
                let at = self.state.plan.pods.binary_search_by(|p| p.pod.as_str().cmp(name));
                let moves = self.members.moves(at.ok().map(|i| &self.state.plan.pods[i]), entry.as_ref())?;
                (Some((name.clone(), at, entry.clone())), moves)
            }
            _ => (None, Moves::default()),
        };
        let families = self.cfg.families.list();
        let edits = edits(&self.ruleset, families, &moves, &self.state.sets, &self.sharing, &sets)?;
        Some(Step { pod, sets, moves, regroup, edits })
    }

    /// Folds a checked step into the state, the indexes and the ruleset.
    fn commit(&mut self, step: Step) -> Transaction {
        let pods = &mut self.state.plan.pods;
        match step.pod {
            Some((_, Ok(i), Some(entry))) => pods[i] = entry,
            Some((_, Ok(i), None)) => _ = pods.remove(i),
            Some((_, Err(i), Some(entry))) => pods.insert(i, entry),
            Some((_, Err(_), None)) | None => {}
        }
        for (id, change) in &step.sets {
            if let Some(set) = self.state.sets.get_mut(id) {
                fold_into(set, change);
            }
        }
        self.members.commit(step.moves);
        self.sharing.commit(step.regroup);
        let changes = edits::fold(&mut self.ruleset, step.edits);
        Transaction::of_sets(changes)
    }
}
