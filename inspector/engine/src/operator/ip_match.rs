//! `@ipMatch` and `@ipMatchFromFile`/`@ipMatchF`: whether the input is an IPv4 or IPv6
//! address inside one of the listed addresses or CIDR networks.
//!
//! Entries are separated by commas (`@ipMatch`) or lines (files); blanks are trimmed and
//! `#` starts a comment. Addresses are parsed by hand with `inet_pton` rules (dotted quad
//! without leading zeros; IPv6 with one `::` and an optional dotted-quad tail). An input
//! that is not an address never matches; IPv4 entries only match IPv4 inputs.

use super::{LoadContext, OpContext, Operator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4 { addr: u32, prefix: u32 },
    V6 { addr: u128, prefix: u32 },
}

impl Net {
    fn contains(&self, ip: &Ip) -> bool {
        match (self, ip) {
            (Net::V4 { addr, prefix }, Ip::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
                addr & mask == ip & mask
            }
            (Net::V6 { addr, prefix }, Ip::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
                addr & mask == ip & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ip {
    V4(u32),
    V6(u128),
}

/// A compiled address list.
#[derive(Debug)]
pub(crate) struct IpMatch {
    nets: Vec<Net>,
}

impl IpMatch {
    /// `@ipMatch 10.0.0.0/8,::1`.
    pub(crate) fn from_list(param: &str) -> Result<Self, String> {
        Ok(Self { nets: parse_entries(param).map_err(|e| format!("@ipMatch: {e}"))? })
    }

    /// `@ipMatchFromFile list.txt` (names separated by blanks, relative to the rule).
    pub(crate) fn from_files(param: &str, ctx: &LoadContext<'_>) -> Result<Self, String> {
        let mut nets = Vec::new();
        for name in param.split_ascii_whitespace() {
            let text = ctx.read_data(name)?;
            nets.extend(parse_entries(&text).map_err(|e| format!("@ipMatchFromFile {name}: {e}"))?);
        }
        Ok(Self { nets })
    }
}

fn parse_entries(text: &str) -> Result<Vec<Net>, String> {
    let mut nets = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        for entry in line.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            nets.push(parse_net(entry).ok_or_else(|| format!("invalid address or network {entry:?}"))?);
        }
    }
    Ok(nets)
}

fn parse_net(entry: &str) -> Option<Net> {
    let (addr, prefix) = match entry.split_once('/') {
        Some((a, p)) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            (a, Some(p.parse::<u32>().ok()?))
        }
        Some(_) => return None,
        None => (entry, None),
    };
    match parse_ip(addr)? {
        Ip::V4(addr) if prefix.unwrap_or(32) <= 32 => Some(Net::V4 { addr, prefix: prefix.unwrap_or(32) }),
        Ip::V6(addr) if prefix.unwrap_or(128) <= 128 => Some(Net::V6 { addr, prefix: prefix.unwrap_or(128) }),
        _ => None,
    }
}

fn parse_ip(s: &str) -> Option<Ip> {
    if s.contains(':') { parse_v6(s).map(Ip::V6) } else { parse_v4(s).map(Ip::V4) }
}

fn parse_v4(s: &str) -> Option<u32> {
    let mut parts = 0;
    let mut addr = 0u32;
    for part in s.split('.') {
        let valid = (1..=3).contains(&part.len())
            && part.bytes().all(|b| b.is_ascii_digit())
            && !(part.len() > 1 && part.starts_with('0'));
        let octet: u8 = if valid { part.parse().ok()? } else { return None };
        addr = addr << 8 | u32::from(octet);
        parts += 1;
    }
    (parts == 4).then_some(addr)
}

fn parse_v6(s: &str) -> Option<u128> {
    let (head, tail) = match s.split_once("::") {
        Some((h, t)) => (h, Some(t)),
        None => (s, None),
    };
    let groups = |part: &str| -> Option<Vec<u16>> {
        if part.is_empty() {
            return Some(Vec::new());
        }
        let mut out = Vec::new();
        let pieces: Vec<&str> = part.split(':').collect();
        for (i, piece) in pieces.iter().enumerate() {
            if i + 1 == pieces.len() && piece.contains('.') {
                let v4 = parse_v4(piece)?;
                out.extend([(v4 >> 16) as u16, v4 as u16]);
            } else if (1..=4).contains(&piece.len()) {
                out.push(u16::from_str_radix(piece, 16).ok()?);
            } else {
                return None;
            }
        }
        Some(out)
    };
    let head_groups = groups(head)?;
    let mut all = match tail {
        None if head_groups.len() == 8 => head_groups,
        None => return None,
        Some(tail) => {
            if head.contains('.') || tail.contains("::") {
                return None;
            }
            let tail_groups = groups(tail)?;
            let fill = 8usize.checked_sub(head_groups.len() + tail_groups.len())?;
            if fill == 0 {
                return None;
            }
            let mut all = head_groups;
            all.extend(std::iter::repeat_n(0, fill));
            all.extend(tail_groups);
            all
        }
    };
    all.truncate(8);
    Some(all.iter().fold(0u128, |acc, &g| acc << 16 | u128::from(g)))
}

impl Operator for IpMatch {
    fn evaluate(&self, input: &[u8], _ctx: &mut OpContext<'_>) -> bool {
        let Some(ip) = std::str::from_utf8(input).ok().and_then(parse_ip) else {
            return false;
        };
        self.nets.iter().any(|n| n.contains(&ip))
    }
}
