//! The `networking.k8s.io/v1` NetworkPolicy spec pieces, with identical field names.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::selector::LabelSelector;

/// `Ingress` or `Egress`. Kept as a string so that a typo becomes a per-policy error.
pub type PolicyType = String;

/// One ingress rule: traffic from any of `from` to any of `ports`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    /// Sources. Empty or absent: every source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub from: Option<Vec<Peer>>,
    /// Destination ports. Empty or absent: every port and protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub ports: Option<Vec<Port>>,
}

/// One egress rule: traffic to any of `to` on any of `ports`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule {
    /// Destinations. Empty or absent: every destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub to: Option<Vec<Peer>>,
    /// Destination ports. Empty or absent: every port and protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub ports: Option<Vec<Port>>,
}

/// A peer: pods (by pod and/or namespace selector) or an IP block, never both.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "has(self.ipBlock) != (has(self.podSelector) || has(self.namespaceSelector))",
     "message": "a peer sets exactly one of ipBlock or podSelector/namespaceSelector"}
]))]
pub struct Peer {
    /// Pods matching this selector, in the policy's namespace unless `namespaceSelector` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    /// All pods in matching namespaces (ANDed with `podSelector` when both are set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// An IP range, minus exceptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// A CIDR with optional excluded sub-ranges.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "isCIDR(self.cidr)", "message": "cidr must be a valid CIDR"},
    {"rule": "!has(self.except) || self.except.all(e, isCIDR(e) && cidr(self.cidr).containsCIDR(e))",
     "message": "every except entry must be a CIDR inside cidr"}
]))]
pub struct IpBlock {
    /// For example `10.0.0.0/16` or `2001:db8::/64`.
    #[schemars(length(max = 43))]
    pub cidr: String,
    /// Sub-ranges of `cidr` to leave out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32), inner(length(max = 43)))]
    pub except: Option<Vec<String>>,
}

/// A port (number or named container port), a protocol and an optional range end.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!has(self.endPort) || (has(self.port) && type(self.port) == int)",
     "message": "endPort requires a numeric port"},
    {"rule": "!has(self.endPort) || !has(self.port) || type(self.port) != int || self.endPort >= self.port",
     "message": "endPort must be greater than or equal to port"},
    {"rule": "!has(self.protocol) || self.protocol in ['TCP', 'UDP', 'SCTP']",
     "message": "protocol must be TCP, UDP or SCTP"}
]))]
pub struct Port {
    /// `TCP` (the default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4))]
    pub protocol: Option<String>,
    /// A port number, or the name of a container port on the destination pod.
    /// Absent: every port of the protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<IntOrString>,
    /// The inclusive end of a range starting at the numeric `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i32>,
}
