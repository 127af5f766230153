//! Peer sets shared by content. The plan has one address set per policy rule, and rules with
//! the same selectors hold the same pods: each group of plan sets with equal members (in one
//! family) becomes one nft set, named after the group's first id, so elements grow with
//! distinct peer groups, not rules. The name depends on which ids share, not on the members:
//! a pod joining every set of a group is still an element update. `ipBlock`s are policy text,
//! not pods: they get interval sets of their own, named by a hash of their ranges.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use policy_crd::flow::{AddressSet, Endpoint, PortRange};

use super::element::{self, Element};

/// One group's members in one family: endpoint sets (key with port) apart from address sets.
type Members<'a> = (bool, Vec<&'a IpAddr>, Vec<&'a Endpoint>);

/// The shared name and comment of every plan address set, per family.
#[derive(Clone, Debug, Default)]
pub struct SharedNames {
    /// `(id, v4)` to the group's first id and the group's size.
    groups: BTreeMap<(String, bool), (String, usize)>,
}

impl SharedNames {
    /// Groups the plan's address sets by their members, family by family.
    pub fn new(plan_sets: &BTreeMap<String, AddressSet>) -> Self {
        let mut groups = BTreeMap::new();
        for v4 in [true, false] {
            let mut by_members: BTreeMap<Members<'_>, Vec<&String>> = BTreeMap::new();
            for (id, set) in plan_sets {
                let members = members(set, v4);
                if members.1.is_empty() && members.2.is_empty() {
                    // Empty sets are equal by chance, not by selectors: sharing them would
                    // make the first pod of any of them a structural change.
                    groups.insert((id.clone(), v4), (id.clone(), 1));
                    continue;
                }
                by_members.entry(members).or_default().push(id);
            }
            for ids in by_members.into_values() {
                let first = ids.iter().min().map(|s| s.to_string()).unwrap_or_default();
                for id in &ids {
                    groups.insert(((*id).clone(), v4), (first.clone(), ids.len()));
                }
            }
        }
        Self { groups }
    }

    /// The id naming the group of `id` in this family, and a comment saying what it holds.
    pub fn group(&self, id: &str, v4: bool) -> (String, String) {
        match self.groups.get(&(id.to_owned(), v4)) {
            Some((first, 1)) => (first.clone(), first.clone()),
            Some((first, n)) => (first.clone(), format!("{first} and {} more with the same peers", n - 1)),
            None => (id.to_owned(), id.to_owned()),
        }
    }
}

fn members(set: &AddressSet, v4: bool) -> Members<'_> {
    (
        !set.endpoints.is_empty(),
        set.addresses.iter().filter(|ip| ip.is_ipv4() == v4).collect(),
        set.endpoints.iter().filter(|e| e.address.is_ipv4() == v4).collect(),
    )
}

/// The `ipBlock` ranges of a plan set in one family (each block minus its exceptions, merged),
/// with a content-derived name suffix and a comment; `None` when it has none in this family.
pub fn blocks(set: &AddressSet, v4: bool) -> Option<(String, String, BTreeSet<Element>)> {
    let ranges = element::normalize(v4, [], &set.blocks);
    if ranges.is_empty() {
        return None;
    }
    let texts: Vec<String> = ranges.iter().map(Element::to_nft).collect();
    let hash = texts
        .join(",")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let described: Vec<String> = set
        .blocks
        .iter()
        .filter(|b| b.cidr.addr().is_ipv4() == v4)
        .map(|b| {
            let except: Vec<String> = b.except.iter().map(ToString::to_string).collect();
            if except.is_empty() { b.cidr.to_string() } else { format!("{} except {}", b.cidr, except.join(" ")) }
        })
        .collect();
    Some((format!("{hash:016x}"), format!("ipBlock {}", described.join(", ")), ranges.into_iter().collect()))
}

/// Port ranges as set elements: sorted, overlapping and adjacent ranges joined (an interval
/// set refuses overlaps), whatever their protocol (the rule names it).
pub fn ports(ranges: &[PortRange]) -> BTreeSet<Element> {
    let mut sorted: Vec<(u16, u16)> = ranges.iter().map(|r| (r.first, r.last)).collect();
    sorted.sort_unstable();
    let mut merged: Vec<(u16, u16)> = Vec::new();
    for (first, last) in sorted {
        match merged.last_mut() {
            Some(prev) if first <= prev.1.saturating_add(1) => prev.1 = prev.1.max(last),
            _ => merged.push((first, last)),
        }
    }
    merged.into_iter().map(|(first, last)| Element::Ports(first, last)).collect()
}
