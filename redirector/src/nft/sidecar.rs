//! Sidecar mode, inside one destination pod's netns: filter chains at priority mangle (before
//! NAT, so the original port is still in the packet) enforce the pod's ingress; NAT chains
//! redirect covered ports to the sidecar, for remote clients (prerouting) and for clients in
//! the pod itself (output, at priority -100: nft 1.0.6 rejects `dstnat` there). The proxy's own
//! connections are excluded by mark or uid, or the output redirect would capture them again.

use std::collections::BTreeMap;

use policy_crd::flow::{AddressSet, Direction, LocalPod};

use super::config::{Config, Families, ProxyExclusion, SidecarConfig, TABLE};
use super::grants::{Allow, Book, Local, Way, bodies};
use super::health;
use super::model::{Chain, Family, Rule, Ruleset, Table};

/// The pod's ruleset. Only its sidecar-placed covered grants are redirected; chain-placed ones
/// are the node's business.
pub fn sidecar(pod: &LocalPod, sets: &BTreeMap<String, AddressSet>, cfg: &Config, sc: &SidecarConfig) -> Ruleset {
    let v4 = pod.ip.is_ipv4();
    let (ip, nfproto) = if v4 { ("ip", "ipv4") } else { ("ip6", "ipv6") };
    let mut book = Book::new(sets);
    let grants: Vec<Allow> = pod.ingress.iter().flatten().map(Allow::from).collect();
    let exempt = match sc.exclusion {
        ProxyExclusion::Mark(mark) => format!("meta mark {mark:#x}"),
        ProxyExclusion::Uid(uid) => format!("meta skuid {uid}"),
    };
    let mut inbound = vec![Rule::new("iifname \"lo\" accept"), Rule::new("ct state established,related accept")];
    let mut local = vec![
        Rule::commented("the sidecar's own upstream connections", format!("{exempt} accept")),
        Rule::new("ct state established,related accept"),
    ];
    local.extend(unplaced(&mut book, v4, Direction::Egress, pod.egress.iter().flatten().map(Allow::from), cfg));
    if pod.ingress.is_some() {
        local.push(Rule::commented(
            "same-pod clients of the pod's own address",
            format!("meta nfproto != {nfproto} accept"),
        ));
        local.push(Rule::new(format!("{ip} daddr != {} accept", pod.ip)));
        let dropped = unplaced(&mut book, v4, Direction::Ingress, grants.iter().cloned(), cfg);
        if !dropped.is_empty() {
            // A flow also covered sidecar-placed is the sidecar's (sidecar placement wins).
            for allow in grants.iter().filter(|a| a.cover.as_ref().is_some_and(|c| c.sidecar)) {
                for (_, body) in bodies(&mut book, v4, Direction::Ingress, Way::Request, &Local::Any, allow) {
                    inbound.push(Rule::new(format!("{body} accept")));
                    local.push(Rule::new(format!("{body} accept")));
                }
            }
            inbound.extend(dropped.iter().cloned());
            local.extend(dropped);
        }
        for allow in &grants {
            for (_, body) in bodies(&mut book, v4, Direction::Ingress, Way::Request, &Local::Any, allow) {
                inbound.push(Rule::new(format!("{body} accept")));
                local.push(Rule::new(format!("{body} accept")));
            }
        }
        let deny = Rule::new(format!("counter name \"{}\" drop", health::DENIED));
        inbound.push(deny.clone());
        local.push(deny);
    } else if local.len() == 2 {
        local.truncate(1);
    }
    let mut redirect_in = vec![Rule::new("iifname \"lo\" return")];
    let mut redirect_out = vec![Rule::new(format!("{exempt} return"))];
    for allow in grants.iter().filter(|a| a.cover.as_ref().is_some_and(|c| c.sidecar)) {
        let mode = allow.cover.as_ref().map(|c| cfg.failure_mode(&c.security_policy)).unwrap_or_default();
        for (local_end, rules) in [(Local::Any, &mut redirect_in), (Local::Addr(pod.ip), &mut redirect_out)] {
            for (protocol, body) in bodies(&mut book, v4, Direction::Ingress, Way::Request, &local_end, allow) {
                rules.extend(health::covered(&body, protocol, mode, false));
            }
        }
    }
    let hooked = |name: &str, hook: &str, rules| Chain { name: name.into(), hook: Some(hook.into()), rules };
    let mut chains = vec![
        hooked("inbound", "type filter hook prerouting priority mangle; policy accept;", inbound),
        hooked("local", "type filter hook output priority mangle; policy accept;", local),
        hooked("redirect_in", "type nat hook prerouting priority dstnat; policy accept;", redirect_in),
        hooked("redirect_out", "type nat hook output priority -100; policy accept;", redirect_out),
    ];
    chains.extend(health::chains(Rule::new(format!("meta l4proto tcp redirect to :{}", sc.port))));
    let mut table = Table::new(Family::Inet, TABLE);
    table.sets = book.into_sets();
    table.sets.extend(health::maps(if v4 { Families::V4 } else { Families::V6 }, cfg.health));
    table.sets.sort_by(|a, b| a.name.cmp(&b.name));
    table.counters = health::counters(true);
    table.chains = chains;
    Ruleset { tables: vec![table] }
}

/// Drop rules for the chain-placed covered grants, when this node has no chain inspector:
/// no one would inspect them here.
fn unplaced(
    book: &mut Book<'_>,
    v4: bool,
    dir: Direction,
    grants: impl Iterator<Item = Allow>,
    cfg: &Config,
) -> Vec<Rule> {
    let mut rules = Vec::new();
    for allow in grants {
        let Some(cover) = allow.cover.as_ref().filter(|c| !cfg.placements.inspects(c.sidecar)) else { continue };
        let before = rules.len();
        for (_, body) in bodies(book, v4, dir, Way::Request, &Local::Any, &allow) {
            rules.push(health::unplaced(&body));
        }
        if let Some(first) = rules.get_mut(before) {
            let what = format!("{} inspected by {}", super::variants::dir_word(dir), cover.security_policy);
            first.comment = Some(format!("{what} (chain, not programmed here: dropped)"));
        }
    }
    rules
}
