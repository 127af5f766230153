//! The redirector's pure parts, shared by the binary and its tests.
//!
//! - [`nft`]: renders a node's plan into nftables rulesets (chain and sidecar modes) and
//!   diffs two rulesets into one atomic `nft -f` transaction.
//! - [`inspector_policy`]: the inspector's policy file (SecurityPolicies and flow map) of a
//!   node's plan.

pub mod inspector_policy;
pub mod nft;
