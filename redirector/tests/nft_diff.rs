//! The transaction between two rulesets: nothing for equal ones, element updates for pod and
//! health changes (checked against a full re-render), a table replace for a policy change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use std::net::IpAddr;

use nft_support::nft::config::Health;
use nft_support::nft::delta::NodeState;
use nft_support::nft::diff::diff;
use nft_support::nft::model::Ruleset;
use nft_support::nft::node::node;
use nft_support::{chain_config, config, examples, golden};
use policy_crd::flow::{Engine, PodKey};
use policy_crd::manifests::Manifests;

fn render(manifests: &Manifests, engine: &Engine, nodename: &str, health: Health) -> Ruleset {
    let (plan, sets) = engine.node_plan(nodename);
    node(&plan, &sets, &config(manifests, health), &chain_config())
}

/// A second frontend replica on node-a.
fn new_frontend(manifests: &Manifests) -> policy_crd::flow::Pod {
    let mut pod = manifests
        .pods
        .iter()
        .find(|p| p.name.starts_with("frontend") && p.node.as_deref() == Some("node-a"))
        .unwrap()
        .clone();
    pod.name = "frontend-6d8f7b9c4-new01".into();
    pod.ip = Some("10.244.1.14".parse::<IpAddr>().unwrap());
    pod
}

#[test]
fn equal_rulesets_need_nothing() {
    let manifests = examples();
    let engine = manifests.engine();
    let ruleset = render(&manifests, &engine, "node-a", Health::Healthy);
    assert!(diff(&ruleset, &ruleset).is_empty());
}

#[test]
fn from_nothing_is_the_full_definition() {
    let manifests = examples();
    let engine = manifests.engine();
    let ruleset = render(&manifests, &engine, "node-a", Health::Healthy);
    let tx = diff(&Ruleset::default(), &ruleset);
    assert_eq!(tx.replaced, ["inet chainwall", "bridge chainwall"]);
    assert!(!tx.text.contains("delete"), "{}", tx.text);
}

#[test]
fn health_flip_is_an_element_update() {
    let manifests = examples();
    let engine = manifests.engine();
    let up = render(&manifests, &engine, "node-a", Health::Healthy);
    let down = render(&manifests, &engine, "node-a", Health::Down);
    let tx = diff(&up, &down);
    assert!(tx.replaced.is_empty(), "{}", tx.text);
    golden("diff-health-down.nft", &tx.text);
    let back = diff(&down, &up);
    assert!(back.text.contains("add element inet chainwall closed_flows { ip : goto steer }"), "{}", back.text);
}

#[test]
fn pod_added_and_removed_are_element_updates_equal_to_a_full_render() {
    let manifests = examples();
    let mut engine = manifests.engine();
    let before = render(&manifests, &engine, "node-a", Health::Healthy);
    let (plan, sets) = engine.node_plan("node-a");
    let state = NodeState { plan, sets };
    let cfg = config(&manifests, Health::Healthy);

    let pod = new_frontend(&manifests);
    let delta = engine.upsert_pod(pod.clone());
    let added = state.apply(&delta);
    let incremental = node(&added.plan, &added.sets, &cfg, &chain_config());
    let full = render(&manifests, &engine, "node-a", Health::Healthy);
    assert_eq!(incremental.to_nft(), full.to_nft(), "delta applied != full render");
    let tx = diff(&before, &incremental);
    assert!(tx.replaced.is_empty() && tx.deleted.is_empty(), "{}", tx.text);
    golden("diff-add-frontend.nft", &tx.text);

    let delta = engine.remove_pod(&PodKey { namespace: pod.namespace.clone(), name: pod.name.clone() });
    let removed = added.apply(&delta);
    let after = node(&removed.plan, &removed.sets, &cfg, &chain_config());
    assert_eq!(after.to_nft(), before.to_nft(), "remove did not undo add");
    let tx = diff(&incremental, &after);
    assert!(tx.replaced.is_empty(), "{}", tx.text);
    assert!(tx.text.lines().all(|l| l.starts_with("delete element")), "{}", tx.text);
}

#[test]
fn a_pod_on_another_node_changes_only_peer_sets_here() {
    let manifests = examples();
    let mut engine = manifests.engine();
    let before = render(&manifests, &engine, "node-a", Health::Healthy);
    let (plan, sets) = engine.node_plan("node-a");
    let mut pod = new_frontend(&manifests);
    pod.node = Some("node-b".into());
    pod.ip = Some("10.244.2.14".parse().unwrap());
    let delta = engine.upsert_pod(pod);
    let next = NodeState { plan, sets }.apply(&delta);
    let after = node(&next.plan, &next.sets, &config(&manifests, Health::Healthy), &chain_config());
    assert_eq!(after.to_nft(), render(&manifests, &engine, "node-a", Health::Healthy).to_nft());
    let tx = diff(&before, &after);
    assert!(tx.replaced.is_empty(), "{}", tx.text);
    assert!(tx.text.contains("peers.shop/user-auth-ingress/ingress/0 { 10.244.2.14 }"), "{}", tx.text);
}

#[test]
fn a_policy_change_replaces_the_table_atomically() {
    let mut manifests = examples();
    let engine = manifests.engine();
    let before = render(&manifests, &engine, "node-a", Health::Healthy);
    let key = PodKey { namespace: "data".into(), name: "db-ingress".into() };
    let spec = manifests.policies.get_mut(&key).unwrap();
    spec.ingress.as_mut().unwrap()[0].ports = None;
    let after = render(&manifests, &manifests.engine(), "node-a", Health::Healthy);
    let tx = diff(&before, &after);
    assert_eq!(tx.replaced, ["inet chainwall"], "the bridge table is untouched");
    assert!(
        tx.text.starts_with("table inet chainwall\ndelete table inet chainwall\ntable inet chainwall {"),
        "{}",
        tx.text
    );
}

#[test]
fn a_table_no_longer_wanted_is_deleted() {
    let manifests = examples();
    let engine = manifests.engine();
    let before = render(&manifests, &engine, "node-a", Health::Healthy);
    let mut after = before.clone();
    after.tables.pop();
    let tx = diff(&before, &after);
    assert_eq!(tx.text, "delete table bridge chainwall\n");
}

/// An agent handed two plans folds the difference in as a delta and gets the second plan.
#[test]
fn the_delta_between_two_node_states_leads_from_one_to_the_other() {
    use policy_crd::synthetic::{self, Size};
    let size = Size { pods: 300, namespaces: 3, policies: 20, nodes: 3 };
    let c = synthetic::cluster(&size);
    let mut engine = Engine::new(c.namespaces, c.pods.clone(), c.policies, c.security_policies);
    let state = |engine: &Engine, node: &str| {
        let (plan, sets) = engine.node_plan(node);
        NodeState { plan, sets }
    };
    let mut checked = 0;
    for step in 0..40 {
        let before: Vec<NodeState> = (0..3).map(|n| state(&engine, &format!("node-{n}"))).collect();
        if step % 3 == 2 {
            let victim = &c.pods[step * 7 % c.pods.len()];
            engine.remove_pod(&victim.key());
        } else {
            engine.upsert_pod(synthetic::pod(&size, size.pods + step));
        }
        for (n, old) in before.iter().enumerate() {
            let new = state(&engine, &format!("node-{n}"));
            let delta = old.delta_to(&new);
            assert_eq!(old.apply(&delta), new, "step {step}, node-{n}");
            assert_eq!(delta.pods.is_empty() && delta.sets.is_empty(), old == &new, "step {step}, node-{n}");
            checked += 1;
        }
    }
    assert_eq!(checked, 120);
}
