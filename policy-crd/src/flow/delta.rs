//! What one pod change means for the dataplane: the pod's own grants, and the address sets it
//! joins or leaves. Computing it touches one group and each rule once, never every pod pair.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use super::engine::{Direction, Engine, rules};
use super::groups::GroupId;
use super::model::{Pod, PodKey, PolicyKey};
use super::peers::PeerMatch;
use super::plan::{LocalPod, SetSink, set_id};
use super::ports::{PortSpec, resolve};

/// The dataplane update for one pod change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// Local pod entries to replace, by node and then `namespace/name` (`None`: removed).
    /// That is the changed pod itself, plus the pods whose egress grants for a named port
    /// depend on the numbers the changed pod resolves that name to (one grant per number).
    pub pods: BTreeMap<String, BTreeMap<String, Option<LocalPod>>>,
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
        let name = key.to_string();
        if let Some((pod, _)) = &before
            && let Some(node) = &pod.node
        {
            delta.pods.entry(node.clone()).or_default().insert(name.clone(), None);
        }
        if let Some((pod, _)) = &after
            && let Some(node) = &pod.node
        {
            let local = self.local_pod(pod, &mut SetSink::naming());
            delta.pods.entry(node.clone()).or_default().insert(name, local);
        }
        let mut named = BTreeMap::new();
        let old = before.as_ref().map(|(p, g)| self.memberships(p, *g, &mut named)).unwrap_or_default();
        let new = after.as_ref().map(|(p, g)| self.memberships(p, *g, &mut named)).unwrap_or_default();
        for (id, ip) in old.difference(&new) {
            delta.sets.entry(id.clone()).or_default().remove.insert(*ip);
        }
        for (id, ip) in new.difference(&old) {
            delta.sets.entry(id.clone()).or_default().add.insert(*ip);
        }
        // A named-port set the pod joined or left may have just appeared or gone, and with it
        // a grant of every pod the rule's policy selects: re-send those pods' entries.
        let policies: BTreeSet<&PolicyKey> =
            named.iter().filter(|(id, _)| delta.sets.contains_key(*id)).map(|(_, p)| p).collect();
        let mut sink = SetSink::naming(); // shared, so each named-port split is computed once
        for policy in policies {
            for group in self.selected.get(policy).into_iter().flatten() {
                for member in self.groups.get(*group).members.iter().filter(|m| **m != key) {
                    let Some((pod, _)) = self.pods.get(member) else { continue };
                    if let (Some(node), Some(local)) = (&pod.node, self.local_pod(pod, &mut sink)) {
                        delta.pods.entry(node.clone()).or_default().insert(member.to_string(), Some(local));
                    }
                }
            }
        }
        delta
    }

    /// Every `(set id, address)` element a pod contributes to; named-port set ids are also
    /// recorded in `named` with their policy.
    fn memberships(
        &self,
        pod: &Pod,
        group: GroupId,
        named: &mut BTreeMap<String, PolicyKey>,
    ) -> BTreeSet<(String, IpAddr)> {
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
                    Some(peers) => by_group || peers.iter().any(|p| matches!(p, PeerMatch::Block(b) if b.contains(ip))),
                };
                let names = rule.ports.iter().flatten().filter_map(|p| match &p.ports {
                    PortSpec::Named(name) => Some((name, p.protocol)),
                    _ => None,
                });
                for (name, protocol) in names.filter(|_| admitted) {
                    for number in resolve(name, protocol, pod) {
                        let id = format!("{}/{name}/{protocol}/{number}", set_id(&rule_ref));
                        named.insert(id.clone(), policy.key.clone());
                        out.insert((id, ip));
                    }
                }
            }
        }
        out
    }
}
