//! Shared helpers: the upstream Netpol e2e topology (namespaces x/y/z × pods a/b/c), policies
//! written as YAML, and a reachability matrix checked against `Engine::query`.
#![allow(dead_code, clippy::unwrap_used)]

pub mod arb;

use std::net::IpAddr;

use policy_crd::api::{L7NetworkPolicySpec, SecurityPolicySpec};
use policy_crd::flow::{ContainerPort, Decision, Engine, Labels, Namespace, Pod, PodKey, Probe, Protocol, Verdict};

pub const NAMESPACES: [&str; 3] = ["x", "y", "z"];
pub const PODS: [&str; 3] = ["a", "b", "c"];
pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];
pub const PORTS: [u16; 2] = [80, 81];
/// SecurityPolicies that exist in every topology.
pub const SECURITY_POLICIES: [&str; 2] = ["sp-a", "sp-b"];

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

pub fn key(s: &str) -> PodKey {
    PodKey::parse(s).unwrap()
}

/// Parses a policy spec from YAML (flow style keeps tables on one line).
pub fn spec(yaml: &str) -> L7NetworkPolicySpec {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("bad test YAML {yaml}: {e}"))
}

/// `x` has `ns: x`; `y` also `team: red`; `z` also `team: blue` (so `team` can be missing).
pub fn namespace(name: &str) -> Namespace {
    let team = match name {
        "y" => Some("red"),
        "z" => Some("blue"),
        _ => None,
    };
    let mut l = labels(&[("ns", name)]);
    if let Some(team) = team {
        l.insert("team".into(), team.into());
    }
    Namespace { name: name.into(), labels: l }
}

/// Pod `ns/p` with label `pod: p`, IP `10.0.<ns 1-3>.<pod 1-3>`, on node `node-<p>`, serving
/// 80 and 81 over TCP and UDP with the e2e port names, plus `web`: 80 on a and b, 81 on c.
pub fn pod(ns: &str, name: &str) -> Pod {
    let n = NAMESPACES.iter().position(|x| *x == ns).map_or(9, |i| i + 1);
    let p = PODS.iter().position(|x| *x == name).map_or(9, |i| i + 1);
    let mut ports = Vec::new();
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        for port in PORTS {
            let name = format!("serve-{port}-{}", protocol.to_string().to_lowercase());
            ports.push(ContainerPort { name: Some(name), port, protocol });
        }
    }
    let web = if name == "c" { 81 } else { 80 };
    ports.push(ContainerPort { name: Some("web".into()), port: web, protocol: Protocol::Tcp });
    Pod {
        namespace: ns.into(),
        name: name.into(),
        labels: labels(&[("pod", name)]),
        ip: Some(IpAddr::from([10, 0, n as u8, p as u8])),
        node: Some(format!("node-{name}")),
        ports,
    }
}

pub fn all_pods() -> Vec<Pod> {
    NAMESPACES.iter().flat_map(|ns| PODS.iter().map(move |p| pod(ns, p))).collect()
}

/// The topology with `policies` as `("ns/name", yaml)`.
pub fn engine(policies: &[(&str, &str)]) -> Engine {
    Engine::new(
        NAMESPACES.map(namespace),
        all_pods(),
        policies.iter().map(|(k, y)| (key(k), spec(y))),
        SECURITY_POLICIES.map(|n| (n.to_owned(), SecurityPolicySpec::default())),
    )
}

pub fn query(engine: &Engine, from: &str, to: &str, protocol: Protocol, port: u16) -> Decision {
    engine.query(&Probe { from: key(from), to: key(to), protocol, port }).unwrap()
}

/// One expectation line: `FROM -> TO [: PROTO/PORT] = VERDICT`. FROM/TO are comma-separated
/// `ns/pod` patterns, PROTO/PORT `tcp/80` and the like; any part may be `*`. Later lines
/// override earlier ones; unmatched probes expect `allow`.
struct Line {
    from: Vec<String>,
    to: Vec<String>,
    ports: Vec<String>,
    verdict: Verdict,
}

fn parse_line(line: &str) -> Line {
    let (lhs, verdict) = line.split_once('=').unwrap_or_else(|| panic!("no '=' in {line:?}"));
    let verdict = match verdict.trim() {
        "allow" => Verdict::Allow,
        "deny" => Verdict::Deny,
        "inspect" => Verdict::Inspect,
        v => panic!("bad verdict {v:?}"),
    };
    let (peers, ports) = lhs.split_once(':').unwrap_or((lhs, "*"));
    let (from, to) = peers.split_once("->").unwrap_or_else(|| panic!("no '->' in {line:?}"));
    let list = |s: &str| s.split(',').map(|p| p.trim().to_owned()).collect();
    Line { from: list(from), to: list(to), ports: list(ports), verdict }
}

fn glob(pattern: &str, value: &str) -> bool {
    let (pa, pb) = pattern.split_once('/').unwrap_or((pattern, "*"));
    let (va, vb) = value.split_once('/').unwrap_or((value, ""));
    (pa == "*" || pa == va) && (pb == "*" || pb == vb)
}

/// The expected verdict of one probe under `lines`.
fn expected(lines: &[Line], from: &str, to: &str, protocol: Protocol, port: u16) -> Verdict {
    let port = format!("{}/{port}", protocol.to_string().to_lowercase());
    let mut verdict = Verdict::Allow;
    for l in lines {
        let hit = |ps: &[String], v: &str| ps.iter().any(|p| glob(p, v));
        if hit(&l.from, from) && hit(&l.to, to) && hit(&l.ports, &port) {
            verdict = l.verdict;
        }
    }
    verdict
}

/// Compares every (from, to, protocol, port) of the matrix with `expect`.
pub fn check(engine: &Engine, expect: &[&str]) {
    let lines: Vec<Line> = expect.iter().map(|l| parse_line(l)).collect();
    let names: Vec<String> = NAMESPACES.iter().flat_map(|n| PODS.iter().map(move |p| format!("{n}/{p}"))).collect();
    let mut wrong = Vec::new();
    for from in &names {
        for to in &names {
            for protocol in PROTOCOLS {
                for port in PORTS {
                    let want = expected(&lines, from, to, protocol, port);
                    let got = query(engine, from, to, protocol, port).verdict;
                    if want != got {
                        wrong.push(format!("{from} -> {to} {protocol}/{port}: want {want:?}, got {got:?}"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of the matrix differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// Builds the topology with `policies` and checks the matrix.
pub fn case(policies: &[(&str, &str)], expect: &[&str]) -> Engine {
    let engine = engine(policies);
    check(&engine, expect);
    engine
}
