//! Which path pod changes take, on a small synthetic cluster over two nodes (node-0's
//! ruleset): joining and leaving existing sets is element-only, a new variant or a split of
//! shared peers is rendered; every result equals the full render.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use policy_crd::flow::{Delta, Endpoint, Engine, Pod, SetChange as PlanChange};
use policy_crd::synthetic::{self, Cluster, Size};

use super::{Counts, Rendered};
use crate::nft::config::{ChainConfig, Config};
use crate::nft::delta::NodeState;
use crate::nft::diff::{SetChange, Transaction, diff};
use crate::nft::node::node;

const SIZE: Size = Size { pods: 200, namespaces: 1, policies: 12, nodes: 2 };

fn config() -> (Config, ChainConfig) {
    (Config::chain_v4(), ChainConfig::example())
}

fn setup() -> (Engine, Rendered) {
    let Cluster { namespaces, pods, policies, security_policies } = synthetic::cluster(&SIZE);
    let engine = Engine::new(namespaces, pods, policies, security_policies);
    let (plan, sets) = engine.node_plan("node-0");
    let (cfg, chain) = config();
    (engine, Rendered::new(NodeState { plan, sets }, cfg, chain))
}

/// Applies `delta` both ways; returns the transaction and the path it took.
fn apply(rendered: &mut Rendered, delta: &Delta) -> (Transaction, Counts) {
    let (cfg, chain) = config();
    let before = rendered.counts();
    let state = rendered.state().apply(delta);
    let want = node(&state.plan, &state.sets, &cfg, &chain);
    let want_tx = diff(rendered.ruleset(), &want);
    let tx = rendered.apply(delta);
    assert_eq!(rendered.state(), &state);
    assert_eq!(rendered.ruleset(), &want);
    assert_eq!(tx, want_tx);
    let after = rendered.counts();
    (tx, Counts { elements: after.elements - before.elements, renders: after.renders - before.renders })
}

const FAST: Counts = Counts { elements: 1, renders: 0 };
const FULL: Counts = Counts { elements: 0, renders: 1 };

fn touched(tx: &Transaction) -> Vec<&str> {
    tx.sets.iter().map(|c| c.set.split('.').next().unwrap()).collect()
}

#[test]
fn a_remote_pod_joining_and_leaving_peer_sets_is_element_only() {
    let (mut engine, mut rendered) = setup();
    let pod = synthetic::pod(&SIZE, SIZE.pods + 1);
    assert_eq!(pod.node.as_deref(), Some("node-1"));
    let (tx, path) = apply(&mut rendered, &engine.upsert_pod(pod.clone()));
    assert_eq!(path, FAST, "{}", tx.text);
    assert!(tx.element_changes > 0 && touched(&tx).iter().all(|s| *s == "peers"), "{}", tx.text);
    let (tx, path) = apply(&mut rendered, &engine.remove_pod(&pod.key()));
    assert_eq!(path, FAST, "{}", tx.text);
    assert!(tx.text.lines().all(|l| l.starts_with("delete element")), "{}", tx.text);
}

#[test]
fn a_local_pod_joining_and_leaving_a_variant_is_element_only() {
    let (mut engine, mut rendered) = setup();
    let pod = synthetic::pod(&SIZE, SIZE.pods);
    assert_eq!(pod.node.as_deref(), Some("node-0"));
    let (tx, path) = apply(&mut rendered, &engine.upsert_pod(pod.clone()));
    assert_eq!(path, FAST, "{}", tx.text);
    for prefix in ["pods", "isolated", "peers"] {
        assert!(touched(&tx).contains(&prefix), "no {prefix} set changes:\n{}", tx.text);
    }
    let (tx, path) = apply(&mut rendered, &engine.remove_pod(&pod.key()));
    assert_eq!(path, FAST, "{}", tx.text);
    assert!(touched(&tx).contains(&"pods"), "{}", tx.text);
}

#[test]
fn a_pod_matching_no_variant_is_rendered() {
    let (mut engine, mut rendered) = setup();
    // Its `http` port resolves to another number: its policies' grants match no variant.
    let pod = Pod { name: "odd-port".into(), ..synthetic::pod(&SIZE, SIZE.pods) };
    let mut pod = pod;
    pod.ports[0].port = 8081;
    let (tx, path) = apply(&mut rendered, &engine.upsert_pod(pod.clone()));
    assert_eq!(path, FULL);
    assert!(tx.replaced.contains(&"inet chainwall".to_owned()), "{}", tx.text);
    let (_, path) = apply(&mut rendered, &engine.remove_pod(&pod.key()));
    assert_eq!(path, FULL, "its variant is gone again");
    let (_, path) = apply(&mut rendered, &engine.upsert_pod(synthetic::pod(&SIZE, SIZE.pods + 2)));
    assert_eq!(path, FAST, "back on the fast path");
}

#[test]
fn shared_peers_changing_alike_stay_element_only_and_a_split_is_rendered() {
    let (_, mut rendered) = setup();
    let mut by_members: BTreeMap<_, Vec<String>> = BTreeMap::new();
    for (id, set) in rendered.state().sets.iter().filter(|(_, s)| !s.addresses.is_empty() || !s.endpoints.is_empty()) {
        by_members.entry((&set.addresses, &set.endpoints)).or_default().push(id.clone());
    }
    let group = by_members.into_values().find(|ids| ids.len() > 1).expect("a shared peer group");
    let endpoints = !rendered.state().sets[&group[0]].endpoints.is_empty();
    let delta = |ids: &[String], fresh: IpAddr| {
        let change = if endpoints {
            PlanChange { add_endpoints: [Endpoint { address: fresh, port: 8080 }].into(), ..Default::default() }
        } else {
            PlanChange { add: [fresh].into(), ..Default::default() }
        };
        Delta { sets: ids.iter().map(|id| (id.clone(), change.clone())).collect(), ..Delta::default() }
    };
    let (tx, path) = apply(&mut rendered, &delta(&group, IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1))));
    assert_eq!(path, FAST, "{}", tx.text);
    let shared = |c: &SetChange| c.set == tx.sets[0].set && c.len() == 1;
    assert!(!tx.sets.is_empty() && tx.sets.iter().all(shared), "one shared set, one element: {}", tx.text);
    let (tx, path) = apply(&mut rendered, &delta(&group[..1], IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2))));
    assert_eq!(path, FULL, "{}", tx.text);
}

#[test]
fn a_state_apply_would_normalise_takes_the_full_path_once() {
    let (mut engine, rendered) = setup();
    let mut state = rendered.state().clone();
    state.plan.pods.reverse(); // `NodeState::apply` sorts them on the next local change
    let (cfg, chain) = config();
    let mut rendered = Rendered::new(state, cfg, chain);
    let (_, path) = apply(&mut rendered, &engine.upsert_pod(synthetic::pod(&SIZE, SIZE.pods)));
    assert_eq!(path, FULL);
    let (_, path) = apply(&mut rendered, &engine.upsert_pod(synthetic::pod(&SIZE, SIZE.pods + 2)));
    assert_eq!(path, FAST);
}
