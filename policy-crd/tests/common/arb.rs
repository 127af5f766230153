//! Random small clusters and changes to them, for the property tests.

use std::net::IpAddr;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use policy_crd::api::{
    EgressRule, IngressRule, Inspection, InspectionMode, IpBlock, L7NetworkPolicySpec, LabelSelector,
    LabelSelectorRequirement, Peer, Port, SecurityPolicyRef, SecurityPolicySpec,
};
use policy_crd::flow::{ContainerPort, Engine, Labels, NAMESPACE_NAME_LABEL, Namespace, Pod, PodKey, Protocol};
use proptest::collection::{btree_map, vec};
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;

pub const NS_NAMES: [&str; 3] = ["n0", "n1", "n2"];
pub const SP_NAMES: [&str; 3] = ["sp1", "sp2", "missing"];
pub const PROBE_PORTS: [u16; 4] = [53, 80, 81, 8080];
pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// A whole cluster as plain objects; `engine()` builds a fresh engine from it.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub namespaces: Vec<Namespace>,
    pub pods: Vec<Pod>,
    pub policies: Vec<(PodKey, L7NetworkPolicySpec)>,
    pub security_policies: Vec<String>,
}

/// One change, applied both to a `Cluster` and (incrementally) to an `Engine`.
#[derive(Clone, Debug)]
pub enum Op {
    UpsertPod(Pod),
    RemovePod(PodKey),
    UpsertPolicy(PodKey, L7NetworkPolicySpec),
    RemovePolicy(PodKey),
    UpsertNamespace(Namespace),
    UpsertSecurityPolicy(String),
    RemoveSecurityPolicy(String),
}

impl Cluster {
    pub fn engine(&self) -> Engine {
        Engine::new(
            self.namespaces.clone(),
            self.pods.clone(),
            self.policies.clone(),
            self.security_policies.iter().map(|n| (n.clone(), SecurityPolicySpec::default())),
        )
    }

    pub fn apply(&mut self, op: &Op) {
        fn put<K: PartialEq, V>(list: &mut Vec<V>, key: &K, k: impl Fn(&V) -> K, v: V) {
            list.retain(|x| k(x) != *key);
            list.push(v);
        }
        match op.clone() {
            Op::UpsertPod(p) => put(&mut self.pods, &p.key(), Pod::key, p),
            Op::RemovePod(k) => self.pods.retain(|p| p.key() != k),
            Op::UpsertPolicy(k, s) => put(&mut self.policies, &k.clone(), |(k, _)| k.clone(), (k, s)),
            Op::RemovePolicy(k) => self.policies.retain(|(x, _)| *x != k),
            Op::UpsertNamespace(n) => put(&mut self.namespaces, &n.name.clone(), |n| n.name.clone(), n),
            Op::UpsertSecurityPolicy(n) => put(&mut self.security_policies, &n.clone(), Clone::clone, n),
            Op::RemoveSecurityPolicy(n) => self.security_policies.retain(|x| *x != n),
        }
    }

    /// The namespace's labels as selectors see them (with the name label).
    pub fn namespace_labels(&self, name: &str) -> Labels {
        let mut labels = self.namespaces.iter().find(|n| n.name == name).map(|n| n.labels.clone()).unwrap_or_default();
        labels.insert(NAMESPACE_NAME_LABEL.into(), name.into());
        labels
    }
}

pub fn apply_to_engine(engine: &mut Engine, op: &Op) {
    match op.clone() {
        Op::UpsertPod(p) => drop(engine.upsert_pod(p)),
        Op::RemovePod(k) => drop(engine.remove_pod(&k)),
        Op::UpsertPolicy(k, s) => engine.upsert_policy(k, s),
        Op::RemovePolicy(k) => engine.remove_policy(&k),
        Op::UpsertNamespace(n) => engine.upsert_namespace(n),
        Op::UpsertSecurityPolicy(n) => engine.upsert_security_policy(n, SecurityPolicySpec::default()),
        Op::RemoveSecurityPolicy(n) => engine.remove_security_policy(&n),
    }
}

fn strs(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(items).prop_map(str::to_owned)
}

fn label_map() -> impl Strategy<Value = Labels> {
    btree_map(strs(&["k1", "k2"]), strs(&["v1", "v2"]), 0..=2)
}

fn requirement() -> impl Strategy<Value = LabelSelectorRequirement> {
    let values = |n| vec(strs(&["v1", "v2", "n0", "n1"]), n).prop_map(Some);
    let shape = prop_oneof![
        4 => values(1..=2).prop_map(|v| ("In", v)),
        4 => values(1..=2).prop_map(|v| ("NotIn", v)),
        3 => Just(("Exists", None)),
        3 => Just(("DoesNotExist", None)),
        1 => Just(("NotIn", Some(vec![]))),
        1 => values(1..=1).prop_map(|v| ("Exists", v)),
        1 => Just(("Bogus", None)),
    ];
    (strs(&["k1", "k2", NAMESPACE_NAME_LABEL]), shape).prop_map(|(key, (op, values))| LabelSelectorRequirement {
        key,
        operator: op.into(),
        values,
    })
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    let labels = btree_map(strs(&["k1", "k2", NAMESPACE_NAME_LABEL]), strs(&["v1", "v2", "n0", "n1"]), 0..=2);
    (weighted(0.5, labels), weighted(0.4, vec(requirement(), 0..=2)))
        .prop_map(|(match_labels, match_expressions)| LabelSelector { match_labels, match_expressions })
}

fn ip_block() -> impl Strategy<Value = IpBlock> {
    let cidr = strs(&["10.0.0.0/24", "10.0.0.0/29", "10.0.0.4/30", "10.0.0.3/32", "0.0.0.0/0", "192.168.0.0/16"]);
    let except = vec(strs(&["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "192.168.1.0/24"]), 0..=2);
    (cidr, weighted(0.6, except)).prop_map(|(cidr, except)| IpBlock { cidr, except })
}

fn peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        6 => (weighted(0.7, selector()), weighted(0.6, selector()))
            .prop_filter("a pod peer", |(p, n)| p.is_some() || n.is_some())
            .prop_map(|(pod_selector, namespace_selector)| Peer { pod_selector, namespace_selector, ip_block: None }),
        3 => ip_block().prop_map(|b| Peer { ip_block: Some(b), ..Peer::default() }),
        1 => (selector(), ip_block()).prop_map(|(s, b)| Peer { pod_selector: Some(s), namespace_selector: None, ip_block: Some(b) }),
        1 => Just(Peer::default()),
    ]
}

fn port() -> impl Strategy<Value = Port> {
    let protocol = prop_oneof![4 => Just(None), 2 => Just(Some("TCP")), 2 => Just(Some("UDP")), 1 => Just(Some("SCTP")), 1 => Just(Some("ICMP"))];
    let number = prop_oneof![
        2 => Just(None),
        6 => select(&[53, 80, 81, 8080][..]).prop_map(|n| Some(IntOrString::Int(n))),
        3 => strs(&["http", "dns", "nope"]).prop_map(|n| Some(IntOrString::String(n))),
        1 => Just(Some(IntOrString::String("Bad_Name".into()))),
    ];
    let end = prop_oneof![6 => Just(None), 2 => select(&[79, 81, 8080][..]).prop_map(Some)];
    (protocol, number, end).prop_map(|(protocol, port, end_port)| Port {
        protocol: protocol.map(Into::into),
        port,
        end_port,
    })
}

fn list<T: std::fmt::Debug + Clone>(item: impl Strategy<Value = T>) -> impl Strategy<Value = Option<Vec<T>>> {
    prop_oneof![2 => Just(None), 1 => Just(Some(Vec::new())), 4 => vec(item, 1..=2).prop_map(Some)]
}

pub fn policy_spec() -> impl Strategy<Value = L7NetworkPolicySpec> {
    let types = prop_oneof![
        4 => Just(None),
        1 => Just(Some(vec![])),
        2 => Just(Some(vec!["Ingress"])),
        2 => Just(Some(vec!["Egress"])),
        2 => Just(Some(vec!["Ingress", "Egress"])),
        1 => Just(Some(vec!["Bogus"])),
    ];
    let ingress = list((list(peer()), list(port())).prop_map(|(from, ports)| IngressRule { from, ports }));
    let egress = list((list(peer()), list(port())).prop_map(|(to, ports)| EgressRule { to, ports }));
    let sp = prop_oneof![3 => Just(None), 2 => strs(&SP_NAMES).prop_map(Some)];
    let mode = weighted(0.3, select(&[InspectionMode::Sidecar, InspectionMode::Chain][..]));
    (selector(), types, ingress, egress, sp, mode).prop_map(|(pod_selector, types, ingress, egress, sp, mode)| {
        L7NetworkPolicySpec {
            pod_selector,
            policy_types: types.map(|t| t.into_iter().map(Into::into).collect()),
            ingress,
            egress,
            security_policy_ref: sp.map(|name| SecurityPolicyRef { name }),
            inspection: mode.map(|mode| Inspection { mode }),
        }
    })
}

fn container_port() -> impl Strategy<Value = ContainerPort> {
    let name = prop_oneof![Just(None), strs(&["http", "dns"]).prop_map(Some)];
    let protocol = select(&[Protocol::Tcp, Protocol::Udp][..]);
    (name, select(&[53, 80, 81, 8080][..]), protocol).prop_map(|(name, port, protocol)| ContainerPort {
        name,
        port,
        protocol,
    })
}

/// Pod `p<i>` in a random namespace `n<k>`, with the unique IP `10.0.0.<8k+i+1>`. Without `placed`, the IP and
/// node may be missing.
pub fn pod(i: usize, namespaces: usize, placed: bool) -> impl Strategy<Value = Pod> {
    let has_ip = if placed { Just(true).boxed() } else { any::<u8>().prop_map(|b| b % 5 != 0).boxed() };
    (0..namespaces, label_map(), vec(container_port(), 0..=3), has_ip, 0..2u8).prop_map(
        move |(ns, labels, ports, has_ip, node)| Pod {
            namespace: NS_NAMES[ns].into(),
            name: format!("p{i}"),
            labels,
            ip: has_ip.then(|| IpAddr::from([10, 0, 0, (8 * ns + i + 1) as u8])),
            node: has_ip.then(|| format!("node{node}")),
            ports,
        },
    )
}

fn namespace(i: usize) -> impl Strategy<Value = Namespace> {
    label_map().prop_map(move |labels| Namespace { name: NS_NAMES[i].into(), labels })
}

pub fn cluster(placed: bool) -> impl Strategy<Value = Cluster> {
    (2..=3usize, 2..=6usize, 1..=5usize).prop_flat_map(move |(n, p, k)| {
        let namespaces: Vec<_> = (0..n).map(namespace).collect();
        let pods: Vec<_> = (0..p).map(|i| pod(i, n, placed)).collect();
        let policies = vec((0..n, policy_spec()), k..=k);
        let sps = vec(any::<bool>(), 2)
            .prop_map(|b| ["sp1", "sp2"].iter().zip(b).filter(|x| x.1).map(|x| x.0.to_string()).collect());
        (namespaces, pods, policies, sps).prop_map(|(namespaces, pods, policies, security_policies)| Cluster {
            namespaces,
            pods,
            policies: policies
                .into_iter()
                .enumerate()
                .map(|(i, (ns, s))| (PodKey { namespace: NS_NAMES[ns].into(), name: format!("np{i}") }, s))
                .collect(),
            security_policies,
        })
    })
}

/// A random change to a cluster with 3 namespaces at most, pods `p0..p6`, policies `np0..np5`.
pub fn op(placed: bool) -> impl Strategy<Value = Op> {
    let pod_key =
        (0..2usize, 0..7usize).prop_map(|(ns, i)| PodKey { namespace: NS_NAMES[ns].into(), name: format!("p{i}") });
    let policy_key =
        (0..2usize, 0..6usize).prop_map(|(ns, i)| PodKey { namespace: NS_NAMES[ns].into(), name: format!("np{i}") });
    prop_oneof![
        4 => (0..7usize).prop_flat_map(move |i| pod(i, 2, placed)).prop_map(Op::UpsertPod),
        2 => pod_key.prop_map(Op::RemovePod),
        3 => (policy_key.clone(), policy_spec()).prop_map(|(k, s)| Op::UpsertPolicy(k, s)),
        2 => policy_key.prop_map(Op::RemovePolicy),
        2 => (0..2usize).prop_flat_map(namespace).prop_map(Op::UpsertNamespace),
        1 => strs(&SP_NAMES).prop_map(Op::UpsertSecurityPolicy),
        1 => strs(&SP_NAMES).prop_map(Op::RemoveSecurityPolicy),
    ]
}
