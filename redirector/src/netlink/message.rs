//! nf_tables netlink messages for set-element updates, as bytes: one batch (begin, one
//! `NEWSETELEM`/`DELSETELEM` per set and direction, end) that the kernel applies all or
//! nothing. Pure: no sockets. The answers are read in [`super::ack`].

use std::net::IpAddr;

use crate::nft::diff::SetChange;
use crate::nft::element::Element;
use crate::nft::model::{Family, Key};

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
const NFNL_MSG_BATCH_END: u16 = 0x11;
const NFT_MSG_NEWSETELEM: u16 = 12;
const NFT_MSG_DELSETELEM: u16 = 14;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_CREATE: u16 = 0x400;
const NLA_F_NESTED: u16 = 0x8000;
const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
const NFTA_SET_ELEM_LIST_SET: u16 = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_SET_ELEM_KEY: u16 = 1;
const NFTA_DATA_VALUE: u16 = 1;

/// Batches larger than this go to `nft -f` instead (the socket's default send buffer is
/// about 208 KiB, and a batch is one `send`).
pub const MAX_BATCH_BYTES: usize = 128 * 1024;

/// Why a change cannot be written as element messages here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// Interval sets need start and end elements, which `nft` computes.
    #[error("set {0} is an interval set")]
    Interval(String),
    /// Verdict maps carry data, not just keys.
    #[error("set {0} is a verdict map")]
    Map(String),
    /// An element that does not fit the set's key type.
    #[error("element {element} does not fit set {set}")]
    Element {
        /// The set.
        set: String,
        /// The element, as nft text.
        element: String,
    },
    /// Over [`MAX_BATCH_BYTES`].
    #[error("batch of {0} bytes is too large")]
    TooLarge(usize),
}

/// A batch ready to send, and the sequence numbers whose acknowledgements it asks for, each
/// with the message's description (`add 3 elements to inet chainwall peers.x`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The bytes of every message, in order.
    pub bytes: Vec<u8>,
    /// Acknowledged messages: sequence number and description.
    pub acked: Vec<(u32, String)>,
}

/// The batch applying `changes` (deletes of every set first, then adds), numbered from `seq`.
pub fn batch(changes: &[SetChange], seq: u32) -> Result<Batch, Unsupported> {
    let mut out = Batch { bytes: Vec::new(), acked: Vec::new() };
    let mut seq = seq;
    message(&mut out.bytes, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, 0, NFNL_SUBSYS_NFTABLES, |_| {});
    for delete in [true, false] {
        for change in changes {
            let elements = if delete { &change.delete } else { &change.add };
            if elements.is_empty() {
                continue;
            }
            let keys = keys(change, elements)?;
            seq = seq.wrapping_add(1);
            let (kind, flags) = if delete {
                (NFT_MSG_DELSETELEM, NLM_F_REQUEST | NLM_F_ACK)
            } else {
                (NFT_MSG_NEWSETELEM, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE)
            };
            let family = match change.family {
                Family::Inet => 1,
                Family::Bridge => 7,
            };
            message(&mut out.bytes, NFNL_SUBSYS_NFTABLES << 8 | kind, flags, seq, family, 0, |b| {
                attr(b, NFTA_SET_ELEM_LIST_TABLE, &c_string(&change.table));
                attr(b, NFTA_SET_ELEM_LIST_SET, &c_string(&change.set));
                nested(b, NFTA_SET_ELEM_LIST_ELEMENTS, |b| {
                    for key in &keys {
                        nested(b, NFTA_LIST_ELEM, |b| nested(b, NFTA_SET_ELEM_KEY, |b| attr(b, NFTA_DATA_VALUE, key)));
                    }
                });
            });
            let verb = if delete { "delete" } else { "add" };
            let what = format!(
                "{verb} {} elements of {} {} {}",
                keys.len(),
                change.family.keyword(),
                change.table,
                change.set
            );
            out.acked.push((seq, what));
        }
    }
    message(&mut out.bytes, NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq.wrapping_add(1), 0, NFNL_SUBSYS_NFTABLES, |_| {});
    if out.bytes.len() > MAX_BATCH_BYTES {
        return Err(Unsupported::TooLarge(out.bytes.len()));
    }
    Ok(out)
}

/// The key bytes of each element, as the kernel stores them for the set's key type.
fn keys(change: &SetChange, elements: &[Element]) -> Result<Vec<Vec<u8>>, Unsupported> {
    if change.interval {
        return Err(Unsupported::Interval(change.set.clone()));
    }
    if change.key == Key::EtherTypeVerdict {
        return Err(Unsupported::Map(change.set.clone()));
    }
    elements.iter().map(|e| key(change.key, e).ok_or_else(|| misfit(change, e))).collect()
}

fn misfit(change: &SetChange, element: &Element) -> Unsupported {
    Unsupported::Element { set: change.set.clone(), element: element.to_nft() }
}

/// One element's key; concatenated fields are padded to 4 bytes each, as nft does.
fn key(key: Key, element: &Element) -> Option<Vec<u8>> {
    match (key, element) {
        (Key::Ipv4 | Key::Ipv6, Element::Range(first, last)) if first == last => address(key, *first),
        (Key::Ipv4Service | Key::Ipv6Service, Element::Endpoint(ip, port)) => {
            let address_key = if key == Key::Ipv4Service { Key::Ipv4 } else { Key::Ipv6 };
            let mut out = address(address_key, *ip)?;
            out.extend(port.to_be_bytes());
            out.extend([0, 0]);
            Some(out)
        }
        (Key::Service, Element::Ports(first, last)) if first == last => Some(first.to_be_bytes().to_vec()),
        _ => None,
    }
}

fn address(key: Key, ip: IpAddr) -> Option<Vec<u8>> {
    match (key, ip) {
        (Key::Ipv4, IpAddr::V4(v4)) => Some(v4.octets().to_vec()),
        (Key::Ipv6, IpAddr::V6(v6)) => Some(v6.octets().to_vec()),
        _ => None,
    }
}

fn c_string(s: &str) -> Vec<u8> {
    let mut out = s.as_bytes().to_vec();
    out.push(0);
    out
}

/// Appends one netlink message: header, `nfgenmsg`, then what `body` writes.
fn message(
    out: &mut Vec<u8>,
    kind: u16,
    flags: u16,
    seq: u32,
    family: u8,
    res_id: u16,
    body: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    out.extend([0; 4]); // length, patched below
    out.extend(kind.to_ne_bytes());
    out.extend(flags.to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend(0_u32.to_ne_bytes()); // port id: the kernel fills ours in
    out.extend([family, 0]); // nfgenmsg: family, NFNETLINK_V0
    out.extend(res_id.to_be_bytes());
    body(out);
    patch_length(out, start);
}

fn attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = u16::try_from(4 + value.len()).unwrap_or(u16::MAX);
    out.extend(len.to_ne_bytes());
    out.extend(kind.to_ne_bytes());
    out.extend(value);
    pad(out);
}

fn nested(out: &mut Vec<u8>, kind: u16, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend([0; 2]);
    out.extend((kind | NLA_F_NESTED).to_ne_bytes());
    body(out);
    let len = u16::try_from(out.len() - start).unwrap_or(u16::MAX);
    out[start..start + 2].copy_from_slice(&len.to_ne_bytes());
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn patch_length(out: &mut [u8], start: usize) {
    let len = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_ne_bytes());
}
