//! The redirect plan's types: per node, what each local pod's ingress and egress allow and
//! which of it is inspected, with peers as shared address sets (one per policy rule, not per
//! pod). [`render`](super::render) builds it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::InspectionMode;

use super::engine::{Direction, RuleRef};
use super::model::Protocol;

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NodePlan {
    /// Node name.
    pub node: String,
    /// Local pods with an IP, sorted by `namespace/name`.
    pub pods: Vec<LocalPod>,
}

/// One pod's two sides. A side that is absent is not isolated: everything passes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LocalPod {
    /// `namespace/name`.
    pub pod: String,
    /// Its IP.
    pub ip: IpAddr,
    /// Inbound allows, when the pod is isolated for ingress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<Grant>>,
    /// Outbound allows, when the pod is isolated for egress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<Grant>>,
}

/// Traffic one rule allows: from/to `peers` on `ports`, inspected when `inspect` is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// `namespace/name` of the policy.
    pub policy: String,
    /// The peer address set id; absent: any address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peers: Option<String>,
    /// Destination ports; absent: any port of any protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PortRange>>,
    /// Set when the policy names a SecurityPolicy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspect: Option<InspectWith>,
}

/// The SecurityPolicy and placement of an inspected grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InspectWith {
    /// SecurityPolicy name.
    pub security_policy: String,
    /// Sidecar or chain.
    pub placement: InspectionMode,
}

/// An inclusive port range of one protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PortRange {
    /// Protocol.
    pub protocol: Protocol,
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
}

/// Peers: pod IPs and CIDR blocks (each minus its exceptions) match on the address alone;
/// `endpoints` match on address and destination port together (an egress named port, whose
/// number depends on the destination pod: nft `ip daddr . tcp dport @set`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddressSet {
    /// Pod IPs, sorted.
    pub addresses: BTreeSet<IpAddr>,
    /// `ipBlock`s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
    /// (address, port) pairs.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub endpoints: BTreeSet<Endpoint>,
}

impl AddressSet {
    /// Whether a peer at `ip`, reached on `port`, is in the set.
    pub fn contains(&self, ip: IpAddr, port: u16) -> bool {
        self.addresses.contains(&ip)
            || self.endpoints.contains(&Endpoint { address: ip, port })
            || self.blocks.iter().any(|b| b.contains(ip))
    }
}

/// A destination address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Endpoint {
    /// Pod IP.
    pub address: IpAddr,
    /// Port number.
    pub port: u16,
}

/// An `ipBlock` in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Block {
    /// The range.
    #[schemars(with = "String")]
    pub cidr: IpNet,
    /// Left-out sub-ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub except: Vec<IpNet>,
}

impl Block {
    /// Whether `ip` is in the range and in none of the exceptions.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(&ip) && !self.except.iter().any(|e| e.contains(&ip))
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

/// The id of the endpoint set of an egress rule's named port: `<rule set id>/<name>/<protocol>`.
pub fn named_set_id(rule: &RuleRef, name: &str, protocol: Protocol) -> String {
    format!("{}/{name}/{protocol}", set_id(rule))
}
