//! Set elements, and the interval arithmetic that turns `ipBlock`s with `except` into disjoint
//! ranges: `10.0.0.0/8 except 10.244.0.0/16` becomes two ranges, so one interval set says
//! exactly "in the block and in no exception" and needs no second lookup. (Pod addresses live
//! in plain sets: see [`super::shared`].)

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use policy_crd::flow::Block;

/// One member of a set or map.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    /// An address range, inclusive; printed as an address, a prefix or `first-last`.
    Range(IpAddr, IpAddr),
    /// An address and a port (`ipv4_addr . inet_service`).
    Endpoint(IpAddr, u16),
    /// A verdict map entry: key and verdict (`ip : goto steer`).
    Verdict(&'static str, String),
    /// A port range, inclusive (`inet_service`); printed as a port or `first-last`.
    Ports(u16, u16),
}

impl Element {
    /// A single address.
    pub fn addr(ip: IpAddr) -> Self {
        Self::Range(ip, ip)
    }

    /// The element as written inside `elements = { ... }`.
    pub fn to_nft(&self) -> String {
        match self {
            Self::Range(first, last) => range_text(*first, *last),
            Self::Endpoint(ip, port) => format!("{ip} . {port}"),
            Self::Verdict(key, verdict) => format!("{key} : {verdict}"),
            Self::Ports(first, last) if first == last => first.to_string(),
            Self::Ports(first, last) => format!("{first}-{last}"),
        }
    }

    /// The element as `delete element` needs it (a map entry by its key alone).
    pub fn key_nft(&self) -> String {
        match self {
            Self::Verdict(key, _) => (*key).to_owned(),
            other => other.to_nft(),
        }
    }
}

fn range_text(first: IpAddr, last: IpAddr) -> String {
    if first == last {
        return first.to_string();
    }
    let bits = if first.is_ipv4() { 32 } else { 128 };
    let (lo, hi) = (to_int(first), to_int(last));
    let span = hi.wrapping_sub(lo);
    // A prefix: the span is 2^k - 1 and the start is aligned to it.
    if span & span.wrapping_add(1) == 0 && lo & span == 0 {
        return format!("{first}/{}", bits - span.count_ones());
    }
    format!("{first}-{last}")
}

fn to_int(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_int(v4: bool, n: u128) -> IpAddr {
    if v4 { IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX))) } else { IpAddr::V6(Ipv6Addr::from(n)) }
}

/// Disjoint, merged ranges of one family (`v4`) covering `addresses` and every block minus its
/// exceptions, sorted. An address inside a block adds nothing.
pub fn normalize<'a>(v4: bool, addresses: impl IntoIterator<Item = &'a IpAddr>, blocks: &[Block]) -> Vec<Element> {
    let mut ranges: Vec<(u128, u128)> =
        addresses.into_iter().filter(|ip| ip.is_ipv4() == v4).map(|ip| (to_int(*ip), to_int(*ip))).collect();
    for block in blocks.iter().filter(|b| b.cidr.addr().is_ipv4() == v4) {
        let whole = (to_int(block.cidr.network()), to_int(block.cidr.broadcast()));
        let excepts: Vec<(u128, u128)> =
            block.except.iter().map(|e| (to_int(e.network()), to_int(e.broadcast()))).collect();
        ranges.extend(subtract(whole, excepts));
    }
    merge(ranges).into_iter().map(|(lo, hi)| Element::Range(from_int(v4, lo), from_int(v4, hi))).collect()
}

/// `whole` minus every range of `cut`.
fn subtract(whole: (u128, u128), cut: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    let mut out = Vec::new();
    let mut next = Some(whole.0); // first address not yet emitted or cut
    for (lo, hi) in merge(cut) {
        let Some(start) = next else { break };
        if hi < start || lo > whole.1 {
            continue;
        }
        if lo > start {
            out.push((start, lo - 1));
        }
        next = hi.checked_add(1).filter(|n| *n <= whole.1);
    }
    if let Some(start) = next {
        out.push((start, whole.1));
    }
    out
}

/// Sorted, with overlapping and adjacent ranges joined.
fn merge(mut ranges: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    ranges.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}
