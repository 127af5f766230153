//! Truth tables (upstream Netpol e2e style) for isolation, policyTypes defaults, rule
//! structure, client-side egress deny and stacking. Topology: see `common`.
#![allow(clippy::unwrap_used)]

mod common;

use common::case;

#[test]
fn no_policy_allows_everything() {
    case(&[], &[]);
}

#[test]
fn default_deny_ingress() {
    let deny = &["* -> x/* = deny"];
    case(&[("x/deny", "{podSelector: {}}")], deny);
    case(&[("x/deny", "{podSelector: {}, policyTypes: [Ingress]}")], deny);
    case(&[("x/deny", "{podSelector: {}, policyTypes: [Ingress], ingress: []}")], deny);
    // `policyTypes: []` is defaulted like an absent list.
    case(&[("x/deny", "{podSelector: {}, policyTypes: []}")], deny);
}

#[test]
fn default_deny_egress() {
    case(&[("x/deny", "{podSelector: {}, policyTypes: [Egress]}")], &["x/* -> * = deny"]);
    case(&[("x/deny", "{podSelector: {}, policyTypes: [Egress], egress: []}")], &["x/* -> * = deny"]);
}

#[test]
fn default_deny_all() {
    case(&[("x/deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}")], &["* -> x/* = deny", "x/* -> * = deny"]);
}

#[test]
fn allow_all_ingress_vs_empty_vs_absent() {
    case(&[("x/all", "{podSelector: {}, ingress: [{}]}")], &[]);
    case(&[("x/all", "{podSelector: {}, ingress: [{from: [], ports: []}]}")], &[]);
    case(&[("x/none", "{podSelector: {}, ingress: []}")], &["* -> x/* = deny"]);
    case(&[("x/absent", "{podSelector: {}, policyTypes: [Ingress]}")], &["* -> x/* = deny"]);
    // Allow-all wins over a default deny on the same pods (policies are additive).
    case(&[("x/deny", "{podSelector: {}}"), ("x/all", "{podSelector: {}, ingress: [{}]}")], &[]);
    case(
        &[
            ("x/deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}"),
            ("x/all", "{podSelector: {}, ingress: [{}], egress: [{}]}"),
        ],
        &[],
    );
}

#[test]
fn allow_all_egress() {
    case(&[("x/all", "{podSelector: {}, policyTypes: [Egress], egress: [{}]}")], &[]);
}

#[test]
fn egress_section_without_policy_types_isolates_both() {
    let p = "{podSelector: {}, ingress: [{}], egress: [{to: [{podSelector: {}}]}]}";
    case(&[("x/p", p)], &["x/* -> y/*,z/* = deny"]);
    // Ingress is implied too: no ingress list means deny all ingress.
    let p = "{podSelector: {}, egress: [{to: [{podSelector: {}}]}]}";
    case(&[("x/p", p)], &["x/* -> y/*,z/* = deny", "* -> x/* = deny"]);
}

#[test]
fn empty_egress_without_policy_types_isolates_ingress_only() {
    // The apiserver adds Egress only when `egress` has rules (SetDefaults_NetworkPolicy).
    case(&[("x/p", "{podSelector: {}, egress: []}")], &["* -> x/* = deny"]);
}

#[test]
fn egress_only_policy_leaves_ingress_open() {
    let p = "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}";
    case(&[("x/p", p)], &["x/a -> x/*,z/* = deny"]);
}

#[test]
fn ingress_listed_without_rules_denies_even_when_egress_allows() {
    let p = "{podSelector: {}, policyTypes: [Ingress, Egress], egress: [{}]}";
    case(&[("x/p", p)], &["* -> x/* = deny"]);
}

#[test]
fn pod_selector_limits_the_isolated_pods() {
    case(&[("x/p", "{podSelector: {matchLabels: {pod: a}}}")], &["* -> x/a = deny"]);
    case(
        &[("y/p", "{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}}")],
        &["* -> y/b,y/c = deny"],
    );
    // A policy selects only pods of its own namespace.
    case(
        &[("z/p", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {}}]}]}")],
        &["x/*,y/* -> z/a = deny"],
    );
}

#[test]
fn client_side_egress_deny_even_if_the_server_allows() {
    let policies = [
        ("x/deny-egress", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress]}"),
        (
            "y/allow-from-x",
            "{podSelector: {matchLabels: {pod: b}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}}]}]}",
        ),
    ];
    case(&policies, &["*/* -> y/b = deny", "x/* -> y/b = allow", "x/a -> * = deny"]);
}

#[test]
fn both_sides_must_allow() {
    let policies = [
        (
            "x/egress",
            "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}",
        ),
        (
            "y/ingress",
            "{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {pod: a}}, namespaceSelector: {}}]}]}",
        ),
    ];
    case(&policies, &["x/* -> * = deny", "* -> y/* = deny", "*/a -> y/* = allow", "x/b,x/c -> y/* = deny"]);
}

#[test]
fn stacked_policies_are_additive() {
    let policies = [
        (
            "x/from-b",
            "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}",
        ),
        (
            "x/from-c",
            "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}], ports: [{port: 80}]}]}",
        ),
    ];
    case(&policies, &["* -> x/a = deny", "x/b -> x/a = allow", "x/c -> x/a : tcp/80 = allow"]);
    // Order does not matter.
    let reversed = [policies[1], policies[0]];
    case(&reversed, &["* -> x/a = deny", "x/b -> x/a = allow", "x/c -> x/a : tcp/80 = allow"]);
}

#[test]
fn rules_or_and_peers_and_ports_and_within_a_rule() {
    let p = "{podSelector: {matchLabels: {pod: a}}, ingress: [
        {from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]},
        {from: [{podSelector: {matchLabels: {pod: c}}}], ports: [{port: 81}, {protocol: UDP, port: 80}]}]}";
    case(&[("x/p", p)], &["* -> x/a = deny", "x/b -> x/a : tcp/80 = allow", "x/c -> x/a : tcp/81,udp/80 = allow"]);
}

#[test]
#[should_panic(expected = "of the matrix differ")]
fn the_matrix_check_catches_a_wrong_expectation() {
    case(&[], &["* -> x/a : udp/81 = deny"]);
}
