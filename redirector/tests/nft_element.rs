//! Interval arithmetic of peer sets: blocks minus exceptions, pod IPs inside blocks, merging,
//! prefix printing, both families.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use std::net::IpAddr;

use nft_support::nft::element::{Element, normalize};
use policy_crd::flow::Block;

fn block(cidr: &str, except: &[&str]) -> Block {
    Block { cidr: cidr.parse().unwrap(), except: except.iter().map(|e| e.parse().unwrap()).collect() }
}

fn texts(v4: bool, addresses: &[&str], blocks: &[Block]) -> Vec<String> {
    let addresses: Vec<IpAddr> = addresses.iter().map(|a| a.parse().unwrap()).collect();
    normalize(v4, &addresses, blocks).iter().map(Element::to_nft).collect()
}

#[test]
fn except_in_the_middle_splits_the_block() {
    assert_eq!(
        texts(true, &[], &[block("10.0.0.0/8", &["10.244.0.0/16"])]),
        ["10.0.0.0-10.243.255.255", "10.245.0.0-10.255.255.255"]
    );
}

#[test]
fn excepts_at_the_edges_and_overlapping() {
    let b = block("10.0.0.0/24", &["10.0.0.0/26", "10.0.0.192/26", "10.0.0.32/27"]);
    assert_eq!(texts(true, &[], &[b]), ["10.0.0.64-10.0.0.191"]);
    assert_eq!(texts(true, &[], &[block("10.0.0.0/24", &["10.0.0.0/24"])]), Vec::<String>::new());
}

#[test]
fn an_except_does_not_remove_a_selected_pod_or_another_block() {
    let b = block("10.0.0.0/16", &["10.0.1.0/24"]);
    let other = block("10.0.1.128/25", &[]);
    assert_eq!(texts(true, &["10.0.1.5"], &[b, other]), ["10.0.0.0/24", "10.0.1.5", "10.0.1.128-10.0.255.255"]);
}

#[test]
fn pods_inside_blocks_add_nothing_and_neighbours_merge() {
    let b = block("192.168.0.0/24", &[]);
    assert_eq!(texts(true, &["192.168.0.7", "192.168.1.0"], &[b]), ["192.168.0.0-192.168.1.0"]);
    assert_eq!(texts(true, &["10.0.0.1", "10.0.0.2"], &[]), ["10.0.0.1-10.0.0.2"]);
}

#[test]
fn families_are_kept_apart_and_whole_ranges_print_as_prefixes() {
    let blocks = [block("0.0.0.0/0", &[]), block("::/0", &["fd00::/8"])];
    assert_eq!(texts(true, &["fd00::1"], &blocks), ["0.0.0.0/0"]);
    assert_eq!(
        texts(false, &["10.0.0.1", "fd00::1"], &blocks),
        ["::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fd00::1", "fe00::/7"]
    );
}
