//! The nftables dataplane, as pure functions: a node's plan becomes rulesets (data, printable
//! as `nft -f` text), and two rulesets become the one transaction between them.
//!
//! - [`node::node`]: chain mode in the node netns. `table inet chainwall` drops denied flows
//!   statefully and marks covered flows arriving routed; `table bridge chainwall` rewrites the
//!   destination MAC of covered frames to the inspector pod's.
//! - [`inspector::inspector`]: chain mode in the inspector pod's netns (TPROXY + fwmark).
//! - [`sidecar::sidecar`]: sidecar mode in one destination pod's netns (REDIRECT).
//! - [`diff::diff`]: old ruleset to new as element updates (typed per set, for netlink), or a
//!   table replace when the rule structure changed; [`delta::NodeState::apply`] folds a
//!   policy-crd `Delta` in, [`delta::NodeState::delta_to`] finds the one between two plans.
//! - [`incremental::Rendered`]: a node's chain-mode ruleset kept current one `Delta` at a
//!   time: a pod joining or leaving existing sets becomes the diff's element updates straight
//!   from indexes (cost of the change, not of the ruleset); anything that might change the
//!   skeleton takes the full render + diff. Either way the result is `node()`'s.
//!
//! Rules grow with policies, not pods: a policy's local pods, its peers, and named-port
//! endpoints are named sets, and one pod change is a set-element update. Pod addresses live in
//! plain (hash) sets shared by every rule with the same peers ([`shared`]); `ipBlock`s live in
//! interval sets of their own, matched by a second rule. Every covered rule
//! ends in a health map ([`health`]), so the agent switches failure modes by element updates.

pub mod config;
pub mod delta;
pub mod diff;
pub mod element;
pub mod grants;
pub mod health;
pub mod incremental;
pub mod inspector;
pub mod model;
pub mod node;
pub mod shared;
pub mod sidecar;
pub mod variants;
