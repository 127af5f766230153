//! A policy-crd [`Delta`] (one pod changed) applied to the node's desired state, and the
//! transaction it needs. The delta's pod entry replaces the pod's, its set changes update the
//! address sets this node holds, and the sets it references arrive whole; rendering the new
//! state and diffing it against the old gives set-element updates, unless the pod brought a
//! grant no local pod had (then its table is replaced).

use std::collections::{BTreeMap, BTreeSet};

use policy_crd::flow::{AddressSet, Delta, LocalPod, NodePlan, SetChange};

/// What one node programs: its plan and the address sets the plan references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    /// The node's pods and grants.
    pub plan: NodePlan,
    /// Address sets by id.
    pub sets: BTreeMap<String, AddressSet>,
}

impl NodeState {
    /// The state after `delta`. Sets no local grant references any more are dropped.
    pub fn apply(&self, delta: &Delta) -> NodeState {
        let mut next = self.clone();
        if let Some(pods) = delta.pods.get(&self.plan.node) {
            for (name, entry) in pods {
                next.plan.pods.retain(|p| &p.pod != name);
                if let Some(local) = entry {
                    next.plan.pods.push(local.clone());
                }
            }
            next.plan.pods.sort_by(|a, b| a.pod.cmp(&b.pod));
            for (id, set) in &delta.referenced_sets {
                next.sets.insert(id.clone(), set.clone());
            }
        }
        for (id, change) in &delta.sets {
            if delta.referenced_sets.contains_key(id) && delta.pods.contains_key(&self.plan.node) {
                continue; // arrived whole, already current
            }
            if let Some(set) = next.sets.get_mut(id) {
                change.remove.iter().for_each(|ip| _ = set.addresses.remove(ip));
                set.addresses.extend(change.add.iter().copied());
                change.remove_endpoints.iter().for_each(|e| _ = set.endpoints.remove(e));
                set.endpoints.extend(change.add_endpoints.iter().copied());
            }
        }
        let referenced: BTreeSet<&String> = next
            .plan
            .pods
            .iter()
            .flat_map(|p| p.ingress.iter().chain(&p.egress).flatten())
            .filter_map(|g| g.peers.as_ref())
            .collect();
        let keep: BTreeSet<String> = referenced.into_iter().cloned().collect();
        next.sets.retain(|id, _| keep.contains(id));
        next
    }
}

impl NodeState {
    /// The delta that [`NodeState::apply`] turns into `next`: the local pods whose entries
    /// differ, the element changes of the sets both hold, and, whole, the sets that are new
    /// or whose `ipBlock`s changed. What an agent derives from two plans it was handed.
    pub fn delta_to(&self, next: &NodeState) -> Delta {
        let mut delta = Delta::default();
        let node = &next.plan.node;
        let mut pods = BTreeMap::new();
        for (name, before, after) in pod_pairs(&self.plan.pods, &next.plan.pods) {
            if before != after {
                pods.insert(name.to_owned(), after.cloned());
            }
        }
        for (id, set) in &next.sets {
            match self.sets.get(id) {
                Some(old) if old.blocks == set.blocks => {
                    if old != set {
                        delta.sets.insert(id.clone(), changes(old, set));
                    }
                }
                _ => _ = delta.referenced_sets.insert(id.clone(), set.clone()),
            }
        }
        if !pods.is_empty() || !delta.referenced_sets.is_empty() {
            delta.pods.insert(node.clone(), pods);
        }
        delta
    }
}

/// Each pod name of either list with its entry in each; a merge walk when both are sorted by
/// name (as plans are), else through maps.
fn pod_pairs<'a>(
    old: &'a [LocalPod],
    new: &'a [LocalPod],
) -> Vec<(&'a str, Option<&'a LocalPod>, Option<&'a LocalPod>)> {
    let sorted = |pods: &[LocalPod]| pods.windows(2).all(|w| w[0].pod < w[1].pod);
    if !sorted(old) || !sorted(new) {
        let by_name = |pods: &'a [LocalPod]| -> BTreeMap<&'a str, &'a LocalPod> {
            pods.iter().map(|p| (p.pod.as_str(), p)).collect()
        };
        let (old, new) = (by_name(old), by_name(new));
        let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        return names.into_iter().map(|n| (n, old.get(n).copied(), new.get(n).copied())).collect();
    }
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    loop {
        let pair = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.pod == y.pod => (x.pod.as_str(), a.next(), b.next()),
            (Some(x), Some(y)) if x.pod < y.pod => (x.pod.as_str(), a.next(), None),
            (_, Some(y)) => (y.pod.as_str(), None, b.next()),
            (Some(x), None) => (x.pod.as_str(), a.next(), None),
            (None, None) => return out,
        };
        out.push(pair);
    }
}

/// The element changes from `old` to `new`.
fn changes(old: &AddressSet, new: &AddressSet) -> SetChange {
    SetChange {
        add: new.addresses.difference(&old.addresses).copied().collect(),
        remove: old.addresses.difference(&new.addresses).copied().collect(),
        add_endpoints: new.endpoints.difference(&old.endpoints).copied().collect(),
        remove_endpoints: old.endpoints.difference(&new.endpoints).copied().collect(),
    }
}
