//! The `chainwall.dev/v1alpha1` API.

mod l7_network_policy;
mod netpol;
mod redirect_plan;
mod security_policy;
mod selector;

pub use l7_network_policy::{
    Inspection, InspectionMode, L7NetworkPolicy, L7NetworkPolicySpec, L7NetworkPolicyStatus, SecurityPolicyRef,
};
pub use netpol::{EgressRule, IngressRule, IpBlock, Peer, PolicyType, Port};
pub use redirect_plan::{RedirectPlan, RedirectPlanSpec, RedirectPlanStatus};
pub use security_policy::{
    AllowRule, CrsSettings, EnforcementMode, Exclusion, FailureMode, HeaderMatch, Limits, OverLimitAction,
    SecurityPolicy, SecurityPolicySpec, SecurityPolicyStatus,
};
pub use selector::{LabelSelector, LabelSelectorRequirement};

/// The API group.
pub const GROUP: &str = "chainwall.dev";
/// The API version.
pub const VERSION: &str = "v1alpha1";
