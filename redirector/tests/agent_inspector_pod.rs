//! `redirector agent --mode chain --inspector-selector ...`, the real binary, against a fake
//! apiserver on loopback and the real kernel: with none of the inspector flags, the agent
//! lists the pods on its node matching the selector, finds the inspector pod's netns by its IP
//! (among `/run/netns`), reads its MAC and its veth's host-side peer, and programs chain mode:
//! the node's bridge table steers to that MAC, and the inspector netns gets its TPROXY table.
//! Needs root, nft and iproute2 (skips loudly otherwise; fails under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_support;
mod fake_apiserver;
mod netns_support;

use std::process::Command;
use std::sync::{Arc, Mutex};

use agent_support::{Netns, plan, ruleset};
use fake_apiserver::{FakeApi, Reply, Request};
use serde_json::{Value, json};

const SELECTOR: &str = "app.kubernetes.io/name=chainwall-inspector";
const INSPECTOR_IP: &str = "10.253.15.30";
const INSPECTOR_MAC: &str = "02:00:0a:fd:0f:1e";

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn route(plan: &Mutex<Value>, request: &Request) -> Reply {
    let t = request.target.as_str();
    if request.method == "GET" && t.starts_with("/api/v1/pods?") && !t.contains("watch=true") {
        assert!(t.contains("labelSelector=app.kubernetes.io%2Fname%3Dchainwall-inspector"), "{t}");
        assert!(t.contains("fieldSelector=spec.nodeName%3Dnode-a"), "{t}");
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "inspector-x", "namespace": "chainwall-system", "labels": {"app.kubernetes.io/name": "chainwall-inspector"}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "inspector", "ports": [{"name": "admin", "containerPort": 15090}]}]},
            "status": {"phase": "Running", "podIP": INSPECTOR_IP}});
        return Reply::Json(
            200,
            json!({"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": [pod]}),
        );
    }
    agent_support::route(plan, request)
}

#[test]
fn chain_mode_finds_the_nodes_inspector_pod_by_its_labels() {
    if !netns_support::prerequisites("agent_inspector_pod") {
        return;
    }
    let pid = std::process::id();
    let (node, insp) = (Netns(format!("cwipn{pid}")), Netns(format!("cwipi{pid}")));
    let (bridge, veth) = (format!("cwipb{pid}"), format!("cwipv{pid}"));
    sh(&["ip", "netns", "add", &node.0]);
    sh(&["ip", "netns", "add", &insp.0]);
    sh(&["ip", "-n", &node.0, "link", "add", &bridge, "type", "bridge"]);
    sh(&["ip", "-n", &node.0, "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &insp.0]);
    sh(&["ip", "-n", &node.0, "link", "set", &veth, "master", &bridge]);
    sh(&["ip", "-n", &insp.0, "link", "set", "eth0", "address", INSPECTOR_MAC]);
    sh(&["ip", "-n", &insp.0, "addr", "add", &format!("{INSPECTOR_IP}/24"), "dev", "eth0"]);
    // The node reaches pods through the bridge (the routed twin's route needs it).
    sh(&["ip", "-n", &node.0, "addr", "add", "10.253.15.1/24", "dev", &bridge]);
    for (ns, link) in [(&node.0, &bridge), (&node.0, &veth), (&insp.0, &"eth0".to_owned())] {
        sh(&["ip", "-n", ns, "link", "set", link, "up"]);
    }

    let mut served = plan(1, &["10.253.15.3"], "unused");
    served["spec"].as_object_mut().unwrap().remove("netns");
    served["spec"]["pods"][0]["inspect"] = json!(null);
    served["spec"]["pods"][0]["ingress"][0]["inspect"]["placement"] = json!("Chain");
    let served = Arc::new(Mutex::new(served));
    let api = FakeApi::start(move |r| route(&served, r));

    let out = Command::new(env!("CARGO_BIN_EXE_redirector"))
        .args(["agent", "--node", "node-a", "--mode", "chain", "--once", "--interval-ms", "200"])
        .args(["--node-netns", &node.0, "--bridge", &bridge, "--inspector-selector", SELECTOR])
        .env("KUBECONFIG", api.kubeconfig())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "agent failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let expected = format!("inspector pod: {INSPECTOR_IP} in /run/netns/{}, veth {veth}, MAC {INSPECTOR_MAC}", insp.0);
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(stdout.contains(&format!("inspector (netns /run/netns/{}): applied", insp.0)), "{stdout}");
    let node_rules = ruleset(&node.0);
    assert!(node_rules.contains(&format!("ether daddr set {INSPECTOR_MAC}")), "{node_rules}");
    assert!(node_rules.contains(&format!("iifname \"{veth}\"")), "{node_rules}");
    let insp_rules = ruleset(&insp.0);
    assert!(insp_rules.contains("table inet chainwall") && insp_rules.contains("tproxy"), "{insp_rules}");
    // Its readiness comes from the pod's `admin` port: unreachable from here, so Down.
    assert!(stdout.contains("inspector health: Down"), "{stdout}");
}
