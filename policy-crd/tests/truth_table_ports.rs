//! Truth tables for ports: default protocol, protocol-only rules, UDP/SCTP not allowing TCP,
//! endPort ranges and named ports (pods serve `serve-80-tcp` and friends; `web` is 80 on pods
//! a and b but 81 on pods c).
#![allow(clippy::unwrap_used)]

mod common;

use common::case;

/// Ingress to every pod of x, from anywhere, on `ports`.
fn into_x(ports: &str) -> String {
    format!("{{podSelector: {{}}, ingress: [{{from: [{{namespaceSelector: {{}}}}], ports: [{ports}]}}]}}")
}

/// Egress from x/a to anywhere on `ports`.
fn out_of_xa(ports: &str) -> String {
    format!("{{podSelector: {{matchLabels: {{pod: a}}}}, policyTypes: [Egress], egress: [{{ports: [{ports}]}}]}}")
}

/// Ingress to x is allowed on the listed `proto/port` patterns only.
fn ingress_only_on(ports: &str, allowed: &str) {
    let allow = format!("* -> x/* : {allowed} = allow");
    let lines: Vec<&str> = if allowed.is_empty() { vec!["* -> x/* = deny"] } else { vec!["* -> x/* = deny", &allow] };
    case(&[("x/p", &into_x(ports))], &lines);
}

/// Egress from x/a is allowed on the listed patterns only.
fn egress_only_on(ports: &str, lines: &[&str]) {
    let mut all = vec!["x/a -> * = deny"];
    all.extend(lines);
    case(&[("x/p", &out_of_xa(ports))], &all);
}

#[test]
fn port_without_protocol_is_tcp() {
    ingress_only_on("{port: 80}", "tcp/80");
    ingress_only_on("{protocol: TCP, port: 81}", "tcp/81");
}

#[test]
fn udp_only_or_sctp_only_rules_do_not_allow_tcp() {
    ingress_only_on("{protocol: UDP, port: 80}", "udp/80");
    ingress_only_on("{protocol: SCTP, port: 80}", "sctp/80");
    ingress_only_on("{protocol: SCTP}", "sctp/*");
    egress_only_on("{protocol: UDP, port: 81}", &["x/a -> * : udp/81 = allow"]);
}

#[test]
fn protocol_without_port_means_all_ports() {
    ingress_only_on("{protocol: UDP}", "udp/*");
    ingress_only_on("{protocol: TCP}, {protocol: SCTP}", "tcp/*,sctp/*");
    ingress_only_on("{}", "tcp/*");
}

#[test]
fn empty_ports_list_means_all_ports_and_protocols() {
    case(&[("x/p", "{podSelector: {}, ingress: [{ports: []}]}")], &[]);
}

#[test]
fn end_port_ranges() {
    ingress_only_on("{port: 80, endPort: 81}", "tcp/80,tcp/81");
    ingress_only_on("{port: 79, endPort: 80}", "tcp/80");
    ingress_only_on("{port: 81, endPort: 81}", "tcp/81");
    ingress_only_on("{protocol: UDP, port: 1, endPort: 65535}", "udp/*");
    ingress_only_on("{port: 82, endPort: 1000}", "");
    egress_only_on(
        "{port: 81, endPort: 90}, {protocol: SCTP, port: 70, endPort: 80}",
        &["x/a -> * : tcp/81,sctp/80 = allow"],
    );
}

#[test]
fn named_ports_on_ingress_resolve_on_the_selected_pod() {
    ingress_only_on("{port: serve-80-tcp}", "tcp/80");
    ingress_only_on("{protocol: UDP, port: serve-81-udp}", "udp/81");
    // The name exists for TCP only; a UDP rule with it matches nothing.
    ingress_only_on("{protocol: UDP, port: serve-80-tcp}", "");
    ingress_only_on("{port: serve-80-tcp}, {protocol: UDP, port: serve-80-udp}", "tcp/80,udp/80");
}

#[test]
fn undefined_named_port_matches_nothing() {
    ingress_only_on("{port: nope}", "");
    egress_only_on("{port: nope}", &[]);
}

#[test]
fn a_name_can_mean_different_numbers_on_different_pods() {
    let p = into_x("{port: web}");
    case(&[("x/p", &p)], &["* -> x/* = deny", "* -> x/a,x/b : tcp/80 = allow", "* -> x/c : tcp/81 = allow"]);
}

#[test]
fn named_ports_on_egress_resolve_on_the_destination() {
    egress_only_on("{port: serve-81-tcp}", &["x/a -> * : tcp/81 = allow"]);
    egress_only_on("{port: web}", &["x/a -> */a,*/b : tcp/80 = allow", "x/a -> */c : tcp/81 = allow"]);
    // Combined with peers: only y pods, on their `web` number.
    let p = "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: web}]}]}";
    case(&[("x/p", p)], &["x/a -> * = deny", "x/a -> y/a,y/b : tcp/80 = allow", "x/a -> y/c : tcp/81 = allow"]);
}

#[test]
fn named_ports_on_both_sides() {
    let policies = [
        ("x/egress", out_of_xa("{port: serve-80-tcp}, {protocol: UDP, port: serve-81-udp}")),
        ("y/ingress", "{podSelector: {}, ingress: [{ports: [{protocol: UDP, port: serve-81-udp}]}]}".to_owned()),
    ];
    let policies: Vec<(&str, &str)> = policies.iter().map(|(k, v)| (*k, v.as_str())).collect();
    case(
        &policies,
        &[
            "* -> y/* : * = deny",
            "* -> y/* : udp/81 = allow",
            "x/a -> * = deny",
            "x/a -> x/*,z/* : tcp/80,udp/81 = allow",
            "x/a -> y/* : udp/81 = allow",
        ],
    );
}
