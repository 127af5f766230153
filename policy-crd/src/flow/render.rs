//! Builds the [`Plan`] from the engine's indexes: grants per local pod, address sets per rule.

use std::collections::{BTreeMap, BTreeSet};

use super::engine::{Direction, Engine, RuleRef, rules};
use super::model::{Pod, Protocol};
use super::peers::PeerMatch;
use super::plan::{AddressSet, Block, Endpoint, Grant, InspectWith, LocalPod, NodePlan, Plan, PortRange};
use super::plan::{named_set_id, set_id};
use super::policy::{CompiledPolicy, Rule};
use super::ports::{PortSpec, resolve};

impl Engine {
    /// The full plan.
    pub fn plan(&self) -> Plan {
        let mut nodes: BTreeMap<&str, Vec<&Pod>> = BTreeMap::new();
        for (pod, _) in self.pods.values() {
            if let (Some(node), Some(_)) = (&pod.node, pod.ip) {
                nodes.entry(node).or_default().push(pod);
            }
        }
        let mut plan = Plan::default();
        let mut sets = Sets::new();
        for (node, pods) in nodes {
            let pods = pods.into_iter().filter_map(|p| self.local_pod(p, &mut sets)).collect();
            plan.nodes.push(NodePlan { node: node.to_owned(), pods });
        }
        plan.address_sets = sets;
        for policy in self.policies.values().filter(|p| !p.errors.is_empty()) {
            plan.errors.insert(policy.key.to_string(), policy.errors.clone());
        }
        plan
    }

    /// The plan of one node, with the address sets its grants reference.
    pub fn node_plan(&self, node: &str) -> (NodePlan, BTreeMap<String, AddressSet>) {
        let mut sets = Sets::new();
        let mut pods: Vec<LocalPod> = self
            .pods
            .values()
            .filter(|(p, _)| p.node.as_deref() == Some(node))
            .filter_map(|(p, _)| self.local_pod(p, &mut sets))
            .collect();
        // By `ns/name` as a string (`a-b/x` < `a/x`), the order the redirector's delta walks;
        // the pod map's (namespace, name) order differs when one namespace prefixes another.
        pods.sort_by(|a, b| a.pod.cmp(&b.pod));
        (NodePlan { node: node.to_owned(), pods }, sets)
    }

    /// One local pod's grants; `None` when it has no IP.
    pub(super) fn local_pod(&self, pod: &Pod, sets: &mut Sets) -> Option<LocalPod> {
        let ip = pod.ip?;
        let group = self.pods.get(&pod.key())?.1;
        let selecting: Vec<&CompiledPolicy> =
            self.selecting.get(&group).into_iter().flatten().map(|k| &self.policies[k]).collect();
        let side = |direction| {
            let isolating: Vec<&CompiledPolicy> =
                selecting.iter().copied().filter(|p| p.rules(direction).is_some()).collect();
            (!isolating.is_empty()).then_some(isolating)
        };
        let ingress = side(Direction::Ingress).map(|ps| self.grants(ps, Direction::Ingress, pod, sets));
        let egress = side(Direction::Egress).map(|ps| self.grants(ps, Direction::Egress, pod, sets));
        Some(LocalPod { pod: pod.key().to_string(), ip, ingress, egress })
    }

    fn grants(&self, policies: Vec<&CompiledPolicy>, direction: Direction, pod: &Pod, sets: &mut Sets) -> Vec<Grant> {
        let mut grants = Vec::new();
        for policy in policies {
            let inspect = policy
                .security_policy
                .as_ref()
                .map(|name| InspectWith { security_policy: name.clone(), placement: policy.mode });
            for (rule_ref, rule) in rules(policy).filter(|(r, _)| r.direction == direction) {
                let grant = |peers: Option<String>, ports| Grant {
                    policy: policy.key.to_string(),
                    peers,
                    ports,
                    inspect: inspect.clone(),
                };
                if rule.peers.as_ref().is_some_and(Vec::is_empty) {
                    continue; // every listed peer was invalid: allows nothing
                }
                let Some(ports) = &rule.ports else {
                    let peers = rule.peers.as_ref().map(|_| self.rule_set(&rule_ref, rule, sets));
                    grants.push(grant(peers, None));
                    continue;
                };
                // Ingress resolves named ports on this pod; egress on each destination, through
                // an endpoint set per name.
                let local = (direction == Direction::Ingress).then_some(pod);
                let ranges = numeric_ranges(ports.iter().map(|p| (p.protocol, &p.ports)), local);
                if !ranges.is_empty() {
                    let peers = rule.peers.as_ref().map(|_| self.rule_set(&rule_ref, rule, sets));
                    grants.push(grant(peers, Some(ranges)));
                }
                for port in ports.iter().filter(|_| direction == Direction::Egress) {
                    if let PortSpec::Named(name) = &port.ports {
                        let set = self.named_set(&rule_ref, rule, name, port.protocol, sets);
                        let any = PortRange { protocol: port.protocol, first: 1, last: u16::MAX };
                        grants.push(grant(Some(set), Some(vec![any])));
                    }
                }
            }
        }
        grants
    }

    /// The address set of a rule's peers (filled on first use).
    fn rule_set(&self, rule_ref: &RuleRef, rule: &Rule, sets: &mut Sets) -> String {
        let id = set_id(rule_ref);
        if !sets.contains_key(&id) {
            let mut set = AddressSet::default();
            for group in self.rule_groups.get(rule_ref).into_iter().flatten() {
                let members = self.groups.get(*group).members.iter();
                set.addresses.extend(members.filter_map(|k| self.pods.get(k)?.0.ip));
            }
            set.blocks = blocks(rule);
            sets.insert(id.clone(), set);
        }
        id
    }

    /// The endpoint set of an egress named port: every destination pod the rule admits, with
    /// the number the name resolves to on it (filled on first use).
    fn named_set(&self, rule_ref: &RuleRef, rule: &Rule, name: &str, protocol: Protocol, sets: &mut Sets) -> String {
        let id = named_set_id(rule_ref, name, protocol);
        if !sets.contains_key(&id) {
            let mut set = AddressSet::default();
            let blocks = rule.peers.iter().flatten().any(|p| matches!(p, PeerMatch::Block(_)));
            // Only an ipBlock or "any peer" can admit pods outside the rule's groups.
            let candidates: Box<dyn Iterator<Item = &(Pod, usize)>> = if rule.peers.is_none() || blocks {
                Box::new(self.pods.values())
            } else {
                let groups = self.rule_groups.get(rule_ref).into_iter().flatten();
                let members = groups.flat_map(|g| self.groups.get(*g).members.iter());
                Box::new(members.filter_map(|key| self.pods.get(key)))
            };
            for (pod, group) in candidates {
                if let Some(address) = pod.ip
                    && self.admits_destination(rule_ref, rule, pod, *group)
                {
                    set.endpoints.extend(resolve(name, protocol, pod).map(|port| Endpoint { address, port }));
                }
            }
            sets.insert(id.clone(), set);
        }
        id
    }

    /// Whether an egress rule's peers admit `pod` (by selector group or by ipBlock).
    pub(super) fn admits_destination(&self, rule_ref: &RuleRef, rule: &Rule, pod: &Pod, group: usize) -> bool {
        let Some(peers) = &rule.peers else { return true };
        self.rule_groups.get(rule_ref).is_some_and(|g| g.contains(&group))
            || pod.ip.is_some_and(|ip| peers.iter().any(|p| matches!(p, PeerMatch::Block(b) if b.contains(ip))))
    }
}

/// The address sets referenced while rendering, by id, filled on first reference.
pub(super) type Sets = BTreeMap<String, AddressSet>;

impl CompiledPolicy {
    /// The rules of one direction, when the policy isolates it.
    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

/// Numeric ranges of port entries; named ports resolve on `destination` when given (ingress)
/// and are left out otherwise (egress puts them in endpoint sets).
fn numeric_ranges<'a>(
    ports: impl Iterator<Item = (Protocol, &'a PortSpec)>,
    destination: Option<&Pod>,
) -> Vec<PortRange> {
    let mut ranges = BTreeSet::new();
    for (protocol, spec) in ports {
        match (spec, destination) {
            (PortSpec::Any, _) => {
                ranges.insert(PortRange { protocol, first: 1, last: u16::MAX });
            }
            (PortSpec::Range(first, last), _) => {
                ranges.insert(PortRange { protocol, first: *first, last: *last });
            }
            (PortSpec::Named(name), Some(pod)) => {
                ranges.extend(resolve(name, protocol, pod).map(|n| PortRange { protocol, first: n, last: n }));
            }
            (PortSpec::Named(_), None) => {}
        }
    }
    ranges.into_iter().collect()
}

fn blocks(rule: &Rule) -> Vec<Block> {
    let peers = rule.peers.iter().flatten();
    let blocks = peers.filter_map(|p| match p {
        PeerMatch::Block(b) => Some(Block { cidr: b.cidr, except: b.except.clone() }),
        PeerMatch::Pods { .. } => None,
    });
    blocks.collect()
}
