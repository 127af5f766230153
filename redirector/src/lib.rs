//! The redirector's pure parts, shared by the binary and its tests.
//!
//! - [`nft`]: renders a node's plan into nftables rulesets (chain and sidecar modes) and
//!   diffs two rulesets into one atomic `nft -f` transaction.

pub mod nft;
