//! Inspect vs allow, the SecurityPolicies a flow gets, the missing-SecurityPolicy fail-closed
//! case, and invalid input becoming per-policy errors (never a panic).
#![allow(clippy::unwrap_used)]

mod common;

use common::{case, engine, query};
use policy_crd::flow::{Protocol, Verdict};

#[test]
fn covered_flows_are_inspected_others_allowed() {
    let p = "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 80}]}], securityPolicyRef: {name: sp-a}}";
    case(&[("x/p", p)], &["* -> x/a = deny", "y/* -> x/a : tcp/80 = inspect"]);
    // A plain policy allowing the same flow does not remove the inspection.
    let plain = "{podSelector: {}, ingress: [{}]}";
    case(&[("x/p", p), ("x/plain", plain)], &["y/* -> x/a : tcp/80 = inspect"]);
}

#[test]
fn egress_policies_inspect_too() {
    let p = "{podSelector: {matchLabels: {pod: b}}, policyTypes: [Egress], egress: [{to: [{podSelector: {}}]}], securityPolicyRef: {name: sp-b}}";
    case(&[("y/p", p)], &["y/b -> * = deny", "y/b -> y/* = inspect"]);
}

#[test]
fn security_policies_of_a_flow_are_sorted_and_deduplicated() {
    let policies = [
        ("x/in-b", "{podSelector: {}, ingress: [{}], securityPolicyRef: {name: sp-b}}"),
        ("x/in-a", "{podSelector: {}, ingress: [{ports: [{port: 80}]}], securityPolicyRef: {name: sp-a}}"),
        ("x/in-a2", "{podSelector: {}, ingress: [{ports: [{port: 80}]}], securityPolicyRef: {name: sp-a}}"),
        (
            "y/out-a",
            "{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 81}]}], securityPolicyRef: {name: sp-a}}",
        ),
    ];
    let e = case(&policies, &["* -> x/* = inspect", "y/* -> * = deny", "y/* -> * : tcp/81 = inspect"]);
    let sps = |from, to, port| query(&e, from, to, Protocol::Tcp, port).security_policies;
    assert_eq!(sps("z/a", "x/b", 80), ["sp-a", "sp-b"]);
    assert_eq!(sps("z/a", "x/b", 81), ["sp-b"]);
    assert_eq!(sps("y/a", "x/b", 81), ["sp-a", "sp-b"]);
    assert_eq!(sps("y/a", "z/b", 81), ["sp-a"]);
    let d = query(&e, "z/a", "x/b", Protocol::Tcp, 80);
    assert_eq!(d.policies, ["x/in-a", "x/in-a2", "x/in-b"]);
    assert!(d.inspection.is_some());
    assert!(query(&e, "z/a", "y/b", Protocol::Tcp, 80).inspection.is_none());
}

#[test]
fn missing_security_policy_fails_closed() {
    let p = "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress, Egress], ingress: [{}], egress: [{}], securityPolicyRef: {name: missing}}";
    let e = case(&[("x/p", p)], &["* -> x/a = deny", "x/a -> * = deny"]);
    let errors = e.plan().errors;
    assert!(errors["x/p"].iter().any(|e| e.contains("missing")), "{errors:?}");
    // Another policy can still allow the traffic, uninspected.
    let open = "{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}";
    case(&[("x/p", p), ("x/open", open)], &["* -> x/* = deny", "x/* -> x/* = allow", "x/a -> * = deny"]);
}

/// Each of these is invalid; the engine reports it under the policy's key and keeps going.
const INVALID: [(&str, &str); 9] = [
    (
        "bad-operator",
        "{podSelector: {}, ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: Near, values: [a]}]}}]}]}",
    ),
    (
        "notin-no-values",
        "{podSelector: {}, ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: NotIn}]}}]}]}",
    ),
    (
        "exists-with-values",
        "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: Exists, values: [x]}]}}]}]}",
    ),
    ("end-below-port", "{podSelector: {}, ingress: [{ports: [{port: 81, endPort: 80}]}]}"),
    ("end-with-name", "{podSelector: {}, ingress: [{ports: [{port: serve-80-tcp, endPort: 81}]}]}"),
    ("except-outside", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24, except: [10.0.2.0/24]}}]}]}"),
    ("block-and-pods", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}"),
    ("bad-protocol", "{podSelector: {}, ingress: [{ports: [{protocol: ICMP, port: 80}]}]}"),
    ("bad-cidr", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}"),
];

#[test]
fn invalid_input_is_a_per_policy_error() {
    let valid = ("x/valid", "{podSelector: {matchLabels: {pod: a}}, ingress: [{}]}");
    for (name, yaml) in INVALID {
        let k = format!("z/{name}");
        let e = engine(&[(k.as_str(), yaml), valid]);
        let plan = e.plan();
        assert_eq!(plan.errors.keys().collect::<Vec<_>>(), [&k], "{name}: {:?}", plan.errors);
        assert!(!plan.errors[&k].is_empty());
        // The invalid rule matches nothing, and the policy still isolates z.
        assert_eq!(query(&e, "z/a", "z/b", Protocol::Tcp, 80).verdict, Verdict::Deny, "{name}");
        assert_eq!(query(&e, "x/a", "x/a", Protocol::Tcp, 80).verdict, Verdict::Allow, "{name}");
    }
    // All of them at once, and through updates.
    let all: Vec<(String, &str)> = INVALID.iter().map(|(n, y)| (format!("z/{n}"), *y)).collect();
    let all: Vec<(&str, &str)> = all.iter().map(|(k, y)| (k.as_str(), *y)).collect();
    let mut e = case(&all, &["* -> z/* = deny"]);
    assert_eq!(e.plan().errors.len(), INVALID.len());
    for (k, y) in &all {
        e.upsert_policy(common::key(k), common::spec(y));
    }
    common::check(&e, &["* -> z/* = deny"]);
}

#[test]
fn invalid_pod_selector_is_reported() {
    let p = "{podSelector: {matchExpressions: [{key: pod, operator: In}]}}";
    let e = engine(&[("x/p", p)]);
    assert!(e.plan().errors["x/p"][0].contains("podSelector"), "{:?}", e.plan().errors);
}

#[test]
fn unknown_policy_type_is_reported() {
    let e = engine(&[("x/p", "{podSelector: {}, policyTypes: [Ingress, Sideways]}")]);
    assert_eq!(e.plan().errors["x/p"].len(), 1);
    common::check(&e, &["* -> x/* = deny"]);
}
