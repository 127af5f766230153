//! The kernel accepts what we render: every ruleset passes `nft -c -f` in a throwaway network
//! namespace, and the transactions of the diff tests apply on top of the ruleset they start
//! from. Needs root and `nft`; otherwise the tests say loudly what is missing and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use nft_support::nft::config::Health;
use nft_support::nft::delta::NodeState;
use nft_support::nft::diff::diff;
use nft_support::nft::{inspector, node, sidecar};
use nft_support::{chain_config, config, examples, sidecar_config};
use policy_crd::flow::NodePlan;

/// A network namespace deleted when dropped, also when the test panics.
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("cw-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        run(Command::new("ip").args(["netns", "add", &name]));
        Netns(name)
    }

    /// `nft [-c] -f <text>` inside the namespace; panics with nft's message on failure.
    fn nft(&self, check: bool, what: &str, text: &str) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.0, "nft"]);
        if check {
            cmd.arg("-c");
        }
        let out = cmd.arg("-f").arg(file.path()).output().unwrap();
        assert!(
            out.status.success(),
            "nft rejected {what}:\n{}\n--- file ---\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `nft <args>` inside the namespace, its stdout.
    fn list(&self, args: &[&str]) -> String {
        let out = Command::new("ip").args(["netns", "exec", &self.0, "nft"]).args(args).output().unwrap();
        assert!(out.status.success(), "nft {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Whether the kernel can be asked; if not, a SKIP line on the real stderr (not captured).
fn kernel_available(test: &str) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let nft = Command::new("nft").arg("--version").output().is_ok_and(|o| o.status.success());
    let ip = Command::new("ip").arg("-V").output().is_ok_and(|o| o.status.success());
    let missing: Vec<&str> =
        [(!root, "root"), (!nft, "nft (apt-get install nftables)"), (!ip, "ip (apt-get install iproute2)")]
            .into_iter()
            .filter_map(|(m, what)| m.then_some(what))
            .collect();
    if missing.is_empty() {
        return true;
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIP {test}: rulesets NOT checked by the kernel: missing {} ***\n",
        missing.join(", ")
    );
    false
}

#[test]
fn every_rendered_ruleset_loads() {
    if !kernel_available("every_rendered_ruleset_loads") {
        return;
    }
    let manifests = examples();
    let engine = manifests.engine();
    for health in [Health::Healthy, Health::Down] {
        let cfg = config(&manifests, health);
        for name in ["node-a", "node-b"] {
            let (plan, sets) = engine.node_plan(name);
            Netns::new().nft(true, name, &node::node(&plan, &sets, &cfg, &chain_config()).to_nft());
            for pod in &plan.pods {
                Netns::new().nft(true, &pod.pod, &sidecar::sidecar(pod, &sets, &cfg, &sidecar_config()).to_nft());
            }
        }
        Netns::new().nft(true, "inspector", &inspector::inspector(&cfg, &chain_config()).to_nft());
    }
}

#[test]
fn golden_files_load() {
    if !kernel_available("golden_files_load") {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".nft") && !name.starts_with("diff-") {
            Netns::new().nft(true, &name, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn transactions_apply_on_the_ruleset_they_start_from() {
    if !kernel_available("transactions_apply_on_the_ruleset_they_start_from") {
        return;
    }
    let manifests = examples();
    let mut engine = manifests.engine();
    let healthy = config(&manifests, Health::Healthy);
    let (plan, sets) = engine.node_plan("node-a");
    let state = NodeState { plan, sets };
    let base = node::node(&state.plan, &state.sets, &healthy, &chain_config());
    let netns = Netns::new();
    netns.nft(false, "base", &diff(&Default::default(), &base).text);

    // A pod joins: element updates only.
    let mut pod = manifests
        .pods
        .iter()
        .find(|p| p.name.starts_with("frontend") && p.node.as_deref() == Some("node-a"))
        .unwrap()
        .clone();
    pod.name = "frontend-new".into();
    pod.ip = Some("10.244.1.14".parse().unwrap());
    let next = state.apply(&engine.upsert_pod(pod));
    let grown = node::node(&next.plan, &next.sets, &healthy, &chain_config());
    let tx = diff(&base, &grown);
    netns.nft(true, "add-pod (check)", &tx.text);
    netns.nft(false, "add-pod", &tx.text);
    let listed = netns.list(&["list", "set", "inet", "chainwall", "pods.shop/frontend-ingress/ingress"]);
    assert!(listed.contains("10.244.1.14"), "{listed}");

    // The inspector goes down: the health maps switch, in place.
    let down = node::node(&next.plan, &next.sets, &config(&manifests, Health::Down), &chain_config());
    netns.nft(false, "health-down", &diff(&grown, &down).text);
    let listed = netns.list(&["list", "map", "bridge", "chainwall", "open_flows"]);
    assert!(listed.contains("goto bypass"), "{listed}");

    // A structural change replaces the whole table in one transaction.
    let replaced =
        node::node(&NodePlan { node: "node-a".into(), pods: vec![] }, &Default::default(), &healthy, &chain_config());
    netns.nft(false, "replace", &diff(&down, &replaced).text);
    let listed = netns.list(&["list", "table", "inet", "chainwall"]);
    assert!(!listed.contains("pods.shop"), "{listed}");
}

#[test]
fn synthetic_cluster_shares_sets_and_updates_by_elements() {
    if !kernel_available("synthetic_cluster_shares_sets_and_updates_by_elements") {
        return;
    }
    use policy_crd::synthetic::{self, Size};
    let size = Size { pods: 200, namespaces: 2, policies: 20, nodes: 1 };
    let c = synthetic::cluster(&size);
    let mut engine = policy_crd::flow::Engine::new(c.namespaces, c.pods, c.policies, c.security_policies);
    let (plan, sets) = engine.node_plan("node-0");
    let cfg = nft_support::nft::config::Config {
        families: nft_support::nft::config::Families::V4,
        failure_modes: Default::default(),
        health: Health::Healthy,
        placements: nft_support::nft::config::Placements::CHAIN,
        sidecarless: Default::default(),
    };
    let state = NodeState { plan, sets };
    let base = node::node(&state.plan, &state.sets, &cfg, &chain_config());
    let inet = &base.tables[0];
    let peer_sets = inet.sets.iter().filter(|s| s.name.starts_with("peers.")).count();
    assert!(peer_sets < state.sets.len(), "{peer_sets} nft peer sets for {} plan sets", state.sets.len());
    let pods_and_peers = inet.sets.iter().filter(|s| s.name.starts_with("peers.") || s.name.starts_with("pods."));
    assert!(pods_and_peers.clone().all(|s| !s.interval), "pod addresses in plain sets");
    assert!(inet.sets.iter().any(|s| s.name.starts_with("ports.") && s.interval), "8080 and 9000-9100 as a set");
    let netns = Netns::new();
    netns.nft(false, "synthetic base", &diff(&Default::default(), &base).text);

    let pod = synthetic::pod(&size, size.pods);
    let next = state.apply(&engine.upsert_pod(pod.clone()));
    let grown = node::node(&next.plan, &next.sets, &cfg, &chain_config());
    let tx = diff(&base, &grown);
    assert!(tx.replaced.is_empty() && tx.element_changes > 0, "{tx:?}");
    netns.nft(false, "synthetic add-pod", &tx.text);
    let ip = pod.ip.unwrap().to_string();
    let listed = netns.list(&["list", "table", "inet", "chainwall"]);
    assert!(listed.contains(&ip), "{listed}");
}

/// A table with one plain set of every key type the netlink writer handles.
const KEYS_TABLE: &str = "table inet cwkeys {
	set v4 { type ipv4_addr; elements = { 10.0.0.1 } }
	set v6 { type ipv6_addr; }
	set ep4 { type ipv4_addr . inet_service; elements = { 10.0.0.1 . 80 } }
	set ep6 { type ipv6_addr . inet_service; }
	set ports { type inet_service; }
}
";

fn keys_changes() -> Vec<nft_support::nft::diff::SetChange> {
    use nft_support::nft::diff::SetChange;
    use nft_support::nft::element::Element;
    use nft_support::nft::model::{Family, Key};
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let change = |set: &str, key, delete: Vec<Element>, add: Vec<Element>| SetChange {
        family: Family::Inet,
        table: "cwkeys".into(),
        set: set.into(),
        key,
        interval: false,
        delete,
        add,
    };
    vec![
        change("v4", Key::Ipv4, vec![Element::addr(ip("10.0.0.1"))], vec![Element::addr(ip("10.0.0.2"))]),
        change("v6", Key::Ipv6, vec![], vec![Element::addr(ip("fd00::1")), Element::addr(ip("fd00::2"))]),
        change(
            "ep4",
            Key::Ipv4Service,
            vec![Element::Endpoint(ip("10.0.0.1"), 80)],
            vec![Element::Endpoint(ip("10.0.0.3"), 8080)],
        ),
        change("ep6", Key::Ipv6Service, vec![], vec![Element::Endpoint(ip("fd00::3"), 443)]),
        change("ports", Key::Service, vec![], vec![Element::Ports(53, 53), Element::Ports(9000, 9000)]),
    ]
}

#[test]
fn netlink_batches_change_sets_exactly_like_nft_text() {
    if !kernel_available("netlink_batches_change_sets_exactly_like_nft_text") {
        return;
    }
    let changes = keys_changes();
    let by_text = Netns::new();
    by_text.nft(false, "keys table", KEYS_TABLE);
    by_text.nft(false, "keys changes", &nft_support::nft::diff::Transaction::of_sets(changes.clone()).text);
    let by_netlink = Netns::new();
    by_netlink.nft(false, "keys table", KEYS_TABLE);
    let path = format!("/run/netns/{}", by_netlink.0);
    redirector::netlink::apply(Some(Path::new(&path)), &changes).unwrap();
    let listing = |ns: &Netns| ns.list(&["list", "table", "inet", "cwkeys"]);
    let after = listing(&by_netlink);
    assert_eq!(after, listing(&by_text));
    for element in ["10.0.0.2", "fd00::2", "10.0.0.3 . 8080", "fd00::3 . 443", "9000"] {
        assert!(after.contains(element), "{element} missing:\n{after}");
    }
    assert!(!after.contains("10.0.0.1"), "deleted elements stay deleted:\n{after}");
}

#[test]
fn a_refused_netlink_batch_changes_nothing() {
    if !kernel_available("a_refused_netlink_batch_changes_nothing") {
        return;
    }
    let netns = Netns::new();
    netns.nft(false, "keys table", KEYS_TABLE);
    let before = netns.list(&["list", "table", "inet", "cwkeys"]);
    let mut changes = keys_changes();
    // The last delete names an element the set does not hold: the kernel refuses it, and the
    // adds and deletes before it in the same batch are rolled back.
    changes.push(nft_support::nft::diff::SetChange {
        delete: vec![nft_support::nft::element::Element::addr("10.9.9.9".parse().unwrap())],
        add: vec![],
        ..changes[0].clone()
    });
    let path = format!("/run/netns/{}", netns.0);
    let err = redirector::netlink::apply(Some(Path::new(&path)), &changes).unwrap_err();
    assert!(err.to_string().contains("delete 1 elements of inet cwkeys v4"), "{err}");
    assert_eq!(netns.list(&["list", "table", "inet", "cwkeys"]), before);
}

#[test]
fn a_writer_keeps_its_socket_and_follows_a_namespace_recreated_under_the_same_name() {
    if !kernel_available("a_writer_keeps_its_socket_and_follows_a_namespace_recreated_under_the_same_name") {
        return;
    }
    let netns = Netns::new();
    netns.nft(false, "keys table", KEYS_TABLE);
    let path = format!("/run/netns/{}", netns.0);
    let mut writer = redirector::netlink::Writer::default();
    let changes = keys_changes();
    writer.apply(Some(Path::new(&path)), &changes[1..2]).unwrap();
    assert!(netns.list(&["list", "set", "inet", "cwkeys", "v6"]).contains("fd00::2"));
    // The pod's namespace goes and a new one takes its name: the next batch lands in the new one.
    run(Command::new("ip").args(["netns", "del", &netns.0]));
    run(Command::new("ip").args(["netns", "add", &netns.0]));
    netns.nft(false, "keys table again", KEYS_TABLE);
    writer.apply(Some(Path::new(&path)), &changes[..1]).unwrap();
    let listed = netns.list(&["list", "table", "inet", "cwkeys"]);
    assert!(listed.contains("10.0.0.2") && !listed.contains("fd00::2"), "{listed}");
    writer.retain(|_| false);
}
