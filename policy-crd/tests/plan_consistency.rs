//! The plan agrees with `query`: a dataplane simulated from `engine.plan()` alone gives the
//! same verdict for every probe, and applying a pod change's `Delta` to the old plan gives
//! the new plan.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::arb::{Cluster, Op, PROBE_PORTS, PROTOCOLS, apply_to_engine, cluster, op};
use policy_crd::flow::{Delta, Engine, Grant, LocalPod, Plan, Probe, Protocol, Verdict};
use proptest::prelude::*;

/// One side of a pod: `None` if not isolated; else whether some grant matched, and whether a
/// matched grant is inspected.
fn side(plan: &Plan, grants: Option<&Vec<Grant>>, peer: IpAddr, protocol: Protocol, port: u16) -> (bool, bool) {
    let Some(grants) = grants else { return (true, false) };
    let matched: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.peers.as_ref().is_none_or(|id| plan.address_sets[id].contains(peer, port)))
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
    // Egress peers are destinations: an endpoint set matches (destination, port) together.
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

/// The old plan plus `delta` equals the new plan: every set the new plan has is either sent
/// whole (`referenced_sets`) or is the old set with the delta's element changes; and the
/// changed pod's entry is replaced.
fn check_delta(old: &Plan, delta: &Delta, new: &Plan) -> Result<(), TestCaseError> {
    for (id, after) in &new.address_sets {
        if let Some(whole) = delta.referenced_sets.get(id) {
            prop_assert_eq!(whole, after, "set {} sent whole", id);
            continue;
        }
        let Some(before) = old.address_sets.get(id) else {
            // Referenced only by pods the change did not touch: impossible unless it was new.
            return Err(TestCaseError::fail(format!("set {id} is new but not in the delta")));
        };
        let mut applied = before.clone();
        if let Some(change) = delta.sets.get(id) {
            applied.addresses.retain(|ip| !change.remove.contains(ip));
            applied.addresses.extend(&change.add);
            applied.endpoints.retain(|e| !change.remove_endpoints.contains(e));
            applied.endpoints.extend(&change.add_endpoints);
        }
        prop_assert_eq!(&applied, after, "set {} with {:?}", id, delta.sets.get(id));
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

#[test]
fn a_node_plan_lists_its_pods_by_name() {
    // As names, `a-b/x` < `a/x` ('-' < '/'); as (namespace, name) pairs, `a` < `a-b`. The
    // redirector's delta walks both plans in name order.
    let spaces = ["ab", "a", "a-b"];
    let pods = spaces.iter().enumerate().map(|(i, ns)| policy_crd::flow::Pod {
        node: Some("n".into()),
        ip: Some(IpAddr::from([10, 9, 0, i as u8 + 1])),
        ..common::pod(ns, "x")
    });
    let none: [(policy_crd::flow::PolicyKey, policy_crd::api::L7NetworkPolicySpec); 0] = [];
    let engine = Engine::new(spaces.map(common::namespace), pods, none, []);
    let (plan, _) = engine.node_plan("n");
    let names: Vec<&str> = plan.pods.iter().map(|p| p.pod.as_str()).collect();
    assert_eq!(names, ["a-b/x", "a/x", "ab/x"]);
}
