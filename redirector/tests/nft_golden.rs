//! The rulesets rendered for the example shop (`deploy/examples`), compared with the files in
//! `tests/golden/` (regenerate with `UPDATE_GOLDEN=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use nft_support::nft::config::Health;
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
