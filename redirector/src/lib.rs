//! The redirector's library, shared by the binary and its tests.
//!
//! - [`controller`]: `redirector controller`, from cluster objects to per-node RedirectPlans.
//! - [`exposition`]: the `/metrics` endpoint of every subcommand.
//! - [`desired`]: a node's desired state (the RedirectPlan spec) from the flow engine.
//! - [`nft`]: renders a node's plan into nftables rulesets (chain and sidecar modes) and
//!   diffs two rulesets into one atomic `nft -f` transaction.
//! - [`netlink`]: set-element updates sent to the kernel directly (no `nft` process).
//! - [`netns`]: work inside another network namespace from a thread of this process.
//! - [`inspector_policy`]: the inspector's policy file (SecurityPolicies and flow map) of a
//!   node's plan.

pub mod controller;
pub mod desired;
pub mod exposition;
pub mod inspector_policy;
pub mod netlink;
pub mod netns;
pub mod nft;
