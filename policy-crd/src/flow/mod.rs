//! NetworkPolicy semantics and the inspection plan, as pure functions of the cluster's
//! objects. See `ARCHITECTURE.md` ("Flow engine") for the rules and how they combine.

mod delta;
mod engine;
mod groups;
mod model;
mod peers;
mod plan;
mod policy;
mod ports;
mod query;
mod render;
mod selection;
mod selector;

pub use delta::{Delta, SetChange};
pub use engine::{Direction, Engine, RuleRef};
pub use model::{ContainerPort, Labels, NAMESPACE_NAME_LABEL, Namespace, Pod, PodKey, PolicyKey, Protocol};
pub use plan::{
    AddressSet, Block, Endpoint, Grant, InspectWith, LocalPod, NodePlan, Plan, PortRange, named_set_id, set_id,
};
pub use query::{Decision, Inspection, Probe, QueryError, SideDecision, Verdict};
pub use selector::Selector;
