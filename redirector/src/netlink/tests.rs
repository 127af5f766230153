#![allow(clippy::unwrap_used)]

use super::ack::{Ack, acks};
use super::message::{MAX_BATCH_BYTES, Unsupported, batch};
use crate::nft::diff::SetChange;
use crate::nft::element::Element;
use crate::nft::model::{Family, Key};

fn change(key: Key, delete: Vec<Element>, add: Vec<Element>) -> SetChange {
    SetChange {
        family: Family::Inet,
        table: "chainwall".into(),
        set: "peers.x".into(),
        key,
        interval: false,
        delete,
        add,
    }
}

fn addr(s: &str) -> Element {
    Element::addr(s.parse().unwrap())
}

/// The messages of a batch: (type, flags, seq, family) in order.
fn headers(bytes: &[u8]) -> Vec<(u16, u16, u32, u8)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
        assert!(len >= 20 && len.is_multiple_of(4) && len <= rest.len(), "message length {len}");
        let kind = u16::from_ne_bytes(rest[4..6].try_into().unwrap());
        let flags = u16::from_ne_bytes(rest[6..8].try_into().unwrap());
        let seq = u32::from_ne_bytes(rest[8..12].try_into().unwrap());
        out.push((kind, flags, seq, rest[16]));
        rest = &rest[len..];
    }
    out
}

#[test]
fn a_batch_is_begin_deletes_adds_end_with_acks_asked_for_the_element_messages() {
    let changes = vec![change(Key::Ipv4, vec![addr("10.0.0.1")], vec![addr("10.0.0.2"), addr("10.0.0.3")])];
    let b = batch(&changes, 7).unwrap();
    let delete = 10 << 8 | 14;
    let add = 10 << 8 | 12;
    assert_eq!(headers(&b.bytes), vec![(0x10, 0x1, 7, 0), (delete, 0x5, 8, 1), (add, 0x405, 9, 1), (0x11, 0x1, 10, 0)]);
    assert_eq!(b.acked.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), vec![8, 9]);
    assert_eq!(b.acked[1].1, "add 2 elements of inet chainwall peers.x");
}

#[test]
fn element_keys_are_written_as_the_kernel_stores_them() {
    let endpoint = Element::Endpoint("10.1.2.3".parse().unwrap(), 8080);
    let b = batch(&[change(Key::Ipv4Service, vec![], vec![endpoint])], 1).unwrap();
    // 10.1.2.3, port 8080 big-endian, two bytes of padding: the data attribute's value.
    let value = [10, 1, 2, 3, 0x1f, 0x90, 0, 0];
    assert!(b.bytes.windows(12).any(|w| w[..4] == [12, 0, 1, 0] && w[4..] == value), "{:?}", b.bytes);
    let b = batch(&[change(Key::Service, vec![], vec![Element::Ports(53, 53)])], 1).unwrap();
    assert!(b.bytes.windows(8).any(|w| w == [6, 0, 1, 0, 0, 53, 0, 0]), "{:?}", b.bytes);
}

#[test]
fn what_only_nft_can_write_is_refused_before_anything_is_sent() {
    let interval = SetChange { interval: true, ..change(Key::Ipv4, vec![], vec![addr("10.0.0.1")]) };
    assert_eq!(batch(&[interval], 1), Err(Unsupported::Interval("peers.x".into())));
    let map = change(Key::EtherTypeVerdict, vec![Element::Verdict("ip", "accept".into())], vec![]);
    assert_eq!(batch(&[map], 1), Err(Unsupported::Map("peers.x".into())));
    let range = Element::Range("10.0.0.0".parse().unwrap(), "10.0.0.255".parse().unwrap());
    assert!(matches!(batch(&[change(Key::Ipv4, vec![], vec![range])], 1), Err(Unsupported::Element { .. })));
    let v6_in_v4 = change(Key::Ipv4, vec![], vec![addr("fd00::1")]);
    assert!(matches!(batch(&[v6_in_v4], 1), Err(Unsupported::Element { .. })));
    let many: Vec<Element> = (0..20_000_u32).map(|n| Element::addr(std::net::Ipv4Addr::from(n).into())).collect();
    let big = batch(&[change(Key::Ipv4, vec![], many)], 1);
    assert!(matches!(big, Err(Unsupported::TooLarge(n)) if n > MAX_BATCH_BYTES));
}

#[test]
fn acks_are_read_from_error_messages_and_truncation_stops_the_list() {
    let ack = |seq: u32, error: i32| {
        let mut m = Vec::new();
        m.extend(36_u32.to_ne_bytes());
        m.extend(2_u16.to_ne_bytes());
        m.extend(0_u16.to_ne_bytes());
        m.extend(seq.to_ne_bytes());
        m.extend(0_u32.to_ne_bytes());
        m.extend(error.to_ne_bytes());
        m.extend([0; 16]);
        m
    };
    let mut datagram = [ack(8, 0), ack(9, -2)].concat();
    assert_eq!(acks(&datagram), vec![Ack { seq: 8, errno: 0 }, Ack { seq: 9, errno: 2 }]);
    datagram.truncate(50);
    assert_eq!(acks(&datagram), vec![Ack { seq: 8, errno: 0 }]);
    assert_eq!(acks(&[0xff; 7]), vec![]);
}
