//! Chain mode, node netns: `table inet chainwall` decides (stateful allow/deny in `forward`,
//! and the routed twin of steering in `prerouting`), `table bridge chainwall` steers covered
//! frames to the inspector pod's MAC before the bridge's FDB lookup.
//!
//! Bridged pod traffic reaches the inet `forward` hook through br_netfilter, where conntrack
//! exists (the bridge family has none here). Covered flows arriving routed from other nodes
//! never cross the bridge's prerouting hook, so inet `prerouting` marks them and policy routing
//! (see [`super::inspector::node_routes`]) sends them via the inspector's IP: the L3 twin of
//! the MAC steer, and the mechanism of routed CNIs.

use std::collections::BTreeMap;

use policy_crd::api::FailureMode;
use policy_crd::flow::{AddressSet, Direction, NodePlan};

use super::config::{ChainConfig, Config, TABLE};
use super::grants::{Book, Local, Way, bodies};
use super::health;
use super::model::{Chain, Family, Rule, Ruleset, Table};
use super::variants::{Grouped, Variant, dir_word, group};

/// The node's ruleset: the inet table, then the bridge table.
pub fn node(plan: &NodePlan, sets: &BTreeMap<String, AddressSet>, cfg: &Config, chain: &ChainConfig) -> Ruleset {
    let grouped = group(plan, &cfg.sidecarless);
    Ruleset { tables: vec![inet(&grouped, sets, cfg, chain), bridge(&grouped, sets, cfg, chain)] }
}

fn inet(grouped: &Grouped, sets: &BTreeMap<String, AddressSet>, cfg: &Config, chain: &ChainConfig) -> Table {
    let mut book = Book::new(sets);
    let mut forward = vec![Rule::new("ct state established,related accept")];
    for v4 in cfg.families.list().iter().copied() {
        let ip = if v4 { "ip" } else { "ip6" };
        for (dir, members) in
            [(Direction::Ingress, &grouped.isolated_ingress), (Direction::Egress, &grouped.isolated_egress)]
        {
            let word = dir_word(dir);
            let comment = format!("local pods isolated for {word}");
            let name = book.pods("isolated", word, v4, &comment, members);
            let field = if dir == Direction::Ingress { "daddr" } else { "saddr" };
            forward.push(Rule::new(format!("{ip} {field} @{name} jump {word}")));
        }
    }
    let mut chains = vec![Chain {
        name: "forward".into(),
        hook: Some("type filter hook forward priority filter; policy accept;".into()),
        rules: forward,
    }];
    let mut prerouting = vec![Rule::commented(
        "bridged and pod-originated traffic: the bridge table steers it",
        format!("iifname \"{}\" return", chain.bridge),
    )];
    prerouting.extend(steering(&grouped.variants, &mut book, cfg));
    chains.push(Chain {
        name: "prerouting".into(),
        hook: Some("type filter hook prerouting priority mangle; policy accept;".into()),
        rules: prerouting,
    });
    for dir in [Direction::Ingress, Direction::Egress] {
        let mut rules = Vec::new();
        for variant in grouped.variants.iter().filter(|v| v.dir == dir) {
            rules.extend(allow_rules(variant, &mut book, cfg));
        }
        rules.push(Rule::new(format!("counter name \"{}\" drop", health::DENIED)));
        chains.push(Chain { name: dir_word(dir).into(), hook: None, rules });
    }
    let mark = chain.steer_mark;
    chains.extend(health::chains(Rule::new(format!("meta mark set meta mark | {mark:#x} accept"))));
    let mut table = Table::new(Family::Inet, TABLE);
    table.sets = book.into_sets();
    table.sets.extend(health::maps(cfg.families, cfg.health));
    table.sets.sort_by(|a, b| a.name.cmp(&b.name));
    table.counters = health::counters(true);
    table.chains = chains;
    table
}

fn bridge(grouped: &Grouped, sets: &BTreeMap<String, AddressSet>, cfg: &Config, chain: &ChainConfig) -> Table {
    let mut book = Book::new(sets);
    let mut rules = vec![Rule::commented(
        "the inspector's own frames (its upstream legs, its replies) go where they are addressed",
        format!("iifname \"{}\" return", chain.inspector_port),
    )];
    rules.extend(steering(&grouped.variants, &mut book, cfg));
    let mut chains = vec![Chain {
        name: "prerouting".into(),
        hook: Some("type filter hook prerouting priority -300; policy accept;".into()),
        rules,
    }];
    chains.extend(health::chains(Rule::new(format!("ether daddr set {} accept", chain.inspector_mac))));
    let mut table = Table::new(Family::Bridge, TABLE);
    table.sets = book.into_sets();
    table.sets.extend(health::maps(cfg.families, cfg.health));
    table.sets.sort_by(|a, b| a.name.cmp(&b.name));
    table.counters = health::counters(false);
    table.chains = chains;
    table
}

/// The `return` rules of one variant's grants (an allowed side returns to `forward`).
fn allow_rules(variant: &Variant, book: &mut Book<'_>, cfg: &Config) -> Vec<Rule> {
    let mut rules = Vec::new();
    for v4 in cfg.families.list().iter().copied() {
        let local = Local::Set(book.pods("pods", &variant.base, v4, &variant.policy, &variant.members));
        for allow in &variant.allows {
            for (_, body) in bodies(book, v4, variant.dir, Way::Request, &local, allow) {
                rules.push(Rule::new(format!("{body} return")));
            }
        }
    }
    if let Some(first) = rules.first_mut() {
        first.comment = Some(format!("{} {}", variant.policy, dir_word(variant.dir)));
    }
    rules
}

/// Covered grants as steering rules, both ways: sidecar-placed first (left alone when this
/// node programs sidecars, else dropped: no sidecar inspects them), then fail-closed (so that
/// closed wins when one flow is covered twice), then fail-open.
fn steering(variants: &[Variant], book: &mut Book<'_>, cfg: &Config) -> Vec<Rule> {
    let mut classes: [Vec<Rule>; 3] = Default::default();
    for variant in variants {
        for allow in &variant.allows {
            let Some(cover) = &allow.cover else { continue };
            let (class, steer) = match cfg.failure_mode(&cover.security_policy) {
                _ if cover.sidecar => (0, Steer::Sidecar(cfg.placements.sidecar && !cover.sidecarless)),
                FailureMode::Closed => (1, Steer::Inspect(FailureMode::Closed)),
                FailureMode::Open => (2, Steer::Inspect(FailureMode::Open)),
            };
            let mut rules = Vec::new();
            for v4 in cfg.families.list().iter().copied() {
                let local = Local::Set(book.pods("pods", &variant.base, v4, &variant.policy, &variant.members));
                for way in [Way::Request, Way::Reply] {
                    for (protocol, body) in bodies(book, v4, variant.dir, way, &local, allow) {
                        match steer {
                            Steer::Sidecar(true) => rules.push(Rule::new(format!("{body} return"))),
                            Steer::Sidecar(false) if way == Way::Request => rules.push(health::unplaced(&body)),
                            Steer::Sidecar(false) => {}
                            Steer::Inspect(mode) => {
                                rules.extend(health::covered(&body, protocol, mode, way == Way::Reply));
                            }
                        }
                    }
                }
            }
            if let Some(first) = rules.first_mut() {
                let placement = match steer {
                    Steer::Sidecar(true) => "sidecar",
                    Steer::Sidecar(false) => "sidecar, not programmed here: dropped",
                    Steer::Inspect(_) => "chain",
                };
                let what =
                    format!("{} {} inspected by {}", variant.policy, dir_word(variant.dir), cover.security_policy);
                first.comment = Some(format!("{what} ({placement})"));
            }
            classes[class].extend(rules);
        }
    }
    classes.into_iter().flatten().collect()
}

/// What steering does with one covered grant.
#[derive(Clone, Copy)]
enum Steer {
    /// Sidecar-placed: left to the destination's sidecar when this node programs sidecars
    /// (`true`), else dropped.
    Sidecar(bool),
    /// Chain-placed: to the inspector, or down this failure path.
    Inspect(FailureMode),
}
