//! `L7NetworkPolicy`: a NetworkPolicy spec plus the inspection it asks for.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::netpol::{EgressRule, IngressRule, PolicyType};
use super::selector::LabelSelector;

/// A strict superset of the `networking.k8s.io/v1` NetworkPolicy spec. Every flow that one of
/// its rules allows is steered through an inspector running the named `SecurityPolicy`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chainwall.dev",
    version = "v1alpha1",
    kind = "L7NetworkPolicy",
    plural = "l7networkpolicies",
    shortname = "l7np",
    shortname = "l7netpol",
    category = "chainwall",
    namespaced,
    status = "L7NetworkPolicyStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name":"SecurityPolicy","type":"string","jsonPath":".spec.securityPolicyRef.name"}"#,
    printcolumn = r#"{"name":"Inspection","type":"string","jsonPath":".spec.inspection.mode"}"#,
    printcolumn = r#"{"name":"Pods","type":"integer","jsonPath":".status.selectedPods"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct L7NetworkPolicySpec {
    /// The pods this policy applies to, in its namespace. `{}` selects every pod there.
    pub pod_selector: LabelSelector,
    /// `Ingress`, `Egress` or both. Default: `Ingress`, plus `Egress` when `egress` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2), inner(length(max = 7)))]
    #[schemars(extend("x-kubernetes-validations" = [
        {"rule": "self.all(t, t in ['Ingress', 'Egress'])", "message": "policyTypes entries must be Ingress or Egress"}
    ]))]
    pub policy_types: Option<Vec<PolicyType>>,
    /// Allowed inbound traffic. `[]` (or absent, with Ingress) denies all; `[{}]` allows all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub ingress: Option<Vec<IngressRule>>,
    /// Allowed outbound traffic, with the same conventions as `ingress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub egress: Option<Vec<EgressRule>>,
    /// The cluster-scoped `SecurityPolicy` (DPI/WAF profile) applied to allowed flows.
    /// Absent: the policy acts as a plain NetworkPolicy and inspects nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_policy_ref: Option<SecurityPolicyRef>,
    /// Where the inspector runs. Default: `Chain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Inspection>,
}

/// Names a `SecurityPolicy`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SecurityPolicyRef {
    /// The SecurityPolicy's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// How covered flows reach the inspector.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Inspection {
    /// `Sidecar`: in the destination pod. `Chain`: a node-local inspector pod.
    #[serde(default)]
    pub mode: InspectionMode,
}

/// Where the inspector sits in the path.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
pub enum InspectionMode {
    /// A proxy container in the destination pod; redirect happens in the pod's netns.
    Sidecar,
    /// A separate inspector pod on the node; frames are steered to it, the destination kept.
    /// The default, because it needs no change to application pods.
    #[default]
    Chain,
}

/// What the controller observed and programmed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct L7NetworkPolicyStatus {
    /// `Ready`, `Programmed` and `Degraded`, with reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Pods selected by `podSelector`.
    #[serde(default)]
    pub selected_pods: i32,
    /// Nodes whose dataplane carries this policy.
    #[serde(default)]
    pub programmed_nodes: i32,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
