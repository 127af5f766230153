//! Truth tables for peers: pod and namespace selectors (alone, ANDed, ORed), label selector
//! operators, the namespace name label, and ipBlock with except (pod IPs are 10.0.<ns>.<pod>
//! with x=1, y=2, z=3 and a=1, b=2, c=3).
#![allow(clippy::unwrap_used)]

mod common;

use common::case;

/// An ingress policy on x/a admitting `from`.
fn to_xa(from: &str) -> String {
    format!("{{podSelector: {{matchLabels: {{pod: a}}}}, ingress: [{{from: [{from}]}}]}}")
}

/// An egress policy on x/a allowing `to`.
fn from_xa(to: &str) -> String {
    format!("{{podSelector: {{matchLabels: {{pod: a}}}}, policyTypes: [Egress], egress: [{{to: [{to}]}}]}}")
}

/// Ingress to x/a is denied except from `allowed`.
fn only(allowed: &str) -> Vec<String> {
    let mut lines = vec!["* -> x/a = deny".to_owned()];
    if !allowed.is_empty() {
        lines.push(format!("{allowed} -> x/a = allow"));
    }
    lines
}

fn check_to_xa(from: &str, allowed: &str) {
    let lines = only(allowed);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    case(&[("x/p", &to_xa(from))], &lines);
}

#[test]
fn pod_selector_alone_means_own_namespace() {
    check_to_xa("{podSelector: {matchLabels: {pod: b}}}", "x/b");
    check_to_xa("{podSelector: {}}", "x/*");
}

#[test]
fn namespace_selector_alone_means_all_pods_there() {
    check_to_xa("{namespaceSelector: {matchLabels: {ns: y}}}", "y/*");
    check_to_xa("{namespaceSelector: {}}", "*");
}

#[test]
fn pod_and_namespace_selector_in_one_peer_is_and() {
    check_to_xa("{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}", "y/b");
    check_to_xa("{namespaceSelector: {}, podSelector: {matchLabels: {pod: c}}}", "*/c");
}

#[test]
fn two_peers_are_or() {
    check_to_xa("{namespaceSelector: {matchLabels: {ns: y}}}, {podSelector: {matchLabels: {pod: b}}}", "y/*,x/b");
}

#[test]
fn namespace_by_name_label() {
    check_to_xa("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}}", "z/*");
    let p = "{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x, y]}]}}";
    check_to_xa(p, "z/*");
}

#[test]
fn match_labels_are_anded() {
    check_to_xa("{namespaceSelector: {matchLabels: {ns: y, team: red}}}", "y/*");
    check_to_xa("{namespaceSelector: {matchLabels: {ns: y, team: blue}}}", "");
}

#[test]
fn match_expression_operators() {
    let expr = |key: &str, op: &str, values: &str| {
        format!("{{namespaceSelector: {{matchExpressions: [{{key: {key}, operator: {op}{values}}}]}}}}")
    };
    check_to_xa(&expr("team", "In", ", values: [red, blue]"), "y/*,z/*");
    // NotIn matches namespaces lacking the key (x has no `team`).
    check_to_xa(&expr("team", "NotIn", ", values: [red]"), "x/*,z/*");
    check_to_xa(&expr("team", "Exists", ""), "y/*,z/*");
    check_to_xa(&expr("team", "DoesNotExist", ""), "x/*");
    check_to_xa(&expr("nothere", "NotIn", ", values: [v]"), "*");
    let pods =
        "{podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [a]}, {key: pod, operator: Exists}]}}";
    check_to_xa(pods, "x/b,x/c");
    // Expressions and matchLabels are ANDed.
    let both =
        "{namespaceSelector: {matchLabels: {ns: z}, matchExpressions: [{key: team, operator: In, values: [red]}]}}";
    check_to_xa(both, "");
}

#[test]
fn empty_versus_absent_selectors() {
    // podSelector {} selects every pod of the namespace(s); absent podSelector with a
    // namespaceSelector also means every pod; absent namespaceSelector means own namespace.
    check_to_xa("{podSelector: {}, namespaceSelector: {}}", "*");
    check_to_xa("{podSelector: {matchLabels: {}}, namespaceSelector: {matchExpressions: []}}", "*");
    check_to_xa("{podSelector: {}}", "x/*");
}

#[test]
fn egress_peers() {
    let p = from_xa("{podSelector: {matchLabels: {pod: b}}, namespaceSelector: {matchLabels: {ns: z}}}");
    case(&[("x/p", &p)], &["x/a -> * = deny", "x/a -> z/b = allow"]);
    let p = from_xa("{podSelector: {matchLabels: {pod: b}}}, {namespaceSelector: {matchLabels: {ns: z}}}");
    case(&[("x/p", &p)], &["x/a -> * = deny", "x/a -> z/*,x/b = allow"]);
}

#[test]
fn ip_block_with_except_on_pod_ips() {
    let p = from_xa("{ipBlock: {cidr: 10.0.2.0/24, except: [10.0.2.2/32]}}");
    case(&[("x/p", &p)], &["x/a -> * = deny", "x/a -> y/a,y/c = allow"]);
    check_to_xa("{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.3.0/24, 10.0.1.1/32]}}", "x/b,x/c,y/*");
    check_to_xa("{ipBlock: {cidr: 10.0.1.2/32}}", "x/b");
    check_to_xa("{ipBlock: {cidr: 192.168.0.0/16}}", "");
    // Host bits in the cidr are ignored, as on the network address.
    check_to_xa("{ipBlock: {cidr: 10.0.3.7/24}}", "z/*");
}

#[test]
fn except_overlap_is_allowed_by_another_policy() {
    let policies = [
        ("x/block", from_xa("{ipBlock: {cidr: 10.0.2.0/24, except: [10.0.2.2/32]}}")),
        ("x/exact", from_xa("{ipBlock: {cidr: 10.0.2.2/32}}")),
    ];
    let policies: Vec<(&str, &str)> = policies.iter().map(|(k, v)| (*k, v.as_str())).collect();
    case(&policies, &["x/a -> * = deny", "x/a -> y/* = allow"]);
    // Same with both blocks in one rule.
    let p = from_xa("{ipBlock: {cidr: 10.0.2.0/24, except: [10.0.2.2/32]}}, {ipBlock: {cidr: 10.0.2.0/30}}");
    case(&[("x/p", &p)], &["x/a -> * = deny", "x/a -> y/* = allow"]);
}

#[test]
fn ip_block_and_selector_peers_combine_with_or() {
    let p = from_xa("{ipBlock: {cidr: 10.0.3.0/24, except: [10.0.3.0/30]}}, {podSelector: {matchLabels: {pod: c}}}");
    case(&[("x/p", &p)], &["x/a -> * = deny", "x/a -> x/c = allow"]);
}
