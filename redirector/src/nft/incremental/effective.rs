//! What a delta really does to the node's address sets: per set id, the addresses and
//! endpoints that appear and disappear (adds of members already there, removes of members
//! not there, are dropped), exactly as [`NodeState::apply`] would fold them in.

use std::collections::{BTreeMap, BTreeSet};

use policy_crd::flow::{AddressSet, Delta, SetChange as PlanChange};

use crate::nft::delta::NodeState;

/// The effective changes by set id (only ids with some change), or `None` when a set would
/// change shape: it arrives new, its `ipBlock`s change, or it gains its first endpoint or
/// loses its last one (its nft key type changes).
pub(super) fn effective(state: &NodeState, delta: &Delta) -> Option<BTreeMap<String, PlanChange>> {
    let local = delta.pods.contains_key(&state.plan.node);
    let mut out = BTreeMap::new();
    if local {
        for (id, new) in &delta.referenced_sets {
            let old = state.sets.get(id)?;
            if old.blocks != new.blocks {
                return None;
            }
            out.insert(id.clone(), replaced(old, new));
        }
    }
    for (id, change) in &delta.sets {
        if local && delta.referenced_sets.contains_key(id) {
            continue; // arrived whole
        }
        let Some(old) = state.sets.get(id) else { continue };
        out.insert(id.clone(), folded(old, change));
    }
    out.retain(|_, c| !is_empty(c));
    for (id, c) in &out {
        let old = &state.sets[id];
        let after = old.endpoints.len() + c.add_endpoints.len() - c.remove_endpoints.len();
        if (after == 0) != old.endpoints.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// Whether the change moves nothing.
pub(super) fn is_empty(c: &PlanChange) -> bool {
    c.add.is_empty() && c.remove.is_empty() && c.add_endpoints.is_empty() && c.remove_endpoints.is_empty()
}

/// The change restricted to one family.
pub(super) fn in_family(c: &PlanChange, v4: bool) -> PlanChange {
    PlanChange {
        add: c.add.iter().filter(|ip| ip.is_ipv4() == v4).copied().collect(),
        remove: c.remove.iter().filter(|ip| ip.is_ipv4() == v4).copied().collect(),
        add_endpoints: c.add_endpoints.iter().filter(|e| e.address.is_ipv4() == v4).copied().collect(),
        remove_endpoints: c.remove_endpoints.iter().filter(|e| e.address.is_ipv4() == v4).copied().collect(),
    }
}

/// Folds an effective change into a set.
pub(super) fn fold_into(set: &mut AddressSet, c: &PlanChange) {
    c.remove.iter().for_each(|ip| _ = set.addresses.remove(ip));
    set.addresses.extend(c.add.iter().copied());
    c.remove_endpoints.iter().for_each(|e| _ = set.endpoints.remove(e));
    set.endpoints.extend(c.add_endpoints.iter().copied());
}

/// `old` becoming `new`.
fn replaced(old: &AddressSet, new: &AddressSet) -> PlanChange {
    PlanChange {
        add: minus(&new.addresses, &old.addresses),
        remove: minus(&old.addresses, &new.addresses),
        add_endpoints: minus(&new.endpoints, &old.endpoints),
        remove_endpoints: minus(&old.endpoints, &new.endpoints),
    }
}

/// `change` applied to `old` as [`NodeState::apply`] does: removes first, then adds.
fn folded(old: &AddressSet, change: &PlanChange) -> PlanChange {
    PlanChange {
        add: change.add.iter().filter(|ip| !old.addresses.contains(ip)).copied().collect(),
        remove: change
            .remove
            .iter()
            .filter(|ip| old.addresses.contains(ip) && !change.add.contains(ip))
            .copied()
            .collect(),
        add_endpoints: change.add_endpoints.iter().filter(|e| !old.endpoints.contains(e)).copied().collect(),
        remove_endpoints: change
            .remove_endpoints
            .iter()
            .filter(|e| old.endpoints.contains(e) && !change.add_endpoints.contains(e))
            .copied()
            .collect(),
    }
}

fn minus<T: Ord + Copy>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> BTreeSet<T> {
    a.difference(b).copied().collect()
}
