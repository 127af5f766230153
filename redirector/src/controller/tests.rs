//! The controller's decisions, pure: plans per node, statuses, finalizers, Events, leader
//! election, and recovery after a relist.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;
use serde_json::json;

use super::compute::{Actions, compute};
use super::fixtures::{cluster, node, now, obj, pod, policy, written};
use super::{FINALIZER, MAX_PLAN_BYTES};

fn condition(actions: &Actions, type_: &str) -> (String, String) {
    let status = &actions.statuses.last().unwrap().1;
    let c = status.conditions.iter().find(|c| c.type_ == type_).unwrap();
    (c.status.clone(), c.reason.clone())
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

#[test]
fn the_first_pass_writes_a_plan_per_node_the_finalizer_and_a_pending_status() {
    let actions = compute(&cluster(), now());
    let nodes: Vec<&str> = actions.apply_plans.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(nodes, ["node-a", "node-b"]);
    assert_eq!(actions.apply_plans[0].pods.len(), 1);
    assert_eq!(actions.add_finalizers.len(), 1);
    assert_eq!(actions.add_finalizers[0].finalizers, [FINALIZER]);
    assert_eq!(actions.add_finalizers[0].resource_version.as_deref(), Some("7"));
    let status = &actions.statuses[0].1;
    assert_eq!((status.selected_pods, status.programmed_nodes, status.observed_generation), (1, 0, Some(1)));
    assert_eq!(condition(&actions, "Programmed"), pair("False", "Pending"));
    assert_eq!(condition(&actions, "Ready"), pair("False", "Pending"));
    assert_eq!(condition(&actions, "Degraded"), pair("False", "AsExpected"));
    assert!(actions.events.is_empty() && actions.delete_plans.is_empty());
}

#[test]
fn once_agents_report_the_policy_is_ready_and_then_nothing_is_written() {
    let first = compute(&cluster(), now());
    let state = written(cluster(), &first, Some(Ok(())));
    let second = compute(&state, now());
    assert!(second.apply_plans.is_empty() && second.add_finalizers.is_empty(), "{second:?}");
    assert_eq!(condition(&second, "Ready"), pair("True", "Ready"));
    assert_eq!(second.statuses[0].1.programmed_nodes, 1);
    let ready_since = &second.statuses[0].1.conditions[0].last_transition_time;
    let later: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
    let settled = written(state, &second, None);
    let third = compute(&settled, later);
    assert!(third.is_empty(), "a settled cluster writes nothing: {third:?}");
    // A relist (watch 410 Gone) hands the same objects again: the same nothing.
    assert!(compute(&settled, later).is_empty());
    assert_eq!(&settled.policies[0].status.as_ref().unwrap().conditions[0].last_transition_time, ready_since);
}

#[test]
fn a_bad_policy_is_degraded_with_one_event() {
    let mut observed = cluster();
    observed.policies = vec![policy("bad", json!({"podSelector": {}, "ingress": [{"ports": [{"port": 0}]}]}))];
    let actions = compute(&observed, now());
    assert_eq!(condition(&actions, "Degraded"), pair("True", "InvalidSpec"));
    assert_eq!(condition(&actions, "Ready"), pair("False", "InvalidSpec"));
    assert_eq!(actions.events.len(), 1);
    assert_eq!(actions.events[0].reason, "InvalidSpec");
    assert_eq!(actions.events[0].regarding.name.as_deref(), Some("bad"));
    assert!(actions.events[0].note.contains("port"), "{}", actions.events[0].note);
    let again = compute(&written(observed, &actions, Some(Ok(()))), now());
    assert!(again.events.is_empty(), "the same problem is reported once: {:?}", again.events);
}

#[test]
fn a_missing_security_policy_and_an_agent_error_degrade_the_policy() {
    let mut observed = cluster();
    observed.security_policies.clear();
    let actions = compute(&observed, now());
    assert_eq!(condition(&actions, "Degraded"), pair("True", "SecurityPolicyNotFound"));
    let observed = cluster();
    let first = compute(&observed, now());
    let failing = compute(&written(observed, &first, Some(Err("nft -f rejected"))), now());
    assert_eq!(condition(&failing, "Degraded"), pair("True", "ProgrammingFailed"));
    assert_eq!(condition(&failing, "Programmed"), pair("False", "ProgrammingFailed"));
    assert!(failing.events[0].note.contains("node-a: nft -f rejected"), "{:?}", failing.events);
}

#[test]
fn a_deleted_policy_leaves_the_plans_before_its_finalizer_goes() {
    let first = compute(&cluster(), now());
    let mut state = written(cluster(), &first, Some(Ok(())));
    assert!(state.plans.iter().any(|p| !p.spec.address_sets.is_empty()));
    let mut deleting = (*state.policies[0]).clone();
    deleting.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    state.policies = vec![Arc::new(deleting)];
    let actions = compute(&state, now());
    assert!(
        actions.apply_plans.iter().all(|s| s.address_sets.is_empty() && s.pods.iter().all(|p| p.ingress.is_none()))
    );
    assert_eq!(actions.apply_plans.len(), 1, "node-a's plan drops the grants");
    assert_eq!(actions.remove_finalizers.len(), 1);
    assert!(actions.remove_finalizers[0].finalizers.is_empty());
    assert!(actions.statuses.is_empty(), "no status for a policy being deleted");
    let after = written(state, &actions, Some(Ok(())));
    assert!(after.policies.is_empty());
    assert!(compute(&after, now()).is_empty());
}

#[test]
fn the_plan_of_a_gone_node_is_deleted() {
    let first = compute(&cluster(), now());
    let mut state = written(cluster(), &first, Some(Ok(())));
    state.nodes.retain(|n| n.metadata.name.as_deref() != Some("node-b"));
    let actions = compute(&state, now());
    assert_eq!(actions.delete_plans, ["node-b"]);
}

#[test]
fn after_a_relist_objects_deleted_meanwhile_are_gone_from_the_store() {
    // What a watcher does after 410 Gone: Init, the current objects, InitDone.
    let mut writer: Writer<Node> = Writer::default();
    let store = writer.as_reader();
    writer.apply_watcher_event(&watcher::Event::Apply((*node("node-a")).clone()));
    writer.apply_watcher_event(&watcher::Event::Apply((*node("node-b")).clone()));
    writer.apply_watcher_event(&watcher::Event::Init);
    writer.apply_watcher_event(&watcher::Event::InitApply((*node("node-a")).clone()));
    writer.apply_watcher_event(&watcher::Event::InitDone);
    let first = compute(&cluster(), now());
    let mut state = written(cluster(), &first, Some(Ok(())));
    state.nodes = store.state();
    assert_eq!(compute(&state, now()).delete_plans, ["node-b"]);
}

#[test]
fn finished_pods_and_pods_with_bad_ports_are_left_out() {
    let mut observed = cluster();
    let mut done = (*pod("done", "web", "node-a", "10.0.0.9")).clone();
    done.status.as_mut().unwrap().phase = Some("Succeeded".into());
    let bad = obj::<Pod>(json!({
        "metadata": {"name": "bad", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "c", "ports": [{"containerPort": 70000}]}]},
        "status": {"podIP": "10.0.0.8"}
    }));
    observed.pods.extend([Arc::new(done), bad]);
    let actions = compute(&observed, now());
    assert_eq!(actions.apply_plans[0].pods.len(), 1, "only shop/web on node-a");
    assert_eq!(actions.skipped_pods.len(), 1);
    assert!(actions.skipped_pods[0].starts_with("shop/bad:"), "{:?}", actions.skipped_pods);
}

#[test]
fn an_oversize_plan_is_not_written_and_degrades_its_policies() {
    let mut observed = cluster();
    for i in 0..6_000u32 {
        let ip = format!("10.{}.{}.{}", 1 + i / 65536, (i / 256) % 256, i % 256);
        observed.pods.push(pod(&format!("web-{i:05}"), "web", "node-a", &ip));
    }
    let actions = compute(&observed, now());
    let bytes = actions.oversize["node-a"];
    assert!(bytes > MAX_PLAN_BYTES);
    assert!(actions.apply_plans.iter().all(|s| s.node != "node-a"));
    assert_eq!(condition(&actions, "Degraded"), pair("True", "ProgrammingFailed"));
    assert!(actions.events[0].note.contains("over the"), "{}", actions.events[0].note);
}
