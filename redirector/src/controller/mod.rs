//! `redirector controller`: watches L7NetworkPolicy, SecurityPolicy, Pod, Namespace, Node (and
//! its own RedirectPlans) through reflectors and, while it holds the leader Lease, runs
//! `observe → compute → apply` over the whole cluster state:
//!
//! - [`compute`] (pure): the flow engine's plan per node as a `RedirectPlan` spec, the
//!   policies' status conditions, finalizer changes and Events, as an [`compute::Actions`] value;
//! - [`apply`]: server-side apply of changed plans, deletes of gone nodes' plans, status
//!   patches, finalizer patches, Events;
//! - [`leader`]: a small Lease loop, so that of two replicas only one writes;
//! - [`metrics`]: reconcile counts, errors by [`Error::metric_label`], plan sizes.
//!
//! The plan is a function of the whole cluster (a pod's labels change other nodes' address
//! sets), so one global reconcile replaces a per-object `Controller`: any watch event marks the
//! state dirty and the next pass recomputes everything from the stores, which also makes it
//! level-triggered (a missed or replayed event changes nothing).

pub mod apply;
pub mod compute;
mod error;
pub mod leader;
pub mod metrics;
pub mod observe;
mod run;
pub mod status;

pub use error::Error;
pub use run::{ControllerArgs, run};

/// The finalizer on L7NetworkPolicies: removed once no RedirectPlan carries the policy.
pub const FINALIZER: &str = "chainwall.dev/dataplane-cleanup";
/// The field manager of the controller's writes.
pub const MANAGER: &str = "chainwall-controller";
/// The largest RedirectPlan spec the controller writes (the apiserver's limit is 1.5 MiB per
/// object, etcd's request limit; the rest is headroom for metadata and status).
pub const MAX_PLAN_BYTES: usize = 1024 * 1024;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod mock_tests;
#[cfg(test)]
mod tests;
