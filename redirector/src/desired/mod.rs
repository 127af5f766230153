//! A node's desired state as the `RedirectPlan` spec: the engine's node plan, the address sets
//! it names, the failure modes of the SecurityPolicies its grants use, and its pods' network
//! namespaces. `redirector local`, the controller and the agent all go through this one value.
//! Pure.

use std::collections::BTreeMap;

use policy_crd::api::{FailureMode, RedirectPlanSpec};
use policy_crd::flow::{Engine, NodePlan};

/// The pod annotation naming its network namespace: a name under `/run/netns` or an absolute
/// path (`/proc/<pid>/ns/net`, a CRI bind mount).
pub const NETNS_ANNOTATION: &str = "chainwall.dev/netns";

/// The spec of `node`'s RedirectPlan. `failure_modes` holds every SecurityPolicy's; only those
/// the grants use are kept. `netns` maps `namespace/name` to a network namespace; only local
/// pods' are kept.
pub fn node_spec(
    engine: &Engine,
    node: &str,
    failure_modes: &BTreeMap<String, FailureMode>,
    netns: &BTreeMap<String, String>,
) -> RedirectPlanSpec {
    let (plan, address_sets) = engine.node_plan(node);
    let used: BTreeMap<String, FailureMode> = plan
        .pods
        .iter()
        .flat_map(|p| p.ingress.iter().chain(p.egress.iter()).flatten())
        .filter_map(|g| g.inspect.as_ref())
        .filter_map(|i| failure_modes.get(&i.security_policy).map(|m| (i.security_policy.clone(), *m)))
        .collect();
    let local_netns = plan.pods.iter().filter_map(|p| netns.get(&p.pod).map(|n| (p.pod.clone(), n.clone()))).collect();
    RedirectPlanSpec { node: plan.node, pods: plan.pods, address_sets, failure_modes: used, netns: local_netns }
}

/// The engine's node plan held in a spec.
pub fn node_plan(spec: &RedirectPlanSpec) -> NodePlan {
    NodePlan { node: spec.node.clone(), pods: spec.pods.clone() }
}

/// The serialised size of a spec, as the apiserver stores it (JSON).
pub fn spec_bytes(spec: &RedirectPlanSpec) -> usize {
    serde_json::to_vec(spec).map_or(usize::MAX, |v| v.len())
}

#[cfg(test)]
mod tests;
