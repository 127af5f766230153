//! Chainwall's API types and the pure flow engine.
//!
//! - [`api`]: `L7NetworkPolicy` and `SecurityPolicy` (kube-derive + schemars).
//! - [`crd`]: CRD YAML generated from those types.
//! - [`flow`]: NetworkPolicy semantics and the inspection plan. No I/O.
//! - [`manifests`]: YAML text to engine inputs, with errors naming file and object.
//! - [`profile`]: a SecurityPolicy rendered as the SecLang configuration an inspector loads.
//! - [`synthetic`]: a deterministic synthetic cluster for benchmarks.

pub mod api;
pub mod crd;
pub mod flow;
pub mod manifests;
pub mod profile;
pub mod synthetic;
