//! The rulesets rendered for the example shop (`deploy/examples`), compared with the files in
//! `tests/golden/` (regenerate with `UPDATE_GOLDEN=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use nft_support::nft::config::{Config, Health, Placements};
use nft_support::nft::{inspector, node, sidecar};
use nft_support::{chain_config, config, examples, golden, sidecar_config};

#[test]
fn chain_mode_node_rulesets() {
    let manifests = examples();
    let engine = manifests.engine();
    let cfg = config(&manifests, Health::Healthy);
    for name in ["node-a", "node-b"] {
        let (plan, sets) = engine.node_plan(name);
        let ruleset = node::node(&plan, &sets, &cfg, &chain_config());
        golden(&format!("chain-{name}.nft"), &ruleset.to_nft());
    }
}

#[test]
fn chain_mode_inspector_ruleset_and_routes() {
    let manifests = examples();
    let cfg = config(&manifests, Health::Healthy);
    let mut text = inspector::inspector(&cfg, &chain_config()).to_nft();
    text.push_str("\n# ip commands in the inspector netns:\n");
    for line in inspector::inspector_routes(&cfg, &chain_config()) {
        text.push_str(&format!("#   {line}\n"));
    }
    text.push_str("# ip commands in the node netns:\n");
    for line in inspector::node_routes(&chain_config()) {
        text.push_str(&format!("#   {line}\n"));
    }
    golden("chain-inspector.nft", &text);
}

#[test]
fn sidecar_mode_pod_rulesets() {
    let manifests = examples();
    let engine = manifests.engine();
    let cfg = config(&manifests, Health::Healthy);
    let (plan, sets) = engine.node_plan("node-a");
    for (pod, file) in [
        ("shop/user-auth-7b8d9c5f6-t9vlc", "sidecar-user-auth.nft"),
        ("kube-system/coredns-76f75df574-8bq2d", "sidecar-coredns.nft"),
    ] {
        let local = plan.pods.iter().find(|p| p.pod == pod).unwrap();
        golden(file, &sidecar::sidecar(local, &sets, &cfg, &sidecar_config()).to_nft());
    }
}

#[test]
fn rendering_is_deterministic() {
    let manifests = examples();
    let cfg = config(&manifests, Health::Healthy);
    let render = || {
        let engine = manifests.engine();
        let (plan, sets) = engine.node_plan("node-a");
        node::node(&plan, &sets, &cfg, &chain_config()).to_nft()
    };
    assert_eq!(render(), render());
}

/// A node programmed for one placement drops the covered flows of the other: user-auth's
/// ingress is Sidecar-placed, so a chain-only node drops it (counted `failed_closed`) where a
/// node with sidecars leaves it to the pod's sidecar; frontend's is Chain-placed, so a
/// sidecar-only pod drops it.
#[test]
fn unprogrammed_placements_are_dropped_not_passed() {
    let manifests = examples();
    let engine = manifests.engine();
    let (plan, sets) = engine.node_plan("node-a");
    let user_auth =
        "ip daddr @pods.shop/user-auth-ingress/ingress ip saddr @peers.shop/user-auth-ingress/ingress/0 tcp dport 8001";

    let chain_only = Config { placements: Placements::CHAIN, ..config(&manifests, Health::Healthy) };
    let text = node::node(&plan, &sets, &chain_only, &chain_config()).to_nft();
    golden("chain-only-node-a.nft", &text);
    assert_eq!(text.matches(&format!("{user_auth} goto fail_closed")).count(), 2, "bridge and inet steering");
    let passes = text.matches(&format!("{user_auth} return")).count();
    assert_eq!(passes, 1, "only the forward allow (after steering dropped it); no steering pass");
    let both = node::node(&plan, &sets, &config(&manifests, Health::Healthy), &chain_config()).to_nft();
    assert!(both.contains(&format!("{user_auth} return")) && !both.contains(&format!("{user_auth} goto")));

    let sidecar_only = Config { placements: Placements::SIDECAR, ..config(&manifests, Health::Healthy) };
    let frontend = plan.pods.iter().find(|p| p.pod.starts_with("shop/frontend-")).unwrap();
    let text = sidecar::sidecar(frontend, &sets, &sidecar_only, &sidecar_config()).to_nft();
    golden("sidecar-only-frontend.nft", &text);
    assert_eq!(text.matches("tcp dport 8080 goto fail_closed").count(), 4, "inbound and local, pod peers and ipBlock");
    let both = sidecar::sidecar(frontend, &sets, &config(&manifests, Health::Healthy), &sidecar_config()).to_nft();
    assert!(!both.contains("dport 8080 goto fail_closed"), "with a chain inspector the node steers it");
}

/// A pod whose sidecar cannot be programmed (no known netns) on a node with both placements:
/// the node drops its Sidecar-placed flows instead of leaving them to a sidecar that is not
/// there; other pods' Sidecar-placed flows are still left to their sidecars.
#[test]
fn a_sidecarless_pods_sidecar_placed_flows_are_dropped_by_the_node() {
    let manifests = examples();
    let engine = manifests.engine();
    let (plan, sets) = engine.node_plan("node-a");
    let auth = plan.pods.iter().find(|p| p.pod.starts_with("shop/user-auth-")).unwrap();
    let mut cfg = config(&manifests, Health::Healthy);
    cfg.sidecarless.insert(auth.ip);
    let text = node::node(&plan, &sets, &cfg, &chain_config()).to_nft();
    let body = "ip saddr @peers.shop/user-auth-ingress/ingress/0 tcp dport 8001";
    assert_eq!(text.matches(&format!("{body} goto fail_closed")).count(), 2, "bridge and inet steering:\n{text}");
    assert_eq!(text.matches(&format!("{body} return")).count(), 1, "only the forward allow:\n{text}");
}
