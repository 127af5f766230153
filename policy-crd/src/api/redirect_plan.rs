//! `RedirectPlan`: one node's desired dataplane state, written by the controller and read by
//! that node's agent, which reports back in its status. Cluster-scoped, named after the node.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::security_policy::FailureMode;
use crate::flow::{AddressSet, LocalPod};

/// What one node's agent programs: its local pods' grants (the flow engine's node plan), the
/// address sets they name, and what the renderer needs besides (failure modes, pods' network
/// namespaces).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chainwall.dev",
    version = "v1alpha1",
    kind = "RedirectPlan",
    plural = "redirectplans",
    shortname = "rplan",
    category = "chainwall",
    status = "RedirectPlanStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name":"Pods","type":"integer","jsonPath":".status.pods"}"#,
    printcolumn = r#"{"name":"Programmed","type":"string","jsonPath":".status.conditions[?(@.type==\"Programmed\")].status"}"#,
    printcolumn = r#"{"name":"Generation","type":"integer","jsonPath":".status.observedGeneration"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct RedirectPlanSpec {
    /// The node (equal to `metadata.name`).
    pub node: String,
    /// Local pods with an IP, sorted by `namespace/name`, with their ingress and egress grants.
    #[serde(default)]
    pub pods: Vec<LocalPod>,
    /// The address sets the grants name, by id (`ns/policy/ingress/0`).
    #[serde(default)]
    pub address_sets: BTreeMap<String, AddressSet>,
    /// Failure mode of every SecurityPolicy a grant names; a missing one fails closed.
    #[serde(default)]
    pub failure_modes: BTreeMap<String, FailureMode>,
    /// `namespace/name` → the pod's network namespace, from the `chainwall.dev/netns`
    /// annotation (a name under `/run/netns` or an absolute path); sidecar mode needs it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub netns: BTreeMap<String, String>,
}

/// What the node's agent reports.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectPlanStatus {
    /// `Programmed`: whether the dataplane holds `observedGeneration`'s spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` the agent last tried to program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// When that generation was programmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programmed_time: Option<Time>,
    /// The last error, when programming failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Pods programmed.
    #[serde(default)]
    pub pods: i32,
}
