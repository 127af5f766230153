//! Chain mode, inspector pod netns: TCP arriving for an address that is not the inspector's
//! own was steered here; `tproxy` hands it to the `IP_TRANSPARENT` listener, which reads the
//! original destination with `getsockname()`. Packets of connections the inspector already
//! holds (`socket transparent 1`: replies to its spoofed upstream legs) are marked too, so the
//! `local 0.0.0.0/0` route of the mark's table delivers both.

use super::config::{ChainConfig, Config, TABLE};
use super::model::{Chain, Family, Rule, Ruleset, Table};

/// The inspector netns ruleset. It does not depend on the plan: steering chose the packets.
pub fn inspector(cfg: &Config, chain: &ChainConfig) -> Ruleset {
    let mark = chain.tproxy_mark;
    let port = chain.inspector_port_number;
    let mut rules = vec![
        Rule::commented(
            "traffic for the inspector itself (probes, its own upstream replies)",
            "fib daddr type local return",
        ),
        Rule::new(format!("meta l4proto tcp socket transparent 1 meta mark set meta mark | {mark:#x} accept")),
    ];
    for v4 in cfg.families.list().iter().copied() {
        let (nfproto, family) = if v4 { ("ipv4", "ip") } else { ("ipv6", "ip6") };
        rules.push(Rule::new(format!(
            "meta nfproto {nfproto} meta l4proto tcp tproxy {family} to :{port} meta mark set meta mark | {mark:#x} accept"
        )));
    }
    let mut table = Table::new(Family::Inet, TABLE);
    table.chains = vec![Chain {
        name: "prerouting".into(),
        hook: Some("type filter hook prerouting priority mangle; policy accept;".into()),
        rules,
    }];
    Ruleset { tables: vec![table] }
}

/// The policy routing the inspector netns needs (`ip` commands, one per line): marked packets
/// are local.
pub fn inspector_routes(cfg: &Config, chain: &ChainConfig) -> Vec<String> {
    let (mark, table) = (chain.tproxy_mark, chain.tproxy_table);
    let mut out = Vec::new();
    for v4 in cfg.families.list().iter().copied() {
        let (flag, all) = if v4 { ("-4", "0.0.0.0/0") } else { ("-6", "::/0") };
        out.push(format!("ip {flag} rule add fwmark {mark:#x}/{mark:#x} lookup {table}"));
        out.push(format!("ip {flag} route add local {all} dev lo table {table}"));
    }
    out
}

/// The policy routing the node netns needs for the routed twin of steering: packets marked by
/// `inet chainwall prerouting` go via the inspector pod.
pub fn node_routes(chain: &ChainConfig) -> Vec<String> {
    let (mark, table) = (chain.steer_mark, chain.steer_table);
    let flag = if chain.inspector_ip.is_ipv4() { "-4" } else { "-6" };
    vec![
        format!("ip {flag} rule add fwmark {mark:#x}/{mark:#x} lookup {table}"),
        format!("ip {flag} route add default via {} dev {} table {table}", chain.inspector_ip, chain.bridge),
    ]
}
