//! Plan benchmark: 10,000 pods, 100 namespaces, 1,000 policies.
//!
//! `cargo bench -p policy-crd --bench plan [-- --pods N --namespaces N --policies N]`.
//! Prints the full-plan time, the re-plan time after one pod label change, the plan size
//! and the process's peak RSS. Figures, not assertions: targets are 1 s and 10 ms.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use policy_crd::api::*;
use policy_crd::flow::*;

struct Size {
    pods: usize,
    namespaces: usize,
    policies: usize,
}

fn main() {
    let size = parse_args();
    println!(
        "plan benchmark: {} pods, {} namespaces, {} policies (one thread)",
        size.pods, size.namespaces, size.policies
    );
    let (namespaces, pods, policies, secpols) = cluster(&size);

    let start = Instant::now();
    let mut engine = Engine::new(namespaces, pods.clone(), policies, secpols);
    let built = start.elapsed();
    let start = Instant::now();
    let plan = black_box(engine.plan());
    let planned = start.elapsed();
    let grants: usize = plan.nodes.iter().flat_map(|n| &n.pods).map(|p| count(&p.ingress) + count(&p.egress)).sum();
    let elements: usize = plan.address_sets.values().map(|s| s.addresses.len() + s.endpoints.len()).sum();
    println!(
        "full plan:       {:>9.1} ms  (index {:.1} ms + render {:.1} ms; target <= 1000 ms)",
        ms(built + planned),
        ms(built),
        ms(planned)
    );
    println!(
        "plan size:       {} nodes, {} grants, {} address sets, {} set elements ({:.4}% of pods^2)",
        plan.nodes.len(),
        grants,
        plan.address_sets.len(),
        elements,
        100.0 * elements as f64 / (size.pods as f64 * size.pods as f64)
    );

    let mut times = Vec::new();
    for i in 0..200 {
        let mut pod = pods[(i * 7919) % pods.len()].clone();
        pod.labels.insert("app".into(), format!("app-{}", (i * 13) % 23));
        pod.labels.insert("rev".into(), format!("r{i}"));
        let start = Instant::now();
        let delta = black_box(engine.upsert_pod(pod));
        times.push(start.elapsed());
        black_box(delta.sets.len());
    }
    times.sort();
    println!(
        "label change:    median {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} changes (target <= 10 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100]),
        ms(times[times.len() - 1]),
        times.len()
    );

    let start = Instant::now();
    let mut decided = 0usize;
    for i in 0..100_000usize {
        let probe = Probe {
            from: pods[(i * 31) % pods.len()].key(),
            to: pods[(i * 17 + 5) % pods.len()].key(),
            protocol: Protocol::Tcp,
            port: [80, 443, 8080, 6379][i % 4],
        };
        decided += usize::from(engine.query(&probe).is_ok_and(|d| d.verdict != Verdict::Deny));
    }
    let elapsed = start.elapsed();
    println!("queries:         {:.0} probes/s ({decided} of 100000 allowed)", 100_000.0 / elapsed.as_secs_f64());
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS:        {rss:.0} MiB");
    }
}

fn count(side: &Option<Vec<Grant>>) -> usize {
    side.as_ref().map_or(0, Vec::len)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn parse_args() -> Size {
    let mut size = Size { pods: 10_000, namespaces: 100, policies: 1_000 };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        let value = pair[1].parse().ok();
        match (pair[0].as_str(), value) {
            ("--pods", Some(v)) => size.pods = v,
            ("--namespaces", Some(v)) => size.namespaces = v,
            ("--policies", Some(v)) => size.policies = v,
            _ => {}
        }
    }
    size
}

type Cluster = (Vec<Namespace>, Vec<Pod>, Vec<(PolicyKey, L7NetworkPolicySpec)>, Vec<(String, SecurityPolicySpec)>);

/// A synthetic cluster: each namespace runs ~20 apps as small deployments; each policy picks
/// an app and admits a few apps from its namespace, a team of namespaces, and an ipBlock.
fn cluster(size: &Size) -> Cluster {
    let labels =
        |pairs: &[(&str, String)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>();
    let namespaces = (0..size.namespaces)
        .map(|n| Namespace { name: format!("ns-{n}"), labels: labels(&[("team", format!("t{}", n % 10))]) })
        .collect();
    let pods = (0..size.pods)
        .map(|i| {
            let ns = i % size.namespaces;
            let app = (i / size.namespaces) % 20;
            Pod {
                namespace: format!("ns-{ns}"),
                name: format!("pod-{i}"),
                labels: labels(&[("app", format!("app-{app}")), ("tier", format!("tier-{}", app % 3))]),
                ip: Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i as u32))),
                node: Some(format!("node-{}", i % 50)),
                ports: vec![ContainerPort { name: Some("http".into()), port: 8080, protocol: Protocol::Tcp }],
            }
        })
        .collect();
    let selector =
        |k: &str, v: String| LabelSelector { match_labels: Some(labels(&[(k, v)])), match_expressions: None };
    let policies = (0..size.policies)
        .map(|p| {
            let ns = p % size.namespaces;
            let app = p / size.namespaces;
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
                egress: (p % 4 == 0).then(|| {
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
        })
        .collect();
    let secpols = (0..5).map(|i| (format!("profile-{i}"), SecurityPolicySpec::default())).collect();
    (namespaces, pods, policies, secpols)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
