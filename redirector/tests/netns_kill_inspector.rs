//! Killing the real inspector, chain mode on the real kernel: `redirector local` runs as the
//! node agent (in the node netns, probing the inspector's `/readyz`, serving `/metrics`).
//! While the inspector is up, both a fail-closed and a fail-open covered flow are inspected
//! (its counters count them). Once it is killed, the fail-closed flow times out and the
//! fail-open flow reaches the server directly, and the agent's metrics show it:
//! `chainwall_redirector_bypass_packets_total` and `..._failed_closed_packets_total` rise and
//! `chainwall_redirector_inspector_healthy` is 0. Root, nft and the inspector binary
//! (`cargo build -p inspector`) required: skipped loudly otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;
mod node_lab;

use netns_support::agent::Agent;
use netns_support::manifests::{self, Pod};
use netns_support::real::inspector_or_skip;
use netns_support::{Lab, NET, helpers, prerequisites};
use node_lab::{agent_metric, inspector_metric, wait_for};

/// Not a test: the entry point of the helper processes (see `netns_support::helpers`).
#[test]
fn helper() {
    helpers::run_if_asked();
}

const PODS: [Pod; 3] = [
    Pod { name: "client", app: "client", octet: 10 },
    Pod { name: "server", app: "server", octet: 20 },
    Pod { name: "opensrv", app: "opensrv", octet: 22 },
];

#[test]
fn killed_inspector_stops_closed_flows_and_counts_open_ones_as_bypass_in_the_metrics() {
    let name = "killed_inspector_stops_closed_flows_and_counts_open_ones_as_bypass_in_the_metrics";
    if !prerequisites(name) {
        return;
    }
    let Some(binary) = inspector_or_skip(name) else { return };
    let mut lab = Lab::new("k");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let opensrv = lab.pod("opensrv", 22);
    lab.pod("insp", 30);
    lab.spawn(&server, "http:server:8080");
    lab.spawn(&opensrv, "http:opensrv:8080");
    let tmp = tempfile::tempdir().unwrap();
    let (dir, policy, audit) = (tmp.path().join("manifests"), tmp.path().join("policy.yaml"), tmp.path().join("audit"));
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Chain");
    manifests::write_open_policy(&dir);

    // The agent first: it writes the policy file the inspector starts with.
    let child = node_lab::agent_in_node(&lab, &dir, &policy);
    let mut agent = Agent::start(&mut lab, child);
    agent.line(|l| l.starts_with("inspector ("));
    let inspector = node_lab::start_inspector(&mut lab, &binary, &policy, &audit);
    agent.line(|l| l == "inspector health: Healthy");
    let healthy = "chainwall_redirector_inspector_healthy";
    wait_for("inspector_healthy", || agent_metric(&lab, healthy, &[]), |v| v == 1.0);
    let inspected =
        |lab: &Lab, policy: &str| inspector_metric(lab, "chainwall_requests_total", &[&format!("policy=\"{policy}\"")]);

    let (srv, open) = (format!("{NET}.20"), format!("{NET}.22"));
    let (status, body) = lab.get(&client, &srv, 8080, "/", 5000).expect("fail-closed flow while healthy");
    assert_eq!((status, body.starts_with(&format!("server peer={NET}.10:"))), (200, true), "{body}");
    let (status, body) = lab.get(&client, &open, 8080, "/", 5000).expect("fail-open flow while healthy");
    assert_eq!((status, body.starts_with(&format!("opensrv peer={NET}.10:"))), (200, true), "{body}");
    assert_eq!(
        (inspected(&lab, "lab-waf"), inspected(&lab, "lab-open")),
        (1.0, 1.0),
        "covered flows bypassed the inspector"
    );
    let bypass = "chainwall_redirector_bypass_packets_total";
    let closed = "chainwall_redirector_failed_closed_packets_total";
    let (bypass_before, closed_before) = (agent_metric(&lab, bypass, &[]), agent_metric(&lab, closed, &[]));

    lab.kill(inspector);
    agent.line(|l| l == "inspector health: Down");
    agent.line(|l| l.starts_with("node ("));
    assert_eq!(lab.get(&client, &srv, 8080, "/", 1000), Err("TimedOut".to_owned()), "fail-closed flow passed");
    let (status, body) = lab.get(&client, &open, 8080, "/", 3000).expect("fail-open flow must pass directly");
    assert_eq!((status, body.starts_with(&format!("opensrv peer={NET}.10:"))), (200, true), "{body}");

    // The agent reads the nft counters with every reconcile (200 ms).
    let role = ["netns_role=\"node\""];
    let bypassed = wait_for("bypass packets", || agent_metric(&lab, bypass, &role), |v| v > bypass_before);
    let dropped = wait_for("failed-closed packets", || agent_metric(&lab, closed, &role), |v| v > closed_before);
    eprintln!("bypass packets {bypass_before} -> {bypassed}, failed-closed packets {closed_before} -> {dropped}");
    assert_eq!(agent_metric(&lab, healthy, &[]), 0.0);
    assert!(agent_metric(&lab, "chainwall_redirector_applies_total", &["result=\"applied\""]) >= 2.0);
}
