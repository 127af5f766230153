//! A policy-crd [`Delta`] (one pod changed) applied to the node's desired state, and the
//! transaction it needs. The delta's pod entry replaces the pod's, its set changes update the
//! address sets this node holds, and the sets it references arrive whole; rendering the new
//! state and diffing it against the old gives set-element updates, unless the pod brought a
//! grant no local pod had (then its table is replaced).

use std::collections::{BTreeMap, BTreeSet};

use policy_crd::flow::{AddressSet, Delta, NodePlan};

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
