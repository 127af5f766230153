//! `redirector local`'s reconcile against an in-memory dataplane: the first run defines the
//! tables, an unchanged plan applies nothing, element drift is restored by element updates,
//! rule drift by a table replace, and the kernel's JSON is read back as elements.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use redirector::nft::config::{ChainConfig, Config, Families, Health, Placements};
use redirector::nft::diff::Transaction;
use redirector::nft::element::Element;
use redirector::nft::model::{Family, Ruleset};
use redirector::nft::{inspector, node};

use super::dataplane::{Dataplane, Netns};
use super::health::Healths;
use super::observe::{self, FINGERPRINT, Kernel, Observed};
use super::{Outcome, Target, reconcile};

/// The kernel as data: `apply` leaves exactly the ruleset the transaction leads to, and
/// refuses an element update that deletes an element the set does not hold, as the kernel does.
#[derive(Debug, Default)]
struct Fake {
    kernels: BTreeMap<Netns, Kernel>,
    applied: Vec<String>,
    routes: BTreeMap<Netns, Vec<String>>,
    reads: usize,
}

fn observed(ruleset: &Ruleset) -> Kernel {
    let mut kernel = Kernel::new();
    for table in &ruleset.tables {
        let seen = Observed {
            fingerprint: table.sets.iter().find(|s| s.name == FINGERPRINT).map(|s| s.comment.clone()),
            chains: table.chains.iter().map(|c| (c.name.clone(), c.rules.len())).collect(),
            sets: table.sets.iter().map(|s| (s.name.clone(), Some(s.elements.clone()))).collect(),
            counters: BTreeMap::new(),
        };
        kernel.insert(table.family, seen);
    }
    kernel
}

impl Dataplane for Fake {
    fn read(&mut self, ns: &Netns) -> Result<Kernel> {
        self.reads += 1;
        Ok(self.kernels.get(ns).cloned().unwrap_or_default())
    }
    fn apply(&mut self, ns: &Netns, transaction: &Transaction, after: &Ruleset) -> Result<()> {
        let kernel = self.kernels.get(ns);
        for change in transaction.sets.iter().filter(|_| transaction.elements_only()) {
            let held = kernel.and_then(|k| k.get(&change.family)).and_then(|t| t.sets.get(&change.set)).cloned();
            let held = held.flatten().unwrap_or_default();
            if let Some(missing) = change.delete.iter().find(|e| !held.contains(e)) {
                anyhow::bail!("refused: {} holds no {}", change.set, missing.to_nft());
            }
        }
        self.applied.push(transaction.text.clone());
        if !transaction.elements_only() {
            self.kernels.insert(ns.clone(), observed(after));
            return Ok(());
        }
        let kernel = self.kernels.entry(ns.clone()).or_default();
        for change in &transaction.sets {
            let table = kernel.entry(change.family).or_default();
            let set = table.sets.entry(change.set.clone()).or_insert_with(|| Some(Default::default()));
            let set = set.get_or_insert_with(Default::default);
            change.delete.iter().for_each(|e| _ = set.remove(e));
            set.extend(change.add.iter().cloned());
        }
        Ok(())
    }
    fn ensure_routes(&mut self, ns: &Netns, commands: &[String]) -> Result<()> {
        self.routes.insert(ns.clone(), commands.to_vec());
        Ok(())
    }
}

fn chain() -> ChainConfig {
    ChainConfig {
        bridge: "cni0".into(),
        inspector_port: "veth-insp".into(),
        inspector_mac: "02:00:00:00:00:fe".into(),
        inspector_ip: "10.244.1.254".parse().unwrap(),
        steer_mark: 0x10_0000,
        steer_table: 101,
        inspector_port_number: 15001,
        tproxy_mark: 1,
        tproxy_table: 100,
    }
}

fn targets() -> Vec<Target> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples");
    let manifests = crate::load::manifests(&dir).unwrap();
    let modes = manifests.security_policies.iter().map(|(n, s)| (n.clone(), s.failure_mode)).collect();
    let cfg = Config {
        families: Families::V4,
        failure_modes: modes,
        health: Health::Healthy,
        placements: Placements::CHAIN,
        sidecarless: Default::default(),
    };
    let (plan, sets) = manifests.engine().node_plan("node-a");
    vec![
        Target {
            netns: Netns::Named("node".into()),
            role: "node".into(),
            ruleset: node::node(&plan, &sets, &cfg, &chain()),
            routes: inspector::node_routes(&chain()),
        },
        Target {
            netns: Netns::Named("insp".into()),
            role: "inspector".into(),
            ruleset: inspector::inspector(&cfg, &chain()),
            routes: inspector::inspector_routes(&cfg, &chain()),
        },
    ]
}

#[test]
fn first_run_defines_and_second_run_applies_nothing() {
    let mut fake = Fake::default();
    let first = reconcile(&mut fake, &targets()).unwrap();
    assert_eq!(first[0].replaced, ["inet chainwall", "bridge chainwall"]);
    assert_eq!(first[1].replaced, ["inet chainwall"]);
    assert!(fake.applied.iter().all(|t| !t.contains("flush")), "never a flush");
    let second = reconcile(&mut fake, &targets()).unwrap();
    assert_eq!(fake.applied.len(), 2, "second run applied something");
    assert!(second.iter().all(|o| o.to_string().ends_with(": unchanged")), "{second:?}");
}

#[test]
fn element_drift_is_restored_by_element_updates() {
    let mut fake = Fake::default();
    reconcile(&mut fake, &targets()).unwrap();
    let node = Netns::Named("node".into());
    let set = fake.kernels.get_mut(&node).unwrap().get_mut(&Family::Inet).unwrap();
    let pods = set.sets.get_mut("pods.shop/frontend-ingress/ingress").unwrap().as_mut().unwrap();
    pods.clear();
    let out = reconcile(&mut fake, &targets()).unwrap();
    assert!(out[0].replaced.is_empty(), "{out:?}");
    assert_eq!(out[0].element_changes, 1);
    let tx = fake.applied.last().unwrap();
    assert_eq!(tx.trim(), "add element inet chainwall pods.shop/frontend-ingress/ingress { 10.244.1.11 }");
}

#[test]
fn a_deleted_rule_is_drift_and_replaces_the_table_atomically() {
    let mut fake = Fake::default();
    reconcile(&mut fake, &targets()).unwrap();
    let node = Netns::Named("node".into());
    let table = fake.kernels.get_mut(&node).unwrap().get_mut(&Family::Bridge).unwrap();
    *table.chains.get_mut("prerouting").unwrap() -= 1;
    let out = reconcile(&mut fake, &targets()).unwrap();
    assert_eq!(out[0].replaced, ["bridge chainwall"]);
    assert_eq!(out[0].drift.len(), 1, "{out:?}");
    let tx = fake.applied.last().unwrap();
    assert!(tx.starts_with("table bridge chainwall\ndelete table bridge chainwall\ntable bridge chainwall {"), "{tx}");
}

#[test]
fn tables_no_longer_wanted_are_deleted() {
    let mut fake = Fake::default();
    reconcile(&mut fake, &targets()).unwrap();
    let mut only_inet = targets();
    only_inet[0].ruleset.tables.retain(|t| t.family == Family::Inet);
    let out = reconcile(&mut fake, &only_inet).unwrap();
    assert_eq!(out[0].deleted, ["bridge chainwall"]);
    assert_eq!(fake.applied.last().unwrap(), "delete table bridge chainwall\n");
}

#[test]
fn kernel_json_is_read_back_as_elements() {
    let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
      {"table": {"family": "inet", "name": "chainwall", "handle": 1}},
      {"table": {"family": "ip", "name": "other", "handle": 2}},
      {"map": {"family": "inet", "name": "closed_flows", "table": "chainwall", "type": "ether_type", "map": "verdict",
               "elem": [["ip", {"goto": {"target": "steer"}}]]}},
      {"set": {"family": "inet", "name": "a", "table": "chainwall", "type": "ipv4_addr", "flags": ["interval"],
               "elem": [{"prefix": {"addr": "10.0.0.0", "len": 16}}, {"range": ["10.2.0.1", "10.2.0.9"]}, "10.9.9.9"]}},
      {"set": {"family": "inet", "name": "b", "table": "chainwall", "type": ["ipv4_addr", "inet_service"],
               "elem": [{"concat": ["10.0.0.1", 80]}]}},
      {"set": {"family": "inet", "name": "p", "table": "chainwall", "type": "inet_service", "flags": ["interval"],
               "elem": [8080, {"range": [9000, 9100]}]}},
      {"set": {"family": "inet", "name": "fingerprint", "table": "chainwall", "type": "ipv4_addr", "comment": "fp"}},
      {"chain": {"family": "inet", "table": "chainwall", "name": "steer", "handle": 1}},
      {"chain": {"family": "inet", "table": "chainwall", "name": "empty", "handle": 3}},
      {"rule": {"family": "inet", "table": "chainwall", "chain": "steer", "handle": 6, "expr": []}},
      {"rule": {"family": "ip", "table": "other", "chain": "x", "handle": 7, "expr": []}}]}"#;
    let kernel = observe::parse(json).unwrap();
    assert_eq!(kernel.len(), 1, "only Chainwall tables");
    let inet = &kernel[&Family::Inet];
    assert_eq!(inet.fingerprint.as_deref(), Some("fp"));
    assert_eq!(inet.chains, BTreeMap::from([("steer".into(), 1), ("empty".into(), 0)]));
    let ip = |s: &str| s.parse().unwrap();
    let a: Vec<Element> = inet.sets["a"].clone().unwrap().into_iter().collect();
    assert_eq!(
        a,
        [
            Element::Range(ip("10.0.0.0"), ip("10.0.255.255")),
            Element::Range(ip("10.2.0.1"), ip("10.2.0.9")),
            Element::addr(ip("10.9.9.9")),
        ]
    );
    assert_eq!(inet.sets["b"].clone().unwrap().into_iter().next(), Some(Element::Endpoint(ip("10.0.0.1"), 80)));
    let ports: Vec<Element> = inet.sets["p"].clone().unwrap().into_iter().collect();
    assert_eq!(ports, [Element::Ports(8080, 8080), Element::Ports(9000, 9100)]);
    let verdict = inet.sets["closed_flows"].clone().unwrap().into_iter().next();
    assert_eq!(verdict, Some(Element::Verdict("ip", "goto steer".into())));
}

#[test]
fn pods_name_their_netns_by_annotation() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: shop\n  annotations:\n    \
                chainwall.dev/netns: lab-a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n  annotations:\n    \
                chainwall.dev/netns: /proc/42/ns/net\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: c\n";
    let found = super::pods::from_yaml(yaml).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(Netns::parse(&found["shop/a"]), Netns::Named("lab-a".into()));
    assert_eq!(Netns::parse(&found["default/b"]), Netns::Path("/proc/42/ns/net".into()));
}

#[test]
fn readyz_urls_are_checked_and_probed() {
    use super::health::Readyz;
    use std::io::{Read, Write};
    use std::time::Duration;

    assert!(Readyz::parse("https://10.0.0.1:15021/readyz").is_err());
    assert!(Readyz::parse("http://inspector:15021/readyz").is_err(), "no DNS");
    assert!(Readyz::parse("http://10.0.0.1:15021/ready z").is_err());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/readyz", listener.local_addr().unwrap());
    let readyz = Readyz::parse(&url).unwrap();
    assert_eq!(readyz.path, "/readyz");
    let server = std::thread::spawn(move || {
        for status in ["200 OK", "503 Service Unavailable"] {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 512];
            let n = s.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"GET /readyz HTTP/1.1\r\n"));
            write!(s, "HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").unwrap();
        }
    });
    let timeout = Duration::from_secs(2);
    assert_eq!(readyz.probe(timeout), Health::Healthy);
    assert_eq!(readyz.probe(timeout), Health::Down);
    server.join().unwrap();
    assert_eq!(readyz.probe(Duration::from_millis(200)), Health::Down, "nobody listening");
}

/// `local --mode chain` for node-a of the examples, node netns `node`, inspector netns `insp`.
fn chain_args() -> super::LocalArgs {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        local: super::LocalArgs,
    }
    let argv = [
        "r",
        "--manifests",
        "unused",
        "--node",
        "node-a",
        "--mode",
        "chain",
        "--node-netns",
        "node",
        "--inspector-netns",
        "insp",
        "--inspector-veth",
        "veth-insp",
        "--inspector-mac",
        "02:00:00:00:00:fe",
        "--inspector-ip",
        "10.244.1.254",
    ];
    <Cli as clap::Parser>::try_parse_from(argv).unwrap().local
}

/// The examples' plan for node-a, with `extra` (a frontend replica) when given.
fn examples_spec(extra: bool) -> policy_crd::api::RedirectPlanSpec {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples");
    let manifests = crate::load::manifests(&dir).unwrap();
    let modes = manifests.security_policies.iter().map(|(n, s)| (n.clone(), s.failure_mode)).collect();
    let mut engine = manifests.engine();
    if extra {
        let mut pod = manifests.pods.iter().find(|p| p.name.starts_with("frontend")).unwrap().clone();
        pod.name = "frontend-extra".into();
        pod.ip = Some("10.244.1.77".parse().unwrap());
        pod.node = Some("node-a".into());
        engine.upsert_pod(pod);
    }
    redirector::desired::node_spec(&engine, "node-a", &modes, &BTreeMap::new())
}

#[test]
fn a_plan_change_that_moves_a_pod_is_applied_as_elements_without_reading_the_kernel() {
    use super::program::Programmer;
    let args = chain_args();
    let mut p = Programmer::new(Fake::default());
    let first = p.pass(&args, &examples_spec(false), &Healths::chain(Health::Healthy), false).unwrap();
    assert_eq!(first[0].replaced, ["inet chainwall", "bridge chainwall"], "{first:?}");
    let reads = p.dataplane().reads;
    let grown = p.pass(&args, &examples_spec(true), &Healths::chain(Health::Healthy), false).unwrap();
    assert!(grown[0].element_changes > 0 && grown[0].replaced.is_empty(), "{grown:?}");
    assert_eq!(p.dataplane().reads, reads, "nothing was read");
    let text = p.dataplane().applied.last().unwrap().clone();
    assert!(text.lines().all(|l| l.starts_with("add element")) && text.contains("10.244.1.77"), "{text}");
    // A check pass reads the node again and finds it current.
    let checked = p.pass(&args, &examples_spec(true), &Healths::chain(Health::Healthy), true).unwrap();
    assert!(checked.iter().all(Outcome::unchanged), "{checked:?}");
    assert_eq!(p.dataplane().reads, reads + 2);
}

#[test]
fn a_refused_element_batch_falls_back_to_reading_and_diffing() {
    use super::program::Programmer;
    let args = chain_args();
    let mut p = Programmer::new(Fake::default());
    p.pass(&args, &examples_spec(true), &Healths::chain(Health::Healthy), false).unwrap();
    // Someone removed the replica's address behind our back; then the plan drops it: the
    // element batch deleting it is refused, and the pass reads the node and diffs instead.
    let node = Netns::Named("node".into());
    let gone = Element::addr("10.244.1.77".parse().unwrap());
    let inet = p.dataplane().kernels.get_mut(&node).unwrap().get_mut(&Family::Inet).unwrap();
    let held = inet.sets.values_mut().flatten().find(|s| s.contains(&gone)).unwrap();
    held.remove(&gone);
    let reads = p.dataplane().reads;
    let out = p.pass(&args, &examples_spec(false), &Healths::chain(Health::Healthy), false).unwrap();
    assert_eq!(p.dataplane().reads, reads + 1, "the node was read after the refusal");
    assert!(out[0].replaced.is_empty() && out[0].element_changes > 0, "{out:?}");
    let mentions = |k: &Kernel| format!("{k:?}").contains("10.244.1.77");
    assert!(!mentions(&p.dataplane().kernels[&node]), "the replica is gone from every set");
    // Trusted again: the next change is element-only once more.
    let out = p.pass(&args, &examples_spec(true), &Healths::chain(Health::Healthy), false).unwrap();
    assert_eq!(p.dataplane().reads, reads + 1, "nothing more was read");
    assert!(out[0].element_changes > 0, "{out:?}");
}

#[test]
fn a_health_change_renders_the_node_again() {
    use super::program::Programmer;
    let args = chain_args();
    let mut p = Programmer::new(Fake::default());
    p.pass(&args, &examples_spec(false), &Healths::chain(Health::Healthy), false).unwrap();
    let reads = p.dataplane().reads;
    let down = p.pass(&args, &examples_spec(false), &Healths::chain(Health::Down), false).unwrap();
    assert_eq!(p.dataplane().reads, reads + 1, "a new configuration reads the node again");
    assert!(down[0].element_changes > 0, "the health maps switch: {down:?}");
}

#[test]
fn a_plan_that_keeps_changing_is_still_checked_against_the_kernel() {
    use super::program::{CHECK_EVERY, Programmer};
    let args = chain_args();
    let mut p = Programmer::new(Fake::default());
    p.pass(&args, &examples_spec(false), &Healths::chain(Health::Healthy), true).unwrap();
    let reads = p.dataplane().reads;
    for n in 1..CHECK_EVERY {
        p.pass(&args, &examples_spec(n % 2 == 1), &Healths::chain(Health::Healthy), false).unwrap();
    }
    assert_eq!(p.dataplane().reads, reads, "changed plans are applied without reads");
    p.pass(&args, &examples_spec(false), &Healths::chain(Health::Healthy), false).unwrap();
    assert_eq!(p.dataplane().reads, reads + 2, "the tenth pass reads the node and the inspector");
}
