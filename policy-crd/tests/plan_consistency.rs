//! The plan agrees with `query`: a dataplane simulated from `engine.plan()` alone gives the
//! same verdict for every probe, and applying a pod change's `Delta` to the old plan gives
//! the new plan.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::arb::{Cluster, Op, PROBE_PORTS, PROTOCOLS, apply_to_engine, cluster, op};
use ipnet::IpNet;
use policy_crd::flow::{AddressSet, Delta, Engine, Grant, LocalPod, Plan, Probe, Protocol, Verdict};
use proptest::prelude::*;

fn in_set(set: &AddressSet, ip: IpAddr) -> bool {
    let net = |s: &String| s.parse::<IpNet>().unwrap();
    set.addresses.contains(&ip)
        || set.blocks.iter().any(|b| net(&b.cidr).contains(&ip) && !b.except.iter().any(|e| net(e).contains(&ip)))
}

/// One side of a pod: `None` if not isolated; else whether some grant matched, and whether a
/// matched grant is inspected.
fn side(plan: &Plan, grants: Option<&Vec<Grant>>, peer: IpAddr, protocol: Protocol, port: u16) -> (bool, bool) {
    let Some(grants) = grants else { return (true, false) };
    let matched: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.peers.as_ref().is_none_or(|id| in_set(&plan.address_sets[id], peer)))
        .filter(|g| {
            g.ports
                .as_ref()
                .is_none_or(|rs| rs.iter().any(|r| r.protocol == protocol && (r.first..=r.last).contains(&port)))
        })
        .collect();
    (!matched.is_empty(), matched.iter().any(|g| g.inspect.is_some()))
}

fn local<'a>(plan: &'a Plan, pod: &str) -> &'a LocalPod {
    plan.nodes.iter().flat_map(|n| &n.pods).find(|p| p.pod == pod).unwrap_or_else(|| panic!("{pod} not in plan"))
}

fn simulate(plan: &Plan, from: &str, to: &str, protocol: Protocol, port: u16) -> Verdict {
    let (src, dst) = (local(plan, from), local(plan, to));
    let (eg_ok, eg_inspect) = side(plan, src.egress.as_ref(), dst.ip, protocol, port);
    let (in_ok, in_inspect) = side(plan, dst.ingress.as_ref(), src.ip, protocol, port);
    match (eg_ok && in_ok, eg_inspect || in_inspect) {
        (false, _) => Verdict::Deny,
        (true, false) => Verdict::Allow,
        (true, true) => Verdict::Inspect,
    }
}

fn compare(c: &Cluster, engine: &Engine) -> Result<(), TestCaseError> {
    let plan = engine.plan();
    for src in &c.pods {
        for dst in &c.pods {
            for protocol in PROTOCOLS {
                for port in PROBE_PORTS {
                    let probe = Probe { from: src.key(), to: dst.key(), protocol, port };
                    let want = engine.query(&probe).unwrap().verdict;
                    let got = simulate(&plan, &src.key().to_string(), &dst.key().to_string(), protocol, port);
                    prop_assert_eq!(got, want, "{:?}\n{}", probe, serde_json::to_string_pretty(&plan).unwrap());
                }
            }
        }
    }
    Ok(())
}

/// Every pod entry of a plan, by `(node, pod)`.
fn entries(plan: &Plan) -> BTreeMap<(String, String), &LocalPod> {
    plan.nodes.iter().flat_map(|n| n.pods.iter().map(|p| ((n.node.clone(), p.pod.clone()), p))).collect()
}

/// The old plan plus `delta` equals the new plan: sets both plans reference get exactly the
/// delta's changes, and every pod entry that changed (the changed pod's, and others') is in
/// the delta with its new value.
fn check_delta(old: &Plan, delta: &Delta, new: &Plan) -> Result<(), TestCaseError> {
    for (id, before) in &old.address_sets {
        let Some(after) = new.address_sets.get(id) else { continue };
        let mut applied = before.addresses.clone();
        if let Some(change) = delta.sets.get(id) {
            applied.retain(|ip| !change.remove.contains(ip));
            applied.extend(&change.add);
        }
        prop_assert_eq!(&applied, &after.addresses, "set {} with {:?}", id, delta.sets.get(id));
        prop_assert_eq!(&before.blocks, &after.blocks);
    }
    let mut patched: BTreeMap<(String, String), LocalPod> =
        entries(old).into_iter().map(|(k, v)| (k, v.clone())).collect();
    for (node, pods) in &delta.pods {
        for (pod, entry) in pods {
            let k = (node.clone(), pod.clone());
            match entry {
                Some(e) => patched.insert(k, e.clone()),
                None => patched.remove(&k),
            };
        }
    }
    let new: BTreeMap<(String, String), LocalPod> = entries(new).into_iter().map(|(k, v)| (k, v.clone())).collect();
    prop_assert_eq!(patched, new);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn plan_agrees_with_query(c in cluster(true)) {
        compare(&c, &c.engine())?;
    }

    #[test]
    fn plan_agrees_with_query_after_updates(mut c in cluster(true), ops in proptest::collection::vec(op(true), 1..=5)) {
        let mut engine = c.engine();
        for op in &ops {
            c.apply(op);
            apply_to_engine(&mut engine, op);
            compare(&c, &engine)?;
        }
    }

    #[test]
    fn pod_deltas_turn_the_old_plan_into_the_new(c in cluster(true), ops in proptest::collection::vec(op(true), 1..=5)) {
        let mut engine = c.engine();
        for op in &ops {
            let old = engine.plan();
            let delta = match op {
                Op::UpsertPod(p) => engine.upsert_pod(p.clone()),
                Op::RemovePod(k) => engine.remove_pod(k),
                other => { apply_to_engine(&mut engine, other); continue; }
            };
            check_delta(&old, &delta, &engine.plan())?;
        }
    }
}
