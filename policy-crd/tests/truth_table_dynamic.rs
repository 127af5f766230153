//! Dynamic updates (upstream e2e "updated namespace", "updated pod", "deny ingress access to
//! updated pod", policy update and delete), checked on the full matrix after each step.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check, engine, key, labels, namespace, pod, spec};
use policy_crd::api::SecurityPolicySpec;

#[test]
fn updated_namespace_labels() {
    let p = "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns2: updated}}}]}]}";
    let mut e = engine(&[("x/p", p)]);
    check(&e, &["* -> x/a = deny"]);
    let mut y = namespace("y");
    y.labels.insert("ns2".into(), "updated".into());
    e.upsert_namespace(y);
    check(&e, &["* -> x/a = deny", "y/* -> x/a = allow"]);
    e.upsert_namespace(namespace("y"));
    check(&e, &["* -> x/a = deny"]);
}

#[test]
fn namespace_name_label_cannot_be_overridden() {
    let p =
        "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}]}";
    let mut e = engine(&[("x/p", p)]);
    let mut z = namespace("z");
    z.labels.insert("kubernetes.io/metadata.name".into(), "y".into());
    e.upsert_namespace(z);
    check(&e, &["* -> x/* = deny", "y/* -> x/* = allow"]);
}

#[test]
fn updated_pod_labels_as_peer() {
    let p = "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: b-new}}}]}]}";
    let mut e = engine(&[("x/p", p)]);
    check(&e, &["* -> x/a = deny"]);
    let mut b = pod("y", "b");
    b.labels = labels(&[("pod", "b-new")]);
    e.upsert_pod(b);
    check(&e, &["* -> x/a = deny", "y/b -> x/a = allow"]);
    e.upsert_pod(pod("y", "b"));
    check(&e, &["* -> x/a = deny"]);
}

#[test]
fn deny_ingress_access_to_updated_pod() {
    let mut e = engine(&[("x/p", "{podSelector: {matchLabels: {target: isolated}}}")]);
    check(&e, &[]);
    let mut a = pod("x", "a");
    a.labels.insert("target".into(), "isolated".into());
    e.upsert_pod(a);
    check(&e, &["* -> x/a = deny"]);
}

#[test]
fn removed_and_re_added_pods() {
    let p = "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}";
    let mut e = engine(&[("x/p", p)]);
    e.remove_pod(&key("x/b"));
    e.remove_pod(&key("x/a"));
    e.upsert_pod(pod("x", "a"));
    e.upsert_pod(pod("x", "b"));
    check(&e, &["* -> x/a = deny", "x/b -> x/a = allow"]);
}

#[test]
fn policy_update_and_delete() {
    let mut e = engine(&[("x/p", "{podSelector: {}}")]);
    check(&e, &["* -> x/* = deny"]);
    e.upsert_policy(key("x/p"), spec("{podSelector: {}, ingress: [{ports: [{port: 81}]}]}"));
    check(&e, &["* -> x/* = deny", "* -> x/* : tcp/81 = allow"]);
    e.upsert_policy(key("x/p"), spec("{podSelector: {matchLabels: {pod: c}}, policyTypes: [Egress]}"));
    check(&e, &["x/c -> * = deny"]);
    e.upsert_policy(key("x/q"), spec("{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}"));
    check(&e, &["x/c -> * = deny", "y/*,z/* -> x/* = deny"]);
    e.remove_policy(&key("x/p"));
    check(&e, &["y/*,z/* -> x/* = deny"]);
    e.remove_policy(&key("x/q"));
    check(&e, &[]);
    // Removing an unknown policy is harmless.
    e.remove_policy(&key("x/none"));
    check(&e, &[]);
}

#[test]
fn pods_and_policies_added_later_in_new_namespaces() {
    let mut e = engine(&[]);
    e.upsert_namespace(policy_crd::flow::Namespace { name: "w".into(), labels: labels(&[("ns", "w")]) });
    e.upsert_policy(
        key("w/p"),
        spec("{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}}]}]}"),
    );
    e.upsert_pod(pod("w", "a"));
    let q = |from: &str| common::query(&e, from, "w/a", policy_crd::flow::Protocol::Tcp, 80).verdict;
    assert_eq!(q("x/b"), policy_crd::flow::Verdict::Allow);
    assert_eq!(q("y/b"), policy_crd::flow::Verdict::Deny);
    check(&e, &[]);
}

#[test]
fn security_policy_appearing_and_vanishing() {
    let p = "{podSelector: {}, ingress: [{from: [{podSelector: {}}]}], securityPolicyRef: {name: later}}";
    let mut e = engine(&[("x/p", p)]);
    check(&e, &["* -> x/* = deny"]);
    e.upsert_security_policy("later".into(), SecurityPolicySpec::default());
    check(&e, &["* -> x/* = deny", "x/* -> x/* = inspect"]);
    e.remove_security_policy("later");
    check(&e, &["* -> x/* = deny"]);
}
