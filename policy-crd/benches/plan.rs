//! Plan benchmark: 10,000 pods, 100 namespaces, 1,000 policies.
//!
//! `cargo bench -p policy-crd --bench plan [-- --pods N --namespaces N --policies N]`.
//! Prints the full-plan time, the re-plan time after one pod label change, the plan size
//! and the process's peak RSS. Figures, not assertions: targets are 1 s and 10 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use policy_crd::flow::*;
use policy_crd::synthetic::{Cluster, Size, cluster};

fn main() {
    let size = parse_args();
    println!(
        "plan benchmark: {} pods, {} namespaces, {} policies (one thread)",
        size.pods, size.namespaces, size.policies
    );
    let Cluster { namespaces, pods, policies, security_policies: secpols } = cluster(&size);

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
    let mut size = Size { pods: 10_000, namespaces: 100, policies: 1_000, nodes: 50 };
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

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
