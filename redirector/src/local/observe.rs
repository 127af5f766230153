//! What the kernel holds, as data: `nft -j list ruleset` parsed into the Chainwall tables'
//! fingerprints, rule counts and set elements, and [`previous`], the ruleset to diff from.
//!
//! Rules cannot be read back as the renderer wrote them (nft normalizes them, and drops the
//! comments), so every table we write carries a `fingerprint` set whose comment is a hash of
//! the table's skeleton. Same fingerprint, same chains with as many rules, same sets: the
//! table is ours and current, and only its elements can differ. Anything else is replaced
//! whole, in the same transaction. Pure: no I/O here.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::Value;

use redirector::nft::config::TABLE;
use redirector::nft::element::Element;
use redirector::nft::model::{Chain, Family, Key, Ruleset, Set, Table};

/// The name of the set carrying a table's fingerprint.
pub const FINGERPRINT: &str = "fingerprint";

/// One Chainwall table as the kernel has it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// The fingerprint set's comment, if the set exists.
    pub fingerprint: Option<String>,
    /// Rules per chain.
    pub chains: BTreeMap<String, usize>,
    /// Elements per set or map; `None` when an element could not be read.
    pub sets: BTreeMap<String, Option<BTreeSet<Element>>>,
    /// Packets of each named counter (`bypassed`, `failed_closed`, `denied`).
    pub counters: BTreeMap<String, u64>,
}

/// The Chainwall tables of one netns, by family.
pub type Kernel = BTreeMap<Family, Observed>;

/// `desired` with its fingerprint set added to every table.
pub fn stamp(desired: &Ruleset) -> Ruleset {
    let mut out = desired.clone();
    for table in &mut out.tables {
        let hash = fnv(table.skeleton().to_nft().as_bytes());
        table.sets.push(Set {
            name: FINGERPRINT.into(),
            key: Key::Ipv4,
            interval: false,
            comment: format!("chainwall skeleton {hash:016x}"),
            elements: BTreeSet::new(),
        });
        table.sets.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// What the kernel holds, as the ruleset [`redirector::nft::diff::diff`] starts from,
/// plus one line per table that drifted (ours, but edited by someone else). `desired` must
/// be [`stamp`]ed.
pub fn previous(desired: &Ruleset, kernel: &Kernel) -> (Ruleset, Vec<String>) {
    let mut old = Ruleset::default();
    let mut drift = Vec::new();
    for (family, seen) in kernel {
        let Some(want) = desired.table(*family, TABLE) else {
            old.tables.push(Table::new(*family, TABLE));
            continue;
        };
        let fingerprint = want.sets.iter().find(|s| s.name == FINGERPRINT).map(|s| s.comment.clone());
        let chains: BTreeMap<String, usize> = want.chains.iter().map(|c| (c.name.clone(), c.rules.len())).collect();
        let names: BTreeSet<&String> = want.sets.iter().map(|s| &s.name).collect();
        let same_sets = names == seen.sets.keys().collect() && seen.sets.values().all(Option::is_some);
        let mut table = want.clone();
        if seen.fingerprint == fingerprint && seen.chains == chains && same_sets {
            for set in &mut table.sets {
                set.elements = seen.sets.get(&set.name).cloned().flatten().unwrap_or_default();
            }
        } else {
            if seen.fingerprint == fingerprint {
                drift.push(format!("{}: chains or sets changed by someone else", table.id()));
            }
            // Any skeleton other than the desired one: the diff replaces the table.
            table.chains.push(Chain { name: "observed-differs".into(), hook: None, rules: Vec::new() });
        }
        old.tables.push(table);
    }
    (old, drift)
}

/// The Chainwall tables in `nft -j list ruleset` output.
pub fn parse(json: &str) -> Result<Kernel, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("nft -j output is not JSON: {e}"))?;
    let items = doc.get("nftables").and_then(Value::as_array).ok_or("nft -j output has no nftables list")?;
    let mut kernel = Kernel::new();
    for item in items {
        let Some((kind, body)) = item.as_object().and_then(|o| o.iter().next()) else { continue };
        let mine = body.get("table").or_else(|| (kind == "table").then(|| body.get("name")).flatten());
        if mine.and_then(Value::as_str) != Some(TABLE) {
            continue;
        }
        let family = match body.get("family").and_then(Value::as_str) {
            Some("inet") => Family::Inet,
            Some("bridge") => Family::Bridge,
            _ => continue,
        };
        let seen = kernel.entry(family).or_default();
        let name = || body.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        match kind.as_str() {
            "chain" => _ = seen.chains.entry(name()).or_insert(0),
            "rule" => {
                let chain = body.get("chain").and_then(Value::as_str).unwrap_or_default().to_owned();
                *seen.chains.entry(chain).or_insert(0) += 1;
            }
            "set" | "map" => {
                let name = name();
                if name == FINGERPRINT {
                    seen.fingerprint = body.get("comment").and_then(Value::as_str).map(str::to_owned);
                }
                let elems = body.get("elem").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                seen.sets.insert(name, elems.iter().map(element).collect());
            }
            "counter" => {
                let packets = body.get("packets").and_then(Value::as_u64).unwrap_or(0);
                seen.counters.insert(name(), packets);
            }
            _ => {}
        }
    }
    Ok(kernel)
}

fn element(v: &Value) -> Option<Element> {
    let ip = |v: &Value| v.as_str().and_then(|s| s.parse::<IpAddr>().ok());
    if let Some(addr) = ip(v) {
        return Some(Element::addr(addr));
    }
    if let Some([key, verdict]) = v.as_array().map(Vec::as_slice) {
        let key = match key.as_str()? {
            "ip" => "ip",
            "ip6" => "ip6",
            _ => return None,
        };
        let (word, body) = verdict.as_object()?.iter().next()?;
        let target = body.get("target").and_then(Value::as_str)?;
        return Some(Element::Verdict(key, format!("{word} {target}")));
    }
    if let Some(prefix) = v.get("prefix") {
        let addr = ip(prefix.get("addr")?)?;
        let len = u32::try_from(prefix.get("len")?.as_u64()?).ok()?;
        return Some(prefix_range(addr, len));
    }
    let port = |v: &Value| v.as_u64().and_then(|n| u16::try_from(n).ok());
    if let Some(p) = port(v) {
        return Some(Element::Ports(p, p));
    }
    if let Some([first, last]) = v.get("range").and_then(Value::as_array).map(Vec::as_slice) {
        if let (Some(first), Some(last)) = (port(first), port(last)) {
            return Some(Element::Ports(first, last));
        }
        return Some(Element::Range(ip(first)?, ip(last)?));
    }
    if let Some([addr, port]) = v.get("concat").and_then(Value::as_array).map(Vec::as_slice) {
        return Some(Element::Endpoint(ip(addr)?, u16::try_from(port.as_u64()?).ok()?));
    }
    None
}

fn prefix_range(addr: IpAddr, len: u32) -> Element {
    match addr {
        IpAddr::V4(a) => {
            let host = u32::MAX.checked_shr(len).unwrap_or(0);
            let lo = u32::from(a) & !host;
            Element::Range(IpAddr::V4(lo.into()), IpAddr::V4((lo | host).into()))
        }
        IpAddr::V6(a) => {
            let host = u128::MAX.checked_shr(len).unwrap_or(0);
            let lo = u128::from(a) & !host;
            Element::Range(IpAddr::V6(lo.into()), IpAddr::V6((lo | host).into()))
        }
    }
}
