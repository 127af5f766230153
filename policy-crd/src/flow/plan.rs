//! The redirect plan: per node, what each local pod's ingress and egress allow and which of
//! it is inspected, with peers as shared address sets (one per policy rule, not per pod).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use crate::api::InspectionMode;

use super::engine::{Direction, Engine, RuleRef, rules};
use super::model::{Pod, Protocol};
use super::peers::PeerMatch;
use super::policy::{CompiledPolicy, Rule};
use super::ports::{PortSpec, resolve};

/// The whole plan, sorted so that equal inputs give byte-equal output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// One entry per node that runs at least one pod with an IP.
    pub nodes: Vec<NodePlan>,
    /// The address sets grants refer to, by id.
    pub address_sets: BTreeMap<String, AddressSet>,
    /// Problems found in policies, by policy.
    pub errors: BTreeMap<String, Vec<String>>,
}

/// What one node's agent programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodePlan {
    /// Node name.
    pub node: String,
    /// Local pods with an IP, sorted by `namespace/name`.
    pub pods: Vec<LocalPod>,
}

/// One pod's two sides. A side that is absent is not isolated: everything passes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalPod {
    /// `namespace/name`.
    pub pod: String,
    /// Its IP.
    pub ip: IpAddr,
    /// Inbound allows, when the pod is isolated for ingress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<Grant>>,
    /// Outbound allows, when the pod is isolated for egress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<Grant>>,
}

/// Traffic one rule allows: from/to `peers` on `ports`, inspected when `inspect` is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// `namespace/name` of the policy.
    pub policy: String,
    /// The peer address set id; absent: any address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peers: Option<String>,
    /// Destination ports; absent: any port of any protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PortRange>>,
    /// Set when the policy names a SecurityPolicy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect: Option<InspectWith>,
}

/// The SecurityPolicy and placement of an inspected grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectWith {
    /// SecurityPolicy name.
    pub security_policy: String,
    /// Sidecar or chain.
    pub placement: InspectionMode,
}

/// An inclusive port range of one protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortRange {
    /// Protocol.
    pub protocol: Protocol,
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
}

/// Peer addresses: pod IPs plus CIDR blocks (each minus its exceptions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AddressSet {
    /// Pod IPs, sorted.
    pub addresses: BTreeSet<IpAddr>,
    /// `ipBlock`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
}

/// An `ipBlock` in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    /// The range.
    pub cidr: String,
    /// Left-out sub-ranges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

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
        let mut sets = SetSink::filling();
        for (node, pods) in nodes {
            let pods = pods.into_iter().filter_map(|p| self.local_pod(p, &mut sets)).collect();
            plan.nodes.push(NodePlan { node: node.to_owned(), pods });
        }
        plan.address_sets = sets.sets;
        for policy in self.policies.values().filter(|p| !p.errors.is_empty()) {
            plan.errors.insert(policy.key.to_string(), policy.errors.clone());
        }
        plan
    }

    /// The plan of one node (after a change, only the affected nodes need this).
    pub fn node_plan(&self, node: &str) -> (NodePlan, BTreeMap<String, AddressSet>) {
        let mut sets = SetSink::filling();
        let pods = self
            .pods
            .values()
            .filter(|(p, _)| p.node.as_deref() == Some(node))
            .filter_map(|(p, _)| self.local_pod(p, &mut sets))
            .collect();
        (NodePlan { node: node.to_owned(), pods }, sets.sets)
    }

    /// One local pod's grants; `None` when it has no IP.
    pub(super) fn local_pod(&self, pod: &Pod, sets: &mut SetSink) -> Option<LocalPod> {
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

    fn grants(
        &self,
        policies: Vec<&CompiledPolicy>,
        direction: Direction,
        pod: &Pod,
        sets: &mut SetSink,
    ) -> Vec<Grant> {
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
                let peer_set = rule.peers.as_ref().map(|_| self.rule_set(&rule_ref, rule, sets));
                match (&rule.ports, direction) {
                    (None, _) => grants.push(grant(peer_set, None)),
                    (Some(ports), Direction::Ingress) => {
                        let ranges = numeric_ranges(ports.iter().map(|p| (p.protocol, &p.ports)), Some(pod));
                        if !ranges.is_empty() {
                            grants.push(grant(peer_set, Some(ranges)));
                        }
                    }
                    (Some(ports), Direction::Egress) => {
                        let ranges = numeric_ranges(ports.iter().map(|p| (p.protocol, &p.ports)), None);
                        if !ranges.is_empty() {
                            grants.push(grant(peer_set, Some(ranges)));
                        }
                        for port in ports {
                            if let PortSpec::Named(name) = &port.ports {
                                for (number, set) in self.named_sets(&rule_ref, rule, name, port.protocol, sets) {
                                    let range = PortRange { protocol: port.protocol, first: number, last: number };
                                    grants.push(grant(Some(set), Some(vec![range])));
                                }
                            }
                        }
                    }
                }
            }
        }
        grants
    }

    /// The address set of a rule's peers (created on first use).
    fn rule_set(&self, rule_ref: &RuleRef, rule: &Rule, sets: &mut SetSink) -> String {
        let id = set_id(rule_ref);
        if sets.fill && !sets.sets.contains_key(&id) {
            let mut set = AddressSet::default();
            for group in self.rule_groups.get(rule_ref).into_iter().flatten() {
                let members = self.groups.get(*group).members.iter();
                set.addresses.extend(members.filter_map(|k| self.pods.get(k)?.0.ip));
            }
            set.blocks = blocks(rule);
            sets.sets.insert(id.clone(), set);
        }
        id
    }

    /// For an egress named port: the destination pods the rule admits, split by the number the
    /// name resolves to on each. Returns `(number, set id)`.
    fn named_sets(
        &self,
        rule_ref: &RuleRef,
        rule: &Rule,
        name: &str,
        protocol: Protocol,
        sets: &mut SetSink,
    ) -> Vec<(u16, String)> {
        let base = set_id(rule_ref);
        let memo_key = (base.clone(), name.to_owned(), protocol);
        if let Some(found) = sets.named.get(&memo_key) {
            return found.clone();
        }
        let mut by_number: BTreeMap<u16, BTreeSet<IpAddr>> = BTreeMap::new();
        let groups = self.rule_groups.get(rule_ref);
        let has_blocks = rule.peers.iter().flatten().any(|p| matches!(p, PeerMatch::Block(_)));
        for (pod, group) in self.pods.values() {
            let Some(ip) = pod.ip else { continue };
            let admitted = match &rule.peers {
                None => true,
                Some(peers) => {
                    groups.is_some_and(|g| g.contains(group))
                        || (has_blocks && peers.iter().any(|p| matches!(p, PeerMatch::Block(b) if b.contains(ip))))
                }
            };
            if admitted {
                for number in resolve(name, protocol, pod) {
                    by_number.entry(number).or_default().insert(ip);
                }
            }
        }
        let found: Vec<(u16, String)> = by_number
            .into_iter()
            .map(|(number, addresses)| {
                let id = format!("{base}/{name}/{protocol}/{number}");
                if sets.fill {
                    sets.sets.insert(id.clone(), AddressSet { addresses, blocks: Vec::new() });
                }
                (number, id)
            })
            .collect();
        sets.named.insert(memo_key, found.clone());
        found
    }
}

/// Where grants put the address sets they reference.
#[derive(Debug, Default)]
pub(super) struct SetSink {
    fill: bool,
    sets: BTreeMap<String, AddressSet>,
    /// Named-port splits already computed, by (rule set id, port name, protocol).
    named: BTreeMap<(String, String, Protocol), Vec<(u16, String)>>,
}

impl SetSink {
    /// Collects every referenced set with its members.
    pub(super) fn filling() -> Self {
        Self { fill: true, ..Self::default() }
    }

    /// Only names sets (a delta carries set changes separately).
    pub(super) fn naming() -> Self {
        Self::default()
    }
}

impl CompiledPolicy {
    /// The rules of one direction, when the policy isolates it.
    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

/// The stable id of a rule's address set: `namespace/policy/direction/index`.
pub fn set_id(rule: &RuleRef) -> String {
    let direction = match rule.direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    };
    format!("{}/{direction}/{}", rule.policy, rule.index)
}

/// Numeric ranges of port entries; named ports resolve on `destination` when given (ingress)
/// and are left out otherwise (egress handles them per destination).
fn numeric_ranges<'a>(
    ports: impl Iterator<Item = (Protocol, &'a PortSpec)>,
    destination: Option<&Pod>,
) -> Vec<PortRange> {
    let mut ranges = BTreeSet::new();
    for (protocol, spec) in ports {
        match (spec, destination) {
            (PortSpec::Any, _) => ranges.insert(PortRange { protocol, first: 1, last: u16::MAX }),
            (PortSpec::Range(first, last), _) => ranges.insert(PortRange { protocol, first: *first, last: *last }),
            (PortSpec::Named(name), Some(pod)) => {
                for n in resolve(name, protocol, pod) {
                    ranges.insert(PortRange { protocol, first: n, last: n });
                }
                false
            }
            (PortSpec::Named(_), None) => false,
        };
    }
    ranges.into_iter().collect()
}

fn blocks(rule: &Rule) -> Vec<Block> {
    let peers = rule.peers.iter().flatten();
    let blocks = peers.filter_map(|p| match p {
        PeerMatch::Block(b) => Some(b),
        PeerMatch::Pods { .. } => None,
    });
    blocks
        .map(|b| Block { cidr: b.cidr.to_string(), except: b.except.iter().map(|e| e.to_string()).collect() })
        .collect()
}
