//! What one pod change means for the dataplane: the pod's own grants, and the address sets it
//! joins or leaves. Computing it touches one group and each rule once, never every pod pair.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use super::engine::{Direction, Engine, rules};
use super::groups::GroupId;
use super::model::{Pod, PodKey};
use super::peers::PeerMatch;
use super::plan::{LocalPod, SetSink, set_id};
use super::ports::{PortSpec, resolve};

/// The dataplane update for one pod change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// Nodes whose local pod entry for this pod changed, with the new entry (`None`: removed).
    pub pods: BTreeMap<String, Option<LocalPod>>,
    /// Address set elements to add and remove, by set id.
    pub sets: BTreeMap<String, SetChange>,
}

/// Elements to add to and remove from one address set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SetChange {
    /// New elements.
    pub add: BTreeSet<IpAddr>,
    /// Elements to drop.
    pub remove: BTreeSet<IpAddr>,
}

impl Engine {
    pub(super) fn delta(&self, key: PodKey, before: Option<(Pod, GroupId)>, after: Option<(Pod, GroupId)>) -> Delta {
        let mut delta = Delta::default();
        if let Some((pod, _)) = &before
            && let Some(node) = &pod.node
        {
            delta.pods.insert(node.clone(), None);
        }
        if let Some((pod, _)) = &after
            && let Some(node) = &pod.node
        {
            delta.pods.insert(node.clone(), self.local_pod(pod, &mut SetSink::naming()));
        }
        let old = before.as_ref().map(|(p, g)| self.memberships(p, *g)).unwrap_or_default();
        let new = after.as_ref().map(|(p, g)| self.memberships(p, *g)).unwrap_or_default();
        for (id, ip) in old.difference(&new) {
            delta.sets.entry(id.clone()).or_default().remove.insert(*ip);
        }
        for (id, ip) in new.difference(&old) {
            delta.sets.entry(id.clone()).or_default().add.insert(*ip);
        }
        let _ = key;
        delta
    }

    /// Every `(set id, address)` element a pod contributes to.
    fn memberships(&self, pod: &Pod, group: GroupId) -> BTreeSet<(String, IpAddr)> {
        let mut out = BTreeSet::new();
        let Some(ip) = pod.ip else { return out };
        for policy in self.policies.values() {
            for (rule_ref, rule) in rules(policy) {
                let by_group = self.rule_groups.get(&rule_ref).is_some_and(|g| g.contains(&group));
                if by_group {
                    out.insert((set_id(&rule_ref), ip));
                }
                if rule_ref.direction != Direction::Egress {
                    continue;
                }
                let admitted = match &rule.peers {
                    None => true,
                    Some(peers) => {
                        by_group || peers.iter().any(|p| matches!(p, PeerMatch::Block(b) if b.contains(ip)))
                    }
                };
                let named = rule.ports.iter().flatten().filter_map(|p| match &p.ports {
                    PortSpec::Named(name) => Some((name, p.protocol)),
                    _ => None,
                });
                for (name, protocol) in named.filter(|_| admitted) {
                    for number in resolve(name, protocol, pod) {
                        out.insert((format!("{}/{name}/{protocol}/{number}", set_id(&rule_ref)), ip));
                    }
                }
            }
        }
        out
    }
}
