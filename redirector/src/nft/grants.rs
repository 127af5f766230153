//! The plan's grants as rule bodies, and the book of sets those bodies reference. A grant
//! becomes one body per protocol: `ip daddr @pods.P ip saddr @peers.R tcp dport 8080`, and
//! one more per protocol with `ip saddr @blocks.H` when its peers include `ipBlock`s.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use policy_crd::api::InspectionMode;
use policy_crd::flow::{AddressSet, Direction, Grant, PortRange, Protocol};

use super::element::Element;
use super::model::{Key, Set};
use super::shared::{self, SharedNames};

/// A grant without its policy name (the policy is the grouping key), comparable.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Allow {
    /// Peer address set id; `None`: any peer.
    pub peers: Option<String>,
    /// Port ranges; `None`: any protocol and port.
    pub ports: Option<Vec<PortRange>>,
    /// The SecurityPolicy, when covered.
    pub cover: Option<Cover>,
}

/// A covered grant's SecurityPolicy and placement.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cover {
    /// SecurityPolicy name.
    pub security_policy: String,
    /// The inspector is a sidecar of the destination pod (else the node's inspector).
    pub sidecar: bool,
    /// Sidecar-placed, on a local pod whose sidecar this node cannot program.
    pub sidecarless: bool,
}

impl From<&Grant> for Allow {
    fn from(g: &Grant) -> Self {
        let cover = g.inspect.as_ref().map(|i| Cover {
            security_policy: i.security_policy.clone(),
            sidecar: i.placement == InspectionMode::Sidecar,
            sidecarless: false,
        });
        Self { peers: g.peers.clone(), ports: g.ports.clone(), cover }
    }
}

impl Allow {
    /// A local pod's grant; `sidecarless`: the pod's sidecar cannot be programmed.
    pub fn of_pod(g: &Grant, sidecarless: bool) -> Self {
        let mut allow = Self::from(g);
        if let Some(cover) = allow.cover.as_mut() {
            cover.sidecarless = cover.sidecar && sidecarless;
        }
        allow
    }
}

/// The local end of a rule: a set of local pods, one address, or nothing (inside a pod netns).
#[derive(Clone, Debug)]
pub enum Local {
    /// Any (the netns is the pod's own).
    Any,
    /// A named set of local pod addresses.
    Set(String),
    /// One address.
    Addr(IpAddr),
}

/// Which way a packet travels relative to the grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// From the client to the server (the connection's first packet).
    Request,
    /// The server's reply (only steering needs it: the bridge has no conntrack).
    Reply,
}

/// Sets referenced so far in one table, by name.
#[derive(Clone, Debug)]
pub struct Book<'a> {
    plan_sets: &'a BTreeMap<String, AddressSet>,
    shared: SharedNames,
    sets: BTreeMap<String, Set>,
}

impl<'a> Book<'a> {
    /// An empty book over the plan's address sets.
    pub fn new(plan_sets: &'a BTreeMap<String, AddressSet>) -> Self {
        Self { plan_sets, shared: SharedNames::new(plan_sets), sets: BTreeMap::new() }
    }

    /// Declares (once) a set of local pod addresses named `prefix.base` and returns its name.
    pub fn pods(&mut self, prefix: &str, base: &str, v4: bool, comment: &str, members: &BTreeSet<IpAddr>) -> String {
        let name = set_name(prefix, base, v4);
        let elements = members.iter().filter(|ip| ip.is_ipv4() == v4).map(|ip| Element::addr(*ip)).collect();
        let key = if v4 { Key::Ipv4 } else { Key::Ipv6 };
        let set = Set { name: name.clone(), key, interval: false, comment: comment.to_owned(), elements };
        self.sets.entry(name.clone()).or_insert(set);
        name
    }

    /// Declares (once) the sets a plan address set's peers are matched with, in one family,
    /// and returns each name and whether it holds endpoints (address and port) rather than
    /// addresses: the pods' set (shared with every plan set of equal members, see [`shared`]),
    /// then the `ipBlock` interval set when the plan set has blocks in this family.
    pub fn peers(&mut self, id: &str, v4: bool) -> Vec<(String, bool)> {
        let empty = AddressSet::default();
        let source = self.plan_sets.get(id).unwrap_or(&empty);
        let endpoints = !source.endpoints.is_empty();
        let (group, comment) = self.shared.group(id, v4);
        let name = set_name("peers", &group, v4);
        self.sets.entry(name.clone()).or_insert_with(|| {
            let (key, elements) = if endpoints {
                let e = source.endpoints.iter().filter(|e| e.address.is_ipv4() == v4);
                (
                    if v4 { Key::Ipv4Service } else { Key::Ipv6Service },
                    e.map(|e| Element::Endpoint(e.address, e.port)).collect(),
                )
            } else {
                let a = source.addresses.iter().filter(|ip| ip.is_ipv4() == v4);
                (if v4 { Key::Ipv4 } else { Key::Ipv6 }, a.map(|ip| Element::addr(*ip)).collect())
            };
            Set { name: name.clone(), key, interval: false, comment, elements }
        });
        let mut out = vec![(name, endpoints)];
        // An endpoint set (an egress named port) matches pods only, as before.
        if let Some((hash, comment, elements)) = shared::blocks(source, v4).filter(|_| !endpoints) {
            let name = set_name("blocks", &hash, v4);
            let key = if v4 { Key::Ipv4 } else { Key::Ipv6 };
            let set = Set { name: name.clone(), key, interval: true, comment, elements };
            self.sets.entry(name.clone()).or_insert(set);
            out.push((name, false));
        }
        out
    }

    /// Declares (once) a set of these port ranges, merged, and returns its name: a named set
    /// shared by every rule with the same ports, where an inline list would be one anonymous
    /// interval set per rule, each of which `nft` reads before any element update.
    pub fn ports(&mut self, ranges: &[PortRange]) -> String {
        let elements = shared::ports(ranges);
        let texts: Vec<String> = elements.iter().map(Element::to_nft).collect();
        let name = set_name("ports", &texts.join("_"), true);
        let interval = elements.iter().any(|e| matches!(e, Element::Ports(first, last) if first != last));
        let comment = texts.join(", ");
        let set = Set { name: name.clone(), key: Key::Service, interval, comment, elements };
        self.sets.entry(name.clone()).or_insert(set);
        name
    }

    /// The sets declared, sorted by name.
    pub fn into_sets(self) -> Vec<Set> {
        self.sets.into_values().collect()
    }
}

/// A set name from a prefix and an id; `.v6` marks the IPv6 twin. Ids too long for nft (256
/// bytes) are replaced by a stable hash; the comment keeps the id.
pub fn set_name(prefix: &str, id: &str, v4: bool) -> String {
    let family = if v4 { "" } else { ".v6" };
    if id.len() <= 200 {
        return format!("{prefix}.{id}{family}");
    }
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{prefix}.{hash:016x}{family}")
}

/// The bodies of one grant in one family: one per protocol, each with that protocol (`None`:
/// any protocol, when the grant has no ports).
pub fn bodies(
    book: &mut Book<'_>,
    v4: bool,
    dir: Direction,
    way: Way,
    local: &Local,
    allow: &Allow,
) -> Vec<(Option<Protocol>, String)> {
    let ip = if v4 { "ip" } else { "ip6" };
    let (mut local_field, mut peer_field) = match dir {
        Direction::Ingress => ("daddr", "saddr"),
        Direction::Egress => ("saddr", "daddr"),
    };
    let port_field = if way == Way::Reply {
        std::mem::swap(&mut local_field, &mut peer_field);
        "sport"
    } else {
        "dport"
    };
    let head = match local {
        Local::Any => String::new(),
        Local::Set(name) => format!("{ip} {local_field} @{name} "),
        Local::Addr(addr) => format!("{ip} {local_field} {addr} "),
    };
    let peer_sets = match &allow.peers {
        None => vec![None],
        Some(id) => book.peers(id, v4).into_iter().map(Some).collect(),
    };
    let mut out = Vec::new();
    for peers in &peer_sets {
        out.extend(with_ports(book, [ip, peer_field, port_field], &head, peers.as_ref(), allow));
    }
    out
}

/// One body per protocol of a grant's ports, peers matched with one set (`None`: any peer).
fn with_ports(
    book: &mut Book<'_>,
    [ip, peer_field, port_field]: [&str; 3],
    head: &str,
    peers: Option<&(String, bool)>,
    allow: &Allow,
) -> Vec<(Option<Protocol>, String)> {
    let mut head = head.to_owned();
    if let Some((name, false)) = peers {
        head.push_str(&format!("{ip} {peer_field} @{name} "));
    }
    let Some(ports) = &allow.ports else {
        return vec![(None, head.trim_end().to_owned())];
    };
    let mut by_protocol: BTreeMap<Protocol, Vec<PortRange>> = BTreeMap::new();
    for range in ports {
        by_protocol.entry(range.protocol).or_default().push(*range);
    }
    let mut out = Vec::new();
    for (protocol, ranges) in by_protocol {
        let word = match protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        };
        let tail = match peers {
            // An endpoint set carries the port: the grant's range is "any".
            Some((name, true)) => format!("{ip} {peer_field} . {word} {port_field} @{name}"),
            _ if ranges.iter().any(|r| r.first <= 1 && r.last == u16::MAX) => format!("meta l4proto {word}"),
            _ if ranges.len() == 1 => format!("{word} {port_field} {}", port_list(&ranges)),
            _ => format!("{word} {port_field} @{}", book.ports(&ranges)),
        };
        out.push((Some(protocol), format!("{head}{tail}")));
    }
    out
}

fn port_list(ranges: &[PortRange]) -> String {
    let text: Vec<String> = ranges
        .iter()
        .map(|r| if r.first == r.last { r.first.to_string() } else { format!("{}-{}", r.first, r.last) })
        .collect();
    if text.len() == 1 { text.concat() } else { format!("{{ {} }}", text.join(", ")) }
}
