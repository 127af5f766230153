//! Peer sets shared by content: plan sets with equal members become one nft set named after
//! the group's first id, empty sets are never shared, and `ipBlock`s get interval sets of
//! their own named by their ranges.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use std::collections::BTreeMap;
use std::net::IpAddr;

use nft_support::nft::element::Element;
use nft_support::nft::shared::{SharedNames, blocks, ports};
use policy_crd::flow::{AddressSet, Block, PortRange, Protocol};

fn set(addresses: &[&str], blocks: &[Block]) -> AddressSet {
    AddressSet {
        addresses: addresses.iter().map(|a| a.parse::<IpAddr>().unwrap()).collect(),
        blocks: blocks.to_vec(),
        endpoints: Default::default(),
    }
}

fn block(cidr: &str, except: &[&str]) -> Block {
    Block { cidr: cidr.parse().unwrap(), except: except.iter().map(|e| e.parse().unwrap()).collect() }
}

#[test]
fn equal_members_share_the_first_id_and_families_group_apart() {
    let sets = BTreeMap::from([
        ("b".to_owned(), set(&["10.0.0.1", "10.0.0.2", "fd00::1"], &[])),
        ("a".to_owned(), set(&["10.0.0.1", "10.0.0.2"], &[])),
        ("c".to_owned(), set(&["10.0.0.1"], &[])),
        ("e1".to_owned(), set(&[], &[])),
        ("e2".to_owned(), set(&[], &[])),
    ]);
    let names = SharedNames::new(&sets);
    assert_eq!(names.group("b", true), ("a".to_owned(), "a and 1 more with the same peers".to_owned()));
    assert_eq!(names.group("a", true).0, "a");
    assert_eq!(names.group("c", true), ("c".to_owned(), "c".to_owned()));
    assert_eq!(names.group("b", false).0, "b", "only b has IPv6 members");
    assert_eq!(names.group("e2", true).0, "e2", "empty sets are not shared");
    assert_eq!(names.group("a", false).0, "a", "empty in IPv6: its own");
    assert_eq!(names.group("unknown", true).0, "unknown");
}

#[test]
fn blocks_are_exact_ranges_named_by_content() {
    let one = set(&["10.244.0.5"], &[block("10.0.0.0/8", &["10.244.0.0/16"])]);
    let (name, comment, elements) = blocks(&one, true).unwrap();
    let texts: Vec<String> = elements.iter().map(Element::to_nft).collect();
    assert_eq!(texts, ["10.0.0.0-10.243.255.255", "10.245.0.0-10.255.255.255"], "pods stay out of block sets");
    assert_eq!(comment, "ipBlock 10.0.0.0/8 except 10.244.0.0/16");
    let other_pods = set(&["10.1.0.1"], &[block("10.0.0.0/8", &["10.244.0.0/16"])]);
    assert_eq!(blocks(&other_pods, true).unwrap().0, name, "same blocks, same name");
    let narrower = set(&[], &[block("10.0.0.0/8", &["10.244.0.0/15"])]);
    assert_ne!(blocks(&narrower, true).unwrap().0, name);
    assert!(blocks(&one, false).is_none(), "no IPv6 blocks");
    assert!(blocks(&set(&["10.0.0.1"], &[]), true).is_none());
}

#[test]
fn port_ranges_are_merged_for_an_interval_set() {
    let r = |first, last| PortRange { protocol: Protocol::Tcp, first, last };
    let merged = ports(&[r(9000, 9100), r(8080, 8080), r(9050, 9200), r(8081, 8081), r(22, 22)]);
    let texts: Vec<String> = merged.iter().map(Element::to_nft).collect();
    assert_eq!(texts, ["22", "8080-8081", "9000-9200"]);
}
