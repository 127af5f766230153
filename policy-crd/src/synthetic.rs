//! A synthetic cluster for benchmarks: namespaces running ~20 apps each as small deployments,
//! and policies that each pick an app and admit a neighbouring app of their namespace, a tier
//! across a team of namespaces, and an ipBlock. Deterministic: the same size gives the same
//! cluster. Shared by `cargo bench -p policy-crd --bench plan` and the redirector's dataplane
//! benchmark.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::*;
use crate::flow::{ContainerPort, Namespace, Pod, PolicyKey, Protocol};

/// How big the cluster is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Pods, addressed from 10.0.0.0 up.
    pub pods: usize,
    /// Namespaces (at least 1).
    pub namespaces: usize,
    /// L7NetworkPolicies.
    pub policies: usize,
    /// Nodes the pods are spread over, round robin (at least 1).
    pub nodes: usize,
}

/// The engine's inputs.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Namespaces, labelled `team=tN`.
    pub namespaces: Vec<Namespace>,
    /// Pods, labelled `app` and `tier`, with a named `http` port 8080.
    pub pods: Vec<Pod>,
    /// Policies, each referencing one of five SecurityPolicies.
    pub policies: Vec<(PolicyKey, L7NetworkPolicySpec)>,
    /// SecurityPolicies `profile-0` .. `profile-4`.
    pub security_policies: Vec<(String, SecurityPolicySpec)>,
}

fn labels(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn selector(key: &str, value: String) -> LabelSelector {
    LabelSelector { match_labels: Some(labels(&[(key, value)])), match_expressions: None }
}

/// Pod number `i` of a cluster of this size (its address is `10.0.0.0 + i`).
pub fn pod(size: &Size, i: usize) -> Pod {
    let namespaces = size.namespaces.max(1);
    let ns = i % namespaces;
    let app = (i / namespaces) % 20;
    Pod {
        namespace: format!("ns-{ns}"),
        name: format!("pod-{i}"),
        labels: labels(&[("app", format!("app-{app}")), ("tier", format!("tier-{}", app % 3))]),
        ip: Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i as u32))),
        node: Some(format!("node-{}", i % size.nodes.max(1))),
        ports: vec![ContainerPort { name: Some("http".into()), port: 8080, protocol: Protocol::Tcp }],
    }
}

/// The cluster.
pub fn cluster(size: &Size) -> Cluster {
    let namespaces = size.namespaces.max(1);
    Cluster {
        namespaces: (0..namespaces)
            .map(|n| Namespace { name: format!("ns-{n}"), labels: labels(&[("team", format!("t{}", n % 10))]) })
            .collect(),
        pods: (0..size.pods).map(|i| pod(size, i)).collect(),
        policies: (0..size.policies).map(|p| policy(p, namespaces)).collect(),
        security_policies: (0..5).map(|i| (format!("profile-{i}"), SecurityPolicySpec::default())).collect(),
    }
}

fn policy(p: usize, namespaces: usize) -> (PolicyKey, L7NetworkPolicySpec) {
    let ns = p % namespaces;
    let app = p / namespaces;
    let peer = |pod: Option<LabelSelector>, ns: Option<LabelSelector>| Peer {
        pod_selector: pod,
        namespace_selector: ns,
        ip_block: None,
    };
    let spec = L7NetworkPolicySpec {
        pod_selector: selector("app", format!("app-{}", app % 20)),
        ingress: Some(vec![IngressRule {
            from: Some(vec![
                peer(Some(selector("app", format!("app-{}", (app + 1) % 20))), None),
                peer(
                    Some(selector("tier", format!("tier-{}", app % 3))),
                    Some(selector("team", format!("t{}", ns % 10))),
                ),
                Peer {
                    ip_block: Some(IpBlock {
                        cidr: "192.168.0.0/16".into(),
                        except: Some(vec!["192.168.1.0/24".into()]),
                    }),
                    ..Peer::default()
                },
            ]),
            ports: Some(vec![
                Port { port: Some(IntOrString::String("http".into())), ..Port::default() },
                Port { port: Some(IntOrString::Int(9000)), end_port: Some(9100), ..Port::default() },
            ]),
        }]),
        egress: p.is_multiple_of(4).then(|| {
            vec![EgressRule {
                to: Some(vec![peer(None, Some(selector("team", format!("t{}", ns % 10))))]),
                ports: Some(vec![Port { port: Some(IntOrString::String("http".into())), ..Port::default() }]),
            }]
        }),
        policy_types: None,
        security_policy_ref: Some(SecurityPolicyRef { name: format!("profile-{}", p % 5) }),
        inspection: None,
    };
    (PolicyKey { namespace: format!("ns-{ns}"), name: format!("policy-{p}") }, spec)
}
