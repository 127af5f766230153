//! What the controller reads: a snapshot of its reflector stores.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use policy_crd::api::{L7NetworkPolicy, RedirectPlan, SecurityPolicy};

/// Every watched object, as the stores hold them at one moment.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Namespaces.
    pub namespaces: Vec<Arc<Namespace>>,
    /// Pods.
    pub pods: Vec<Arc<Pod>>,
    /// Nodes: a RedirectPlan exists for each, and for no other name.
    pub nodes: Vec<Arc<Node>>,
    /// L7NetworkPolicies.
    pub policies: Vec<Arc<L7NetworkPolicy>>,
    /// SecurityPolicies.
    pub security_policies: Vec<Arc<SecurityPolicy>>,
    /// The RedirectPlans as the apiserver holds them (spec and the agents' status).
    pub plans: Vec<Arc<RedirectPlan>>,
}
