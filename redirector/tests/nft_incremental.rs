//! `Rendered::apply` against the reference path (`NodeState::apply`, full render, diff) over
//! random pod upserts, removals, relabels and moves, on synthetic clusters and on the
//! examples: after every step the ruleset, the state and the transaction must be equal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nft_support::nft::config::{ChainConfig, Config, Families, Health, Placements};
use nft_support::nft::delta::NodeState;
use nft_support::nft::diff::diff;
use nft_support::nft::incremental::Rendered;
use nft_support::nft::node::node;
use nft_support::{chain_config, config, examples};
use policy_crd::flow::{Delta, Engine, Pod, PodKey};
use policy_crd::synthetic::{self, Cluster, Size};

/// SplitMix64: a seeded generator, so that a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Every node's `Rendered` next to its reference state and ruleset.
struct Twins {
    cfg: Config,
    chain: ChainConfig,
    nodes: Vec<(NodeState, Rendered)>,
}

impl Twins {
    fn new(engine: &Engine, nodes: &[String], cfg: Config, chain: ChainConfig) -> Self {
        let nodes = nodes
            .iter()
            .map(|n| {
                let (plan, sets) = engine.node_plan(n);
                let state = NodeState { plan, sets };
                (state.clone(), Rendered::new(state, cfg.clone(), chain.clone()))
            })
            .collect();
        Self { cfg, chain, nodes }
    }

    /// Applies `delta` both ways on every node and compares.
    fn check(&mut self, delta: &Delta, what: &str) {
        for (state, rendered) in &mut self.nodes {
            let before = node(&state.plan, &state.sets, &self.cfg, &self.chain);
            *state = state.apply(delta);
            let after = node(&state.plan, &state.sets, &self.cfg, &self.chain);
            let want = diff(&before, &after);
            let got = rendered.apply(delta);
            let name = &state.plan.node;
            assert_eq!(rendered.state(), &*state, "{what}: state on {name}");
            if rendered.ruleset() != &after {
                assert_eq!(rendered.ruleset().to_nft(), after.to_nft(), "{what}: ruleset text on {name}");
                panic!("{what}: ruleset on {name} differs (same text)");
            }
            assert_eq!(got, want, "{what}: transaction on {name}");
        }
    }

    fn counts(&self) -> (usize, usize) {
        let c = self.nodes.iter().map(|(_, r)| r.counts());
        c.fold((0, 0), |(e, r), c| (e + c.elements, r + c.renders))
    }
}

/// Random pod changes: new pods from `fresh`, removals, relabels (labels of another pod of the
/// same namespace, or none), moves to another node.
fn churn(engine: &mut Engine, twins: &mut Twins, pods: Vec<Pod>, nodes: &[String], seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let mut pods: BTreeMap<PodKey, Pod> = pods.into_iter().map(|p| (p.key(), p)).collect();
    let templates: Vec<Pod> = pods.values().cloned().collect();
    for step in 0..steps {
        let keys: Vec<PodKey> = pods.keys().cloned().collect();
        let pick = |rng: &mut Rng| keys[rng.below(keys.len())].clone();
        let op = if keys.is_empty() { 0 } else { rng.below(10) };
        let (what, delta) = match op {
            0..=2 => {
                let mut pod = templates[rng.below(templates.len())].clone();
                pod.name = format!("fresh-{step}");
                pod.node = Some(nodes[rng.below(nodes.len())].clone());
                pod.ip = Some(if twins.cfg.families != Families::V4 && rng.below(3) == 0 {
                    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, step as u16))
                } else {
                    IpAddr::V4(Ipv4Addr::new(10, 200, (step / 250) as u8, (step % 250) as u8 + 1))
                });
                pods.insert(pod.key(), pod.clone());
                (format!("add {}", pod.key()), engine.upsert_pod(pod))
            }
            3..=4 => {
                let key = pick(&mut rng);
                pods.remove(&key);
                (format!("remove {key}"), engine.remove_pod(&key))
            }
            5..=7 => {
                let key = pick(&mut rng);
                let same_ns: Vec<&Pod> = templates.iter().filter(|p| p.namespace == key.namespace).collect();
                let pod = pods.get_mut(&key).unwrap();
                pod.labels = match rng.below(6) {
                    0 => Default::default(),
                    _ => same_ns[rng.below(same_ns.len())].labels.clone(),
                };
                (format!("relabel {key}"), engine.upsert_pod(pod.clone()))
            }
            _ => {
                let key = pick(&mut rng);
                let pod = pods.get_mut(&key).unwrap();
                pod.node = Some(nodes[rng.below(nodes.len())].clone());
                (format!("move {key}"), engine.upsert_pod(pod.clone()))
            }
        };
        twins.check(&delta, &format!("seed {seed} step {step}: {what}"));
    }
}

fn synthetic_run(size: Size, families: Families, seed: u64, steps: usize) -> (usize, usize) {
    let Cluster { namespaces, pods, policies, security_policies } = synthetic::cluster(&size);
    let mut engine = Engine::new(namespaces, pods.clone(), policies, security_policies);
    let nodes: Vec<String> = (0..size.nodes).map(|n| format!("node-{n}")).collect();
    let cfg = Config {
        families,
        failure_modes: Default::default(),
        health: Health::Healthy,
        placements: Placements::CHAIN,
        sidecarless: Default::default(),
    };
    let mut twins = Twins::new(&engine, &nodes, cfg, chain_config());
    // New pods come from the generator (`synthetic::pod`), not only from copies.
    let fresh: Vec<Pod> = (size.pods..size.pods + 40).map(|n| synthetic::pod(&size, n)).collect();
    for pod in fresh.iter().take(10) {
        twins.check(&engine.upsert_pod(pod.clone()), &format!("seed {seed}: new {}", pod.key()));
    }
    let mut all = pods;
    all.extend(fresh.into_iter().take(10));
    churn(&mut engine, &mut twins, all, &nodes, seed, steps);
    twins.counts()
}

#[test]
fn synthetic_one_node_matches_the_full_render() {
    let size = Size { pods: 300, namespaces: 3, policies: 20, nodes: 1 };
    let (fast, full) = synthetic_run(size, Families::V4, 1, 300);
    eprintln!("one node: {fast} element-only, {full} rendered");
    assert!(fast > full, "the fast path should carry most pod changes ({fast} vs {full})");
}

#[test]
fn synthetic_three_nodes_matches_the_full_render() {
    let size = Size { pods: 240, namespaces: 4, policies: 30, nodes: 3 };
    let (fast, full) = synthetic_run(size, Families::V4, 2, 200);
    eprintln!("three nodes: {fast} element-only, {full} rendered");
    assert!(fast > full, "the fast path should carry most pod changes ({fast} vs {full})");
}

#[test]
fn synthetic_dual_stack_matches_the_full_render() {
    let size = Size { pods: 200, namespaces: 2, policies: 10, nodes: 2 };
    let (fast, full) = synthetic_run(size, Families::Dual, 3, 200);
    eprintln!("dual stack: {fast} element-only, {full} rendered");
}

#[test]
fn examples_match_the_full_render() {
    for (seed, families) in [(11, Families::V4), (12, Families::Dual), (13, Families::V4)] {
        let manifests = examples();
        let mut engine = manifests.engine();
        let nodes = vec!["node-a".to_owned(), "node-b".to_owned()];
        let mut cfg = config(&manifests, Health::Healthy);
        cfg.families = families;
        if seed == 13 {
            // Sidecar-placed grants of these pods form variants of their own.
            cfg.sidecarless = manifests.pods.iter().filter_map(|p| p.ip).step_by(2).collect();
        }
        let mut twins = Twins::new(&engine, &nodes, cfg, chain_config());
        churn(&mut engine, &mut twins, manifests.pods.clone(), &nodes, seed, 300);
        let (fast, full) = twins.counts();
        eprintln!("examples seed {seed}: {fast} element-only, {full} rendered");
    }
}
