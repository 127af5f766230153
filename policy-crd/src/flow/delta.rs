//! What one pod change means for the dataplane: the pod's own entry, the set elements it
//! adds or removes, and the full contents of the sets its new entry references (the node may
//! not have those yet). Computing it touches each rule once, never every pod pair.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use super::engine::{Direction, Engine, rules};
use super::groups::GroupId;
use super::model::{Pod, PodKey};
use super::plan::{AddressSet, Endpoint, LocalPod, named_set_id, set_id};
use super::ports::{PortSpec, resolve};
use super::render::Sets;

/// The dataplane update for one pod change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// The changed pod's entry, by node (`None`: removed from that node).
    pub pods: BTreeMap<String, BTreeMap<String, Option<LocalPod>>>,
    /// Elements to add to and remove from address sets, by set id.
    pub sets: BTreeMap<String, SetChange>,
    /// Complete contents of every set the pod's new entry references.
    pub referenced_sets: BTreeMap<String, AddressSet>,
}

/// Elements to add to and remove from one address set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SetChange {
    /// New addresses.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub add: BTreeSet<IpAddr>,
    /// Addresses to drop.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub remove: BTreeSet<IpAddr>,
    /// New (address, port) endpoints.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub add_endpoints: BTreeSet<Endpoint>,
    /// Endpoints to drop.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub remove_endpoints: BTreeSet<Endpoint>,
}

/// One element a pod contributes to a set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Element {
    Address(String, IpAddr),
    Endpoint(String, Endpoint),
}

impl Engine {
    pub(super) fn delta(&self, key: &PodKey, before: Option<(Pod, GroupId)>, after: Option<(Pod, GroupId)>) -> Delta {
        let mut delta = Delta::default();
        let name = key.to_string();
        if let Some(node) = before.as_ref().and_then(|(p, _)| p.node.clone()) {
            delta.pods.entry(node).or_default().insert(name.clone(), None);
        }
        if let Some((pod, _)) = &after
            && let Some(node) = &pod.node
        {
            let mut sets = Sets::new();
            let local = self.local_pod(pod, &mut sets);
            delta.pods.entry(node.clone()).or_default().insert(name, local);
            delta.referenced_sets = sets;
        }
        let old = before.as_ref().map(|(p, g)| self.elements(p, *g)).unwrap_or_default();
        let new = after.as_ref().map(|(p, g)| self.elements(p, *g)).unwrap_or_default();
        for element in old.difference(&new) {
            match element {
                Element::Address(id, ip) => delta.sets.entry(id.clone()).or_default().remove.insert(*ip),
                Element::Endpoint(id, e) => delta.sets.entry(id.clone()).or_default().remove_endpoints.insert(*e),
            };
        }
        for element in new.difference(&old) {
            match element {
                Element::Address(id, ip) => delta.sets.entry(id.clone()).or_default().add.insert(*ip),
                Element::Endpoint(id, e) => delta.sets.entry(id.clone()).or_default().add_endpoints.insert(*e),
            };
        }
        delta
    }

    /// Every set element a pod contributes: its address in the sets of rules admitting its
    /// group, and its (address, port) in the endpoint sets of egress named ports it defines.
    fn elements(&self, pod: &Pod, group: GroupId) -> BTreeSet<Element> {
        let mut out = BTreeSet::new();
        let Some(address) = pod.ip else { return out };
        for policy in self.policies.values() {
            for (rule_ref, rule) in rules(policy) {
                if self.rule_groups.get(&rule_ref).is_some_and(|g| g.contains(&group)) {
                    out.insert(Element::Address(set_id(&rule_ref), address));
                }
                if rule_ref.direction != Direction::Egress || !self.admits_destination(&rule_ref, rule, pod, group) {
                    continue;
                }
                for port in rule.ports.iter().flatten() {
                    if let PortSpec::Named(name) = &port.ports {
                        let id = named_set_id(&rule_ref, name, port.protocol);
                        for number in resolve(name, port.protocol, pod) {
                            out.insert(Element::Endpoint(id.clone(), Endpoint { address, port: number }));
                        }
                    }
                }
            }
        }
        out
    }
}
