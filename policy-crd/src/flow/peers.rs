//! `NetworkPolicyPeer`: pods by selector (scoped by namespace) or an IP block.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::api::{IpBlock, Peer};

use super::selector::Selector;

/// A validated peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerMatch {
    /// Pods matching `pods` in the namespaces `namespaces` picks.
    Pods { namespaces: NamespaceScope, pods: Selector },
    /// Addresses in `cidr` but in none of `except`.
    Block(CidrBlock),
}

/// Which namespaces a pod peer looks in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceScope {
    /// Only the policy's own namespace (no `namespaceSelector`).
    Own(String),
    /// Namespaces whose labels match (`{}` is every namespace).
    Matching(Selector),
}

/// An `ipBlock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CidrBlock {
    /// The range.
    pub cidr: IpNet,
    /// Sub-ranges left out.
    pub except: Vec<IpNet>,
}

impl CidrBlock {
    /// Whether `ip` is inside the range and outside every exception.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(&ip) && !self.except.iter().any(|e| e.contains(&ip))
    }
}

impl PeerMatch {
    /// Validates a peer of a policy in `namespace`: exactly one kind, valid selectors, and
    /// `except` entries inside `cidr`.
    pub fn compile(peer: &Peer, namespace: &str) -> Result<Self, String> {
        let has_pods = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
        match (&peer.ip_block, has_pods) {
            (Some(_), true) => Err("peer sets both ipBlock and a selector".into()),
            (None, false) => Err("peer sets none of podSelector, namespaceSelector, ipBlock".into()),
            (Some(block), false) => compile_block(block).map(Self::Block),
            (None, true) => {
                let pods = match &peer.pod_selector {
                    Some(s) => Selector::compile(s).map_err(|e| format!("podSelector: {e}"))?,
                    None => Selector::everything(),
                };
                let namespaces = match &peer.namespace_selector {
                    Some(s) => {
                        NamespaceScope::Matching(Selector::compile(s).map_err(|e| format!("namespaceSelector: {e}"))?)
                    }
                    None => NamespaceScope::Own(namespace.to_owned()),
                };
                Ok(Self::Pods { namespaces, pods })
            }
        }
    }
}

fn compile_block(block: &IpBlock) -> Result<CidrBlock, String> {
    let cidr = parse_cidr(&block.cidr)?;
    let mut except = Vec::new();
    for e in block.except.iter().flatten() {
        let net = parse_cidr(e)?;
        if !cidr.contains(&net) {
            return Err(format!("except {e} is not inside cidr {}", block.cidr));
        }
        except.push(net);
    }
    Ok(CidrBlock { cidr, except })
}

fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let net: IpNet = s.parse().map_err(|_| format!("invalid CIDR {s:?}"))?;
    // The apiserver accepts host bits only in their canonical (zeroed) form in new objects;
    // we accept both and match on the network.
    Ok(net.trunc())
}
