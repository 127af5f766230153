//! The engine against a naive reference model written from the spec text alone: every probe
//! re-reads every policy, with no caching and no grouping. Invalid parts (bad operators,
//! missing values, `endPort` misuse, `except` outside `cidr`, mixed peers) match nothing; a
//! policy whose `podSelector` is invalid selects nothing; one naming a missing SecurityPolicy
//! isolates but allows nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;

use common::arb::{Cluster, PROBE_PORTS, PROTOCOLS, apply_to_engine, cluster, op};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use policy_crd::api::{IpBlock, L7NetworkPolicySpec, LabelSelector, Peer, Port};
use policy_crd::flow::{Engine, Labels, Pod, PodKey, Probe, Protocol, Verdict};
use proptest::prelude::*;

/// `None` when the selector is invalid.
fn selector_matches(s: &LabelSelector, labels: &Labels) -> Option<bool> {
    let mut ok = true;
    for (k, v) in s.match_labels.iter().flatten() {
        ok &= labels.get(k) == Some(v);
    }
    for e in s.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default();
        let has = labels.get(&e.key);
        ok &= match e.operator.as_str() {
            "In" if !values.is_empty() => has.is_some_and(|v| values.contains(v)),
            "NotIn" if !values.is_empty() => has.is_none_or(|v| !values.contains(v)),
            "Exists" if values.is_empty() => has.is_some(),
            "DoesNotExist" if values.is_empty() => has.is_none(),
            _ => return None,
        };
    }
    Some(ok)
}

/// `(network, prefix length)` of an IPv4 CIDR, host bits cleared.
fn cidr(s: &str) -> (u32, u32) {
    let (addr, len) = s.split_once('/').unwrap();
    let addr: std::net::Ipv4Addr = addr.parse().unwrap();
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (u32::from(addr) & mask, len)
}

fn in_cidr(ip: u32, (net, len): (u32, u32)) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    ip & mask == net
}

fn block_matches(b: &IpBlock, ip: Option<IpAddr>) -> bool {
    let outer = cidr(&b.cidr);
    let excepts: Vec<_> = b.except.iter().flatten().map(|e| cidr(e)).collect();
    if excepts.iter().any(|&(net, len)| len < outer.1 || !in_cidr(net, outer)) {
        return false; // an except outside the cidr makes the peer invalid
    }
    let Some(IpAddr::V4(ip)) = ip else { return false };
    let ip = u32::from(ip);
    in_cidr(ip, outer) && !excepts.iter().any(|&e| in_cidr(ip, e))
}

fn peer_matches(c: &Cluster, policy_ns: &str, peer: &Peer, pod: &Pod) -> bool {
    match (&peer.ip_block, &peer.pod_selector, &peer.namespace_selector) {
        (Some(b), None, None) => block_matches(b, pod.ip),
        (None, None, None) | (Some(_), _, _) => false,
        (None, pods, namespaces) => {
            let pod_ok = pods.as_ref().map_or(Some(true), |s| selector_matches(s, &pod.labels));
            let ns_ok = match namespaces {
                None => Some(pod.namespace == policy_ns),
                Some(s) => selector_matches(s, &c.namespace_labels(&pod.namespace)),
            };
            pod_ok == Some(true) && ns_ok == Some(true)
        }
    }
}

fn port_matches(p: &Port, protocol: Protocol, number: u16, dst: &Pod) -> bool {
    if p.protocol.as_deref().unwrap_or("TCP") != protocol.to_string() {
        return false;
    }
    let n = i32::from(number);
    match (&p.port, p.end_port) {
        (None, None) => true,
        (Some(IntOrString::Int(port)), None) => *port == n,
        (Some(IntOrString::Int(port)), Some(end)) => end >= *port && (*port..=end).contains(&n),
        (Some(IntOrString::String(name)), None) => {
            dst.ports.iter().any(|c| c.name.as_deref() == Some(name) && c.protocol == protocol && c.port == number)
        }
        _ => false,
    }
}

/// Within a rule peers AND ports; empty or absent lists mean everything.
fn rule_matches(
    c: &Cluster,
    ns: &str,
    peers: Option<&Vec<Peer>>,
    ports: Option<&Vec<Port>>,
    peer: &Pod,
    dst: &Pod,
    probe: (Protocol, u16),
) -> bool {
    let peers_ok = peers.is_none_or(|ps| ps.is_empty() || ps.iter().any(|p| peer_matches(c, ns, p, peer)));
    let ports_ok = ports.is_none_or(|ps| ps.is_empty() || ps.iter().any(|p| port_matches(p, probe.0, probe.1, dst)));
    peers_ok && ports_ok
}

/// The apiserver's defaulting: an empty or absent list means Ingress, plus Egress if there
/// are egress rules.
fn policy_types(s: &L7NetworkPolicySpec) -> (bool, bool) {
    match s.policy_types.as_deref() {
        None | Some([]) => (true, s.egress.as_ref().is_some_and(|e| !e.is_empty())),
        Some(t) => (t.iter().any(|t| t == "Ingress"), t.iter().any(|t| t == "Egress")),
    }
}

/// `(verdict, SecurityPolicies)` of one flow.
fn reference(c: &Cluster, src: &Pod, dst: &Pod, probe: (Protocol, u16)) -> (Verdict, BTreeSet<String>) {
    let mut allowed = [true, true];
    let mut covering = BTreeSet::new();
    for (side, subject, peer) in [(0, dst, src), (1, src, dst)] {
        let mut isolated = false;
        let mut any = false;
        for (key, spec) in &c.policies {
            let types = policy_types(spec);
            let isolates = if side == 0 { types.0 } else { types.1 };
            if key.namespace != subject.namespace
                || !isolates
                || selector_matches(&spec.pod_selector, &subject.labels) != Some(true)
            {
                continue;
            }
            isolated = true;
            let sp = spec.security_policy_ref.as_ref().map(|r| r.name.clone());
            if sp.as_ref().is_some_and(|n| !c.security_policies.contains(n)) {
                continue; // fail closed
            }
            let ns = key.namespace.as_str();
            let hit = if side == 0 {
                spec.ingress
                    .iter()
                    .flatten()
                    .any(|r| rule_matches(c, ns, r.from.as_ref(), r.ports.as_ref(), peer, dst, probe))
            } else {
                spec.egress
                    .iter()
                    .flatten()
                    .any(|r| rule_matches(c, ns, r.to.as_ref(), r.ports.as_ref(), peer, dst, probe))
            };
            if hit {
                any = true;
                covering.extend(sp);
            }
        }
        allowed[side] = !isolated || any;
    }
    match (allowed == [true, true], covering.is_empty()) {
        (false, _) => (Verdict::Deny, BTreeSet::new()),
        (true, true) => (Verdict::Allow, covering),
        (true, false) => (Verdict::Inspect, covering),
    }
}

/// Compares `engine` with the reference for every pod pair, protocol and probe port.
fn compare(c: &Cluster, engine: &Engine, what: &str) -> Result<(), TestCaseError> {
    for src in &c.pods {
        for dst in &c.pods {
            for protocol in PROTOCOLS {
                for port in PROBE_PORTS {
                    let probe = Probe { from: src.key(), to: dst.key(), protocol, port };
                    let got = engine.query(&probe).unwrap();
                    let (verdict, sps) = reference(c, src, dst, (protocol, port));
                    prop_assert_eq!(got.verdict, verdict, "{}: {:?}", what, probe);
                    if verdict == Verdict::Inspect {
                        prop_assert_eq!(
                            got.security_policies,
                            sps.into_iter().collect::<Vec<_>>(),
                            "{}: {:?}",
                            what,
                            probe
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_reference(c in cluster(false)) {
        compare(&c, &c.engine(), "fresh")?;
    }

    #[test]
    fn incremental_updates_match_reference(mut c in cluster(false), ops in proptest::collection::vec(op(false), 1..=5)) {
        let mut engine = c.engine();
        for op in &ops {
            c.apply(op);
            apply_to_engine(&mut engine, op);
            compare(&c, &engine, &format!("after {op:?}"))?;
        }
        compare(&c, &c.engine(), "rebuilt")?;
    }
}

#[test]
fn unknown_pod_is_an_error_not_a_panic() {
    let engine = Engine::default();
    let k = PodKey { namespace: "n0".into(), name: "p0".into() };
    let probe = Probe { from: k.clone(), to: k, protocol: Protocol::Tcp, port: 80 };
    assert!(engine.query(&probe).is_err());
}
