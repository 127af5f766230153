//! Local pods by the sets they are members of: each variant's `pods.*` sets and the
//! `isolated.*` sets, counted per address (two pods may share one), so that a pod change
//! becomes the addresses that enter or leave each set. A change that would create or empty a
//! variant is structural (variant names are positional) and is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use policy_crd::flow::{Direction, LocalPod, NodePlan};

use crate::nft::grants::Allow;
use crate::nft::variants::{by_policy_of, dir_word, group};

/// A variant's key: side, policy and grants.
type VariantKey = (Direction, String, Vec<Allow>);

/// Which local-pod set an address belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    /// `isolated.<dir>`.
    Isolated(Direction),
    /// A variant's `pods.<base>`.
    Variant(VariantKey),
}

/// The membership counts of every local-pod set.
#[derive(Clone, Debug, Default)]
pub(super) struct Members {
    sidecarless: BTreeSet<IpAddr>,
    /// Variant bases (`<policy>/ingress.2`) as the renderer numbers them.
    bases: BTreeMap<VariantKey, String>,
    counts: BTreeMap<Side, BTreeMap<IpAddr, usize>>,
}

/// The net membership change of one pod change, and the addresses entering (`true`) or
/// leaving each set, by set name prefix and base.
#[derive(Clone, Debug, Default)]
pub(super) struct Moves {
    net: BTreeMap<(Side, IpAddr), isize>,
    /// `(prefix, base, address, enters)`: `("pods", "<policy>/ingress", ip, true)`.
    pub flips: Vec<(&'static str, String, IpAddr, bool)>,
}

impl Members {
    /// Counts the plan's local pods.
    pub fn new(plan: &NodePlan, sidecarless: &BTreeSet<IpAddr>) -> Self {
        let bases =
            group(plan, sidecarless).variants.into_iter().map(|v| ((v.dir, v.policy, v.allows), v.base)).collect();
        let mut out = Self { sidecarless: sidecarless.clone(), bases, counts: BTreeMap::new() };
        for pod in &plan.pods {
            for side in out.sides(pod) {
                *out.counts.entry(side).or_default().entry(pod.ip).or_default() += 1;
            }
        }
        out
    }

    /// What replacing local pod `old` with `new` moves; `None` when a variant would appear or
    /// disappear.
    pub fn moves(&self, old: Option<&LocalPod>, new: Option<&LocalPod>) -> Option<Moves> {
        let mut moves = Moves::default();
        for (pod, sign) in old.into_iter().map(|p| (p, -1)).chain(new.into_iter().map(|p| (p, 1))) {
            for side in self.sides(pod) {
                *moves.net.entry((side, pod.ip)).or_default() += sign;
            }
        }
        moves.net.retain(|_, n| *n != 0);
        let mut left: BTreeMap<&Side, usize> = BTreeMap::new();
        for ((side, ip), n) in &moves.net {
            let counts = self.counts.get(side);
            let members = left.entry(side).or_insert_with(|| counts.map_or(0, BTreeMap::len));
            let before = counts.and_then(|c| c.get(ip)).copied().unwrap_or(0);
            let after = before.checked_add_signed(*n)?;
            let (prefix, base) = match side {
                Side::Isolated(dir) => ("isolated", dir_word(*dir).to_owned()),
                Side::Variant(key) => ("pods", self.bases.get(key)?.clone()),
            };
            if (before == 0) != (after == 0) {
                *members = if after == 0 { *members - 1 } else { *members + 1 };
                moves.flips.push((prefix, base, *ip, after > 0));
            }
        }
        let emptied = left.iter().any(|(side, n)| matches!(side, Side::Variant(_)) && *n == 0);
        (!emptied).then_some(moves)
    }

    /// Folds moves in.
    pub fn commit(&mut self, moves: Moves) {
        for ((side, ip), n) in moves.net {
            let counts = self.counts.entry(side).or_default();
            let count = counts.entry(ip).or_default();
            *count = count.saturating_add_signed(n);
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }

    /// The sets a local pod is counted in.
    fn sides(&self, pod: &LocalPod) -> Vec<Side> {
        let mut out = Vec::new();
        for (dir, grants) in [(Direction::Ingress, &pod.ingress), (Direction::Egress, &pod.egress)] {
            let Some(grants) = grants else { continue };
            out.push(Side::Isolated(dir));
            for (policy, allows) in by_policy_of(grants, self.sidecarless.contains(&pod.ip)) {
                out.push(Side::Variant((dir, policy, allows)));
            }
        }
        out
    }
}
