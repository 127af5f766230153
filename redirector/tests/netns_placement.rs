//! Placements on the real kernel: a node programs one inspection placement (`--mode chain` or
//! `sidecar`), and a covered flow of the other placement is dropped there (counted as
//! `failed_closed`), never forwarded uninspected. Root and nft required: skipped loudly
//! otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;

use std::time::Duration;

use netns_support::manifests::{self, Pod};
use netns_support::{Lab, NET, helpers, prerequisites};

/// Not a test: the entry point of the helper processes (see `netns_support::helpers`).
#[test]
fn helper() {
    helpers::run_if_asked();
}

const PODS: [Pod; 2] =
    [Pod { name: "client", app: "client", octet: 10 }, Pod { name: "server", app: "server", octet: 20 }];

/// `redirector local --once` in `mode`; asserts success and returns stderr.
fn once_stderr(lab: &Lab, dir: &std::path::Path, mode: &str) -> String {
    let out = manifests::command(lab, dir, mode).arg("--once").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "redirector local failed: {stderr}");
    stderr
}

#[test]
fn a_sidecar_placed_flow_on_a_chain_node_is_dropped() {
    if !prerequisites("a_sidecar_placed_flow_on_a_chain_node_is_dropped") {
        return;
    }
    let mut lab = Lab::new("u");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let insp = lab.pod("insp", 30);
    let node = lab.netns("node");
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("inspector.log");
    std::fs::write(&log, "").unwrap();
    lab.spawn(&server, "echo:server:8080");
    lab.spawn(&insp, &format!("inspector:15001:{}", log.display()));
    let srv = format!("{NET}.20");
    // Canary: before any rule the flow answers directly.
    assert!(lab.wait_answer(&client, &srv, 8080, Duration::from_secs(10)).starts_with("server port=8080"));

    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Sidecar");
    let stderr = once_stderr(&lab, &dir, "chain");
    let reported = stderr.lines().filter(|l| l.contains("placement Sidecar is not programmed")).count();
    assert_eq!(reported, 1, "one report for the server's grant: {stderr}");

    let before = lab.counter(&node, "bridge chainwall failed_closed");
    assert_eq!(lab.probe(&client, &srv, 8080, 1000), Err("TimedOut".into()), "Sidecar-placed flow passed a chain node");
    assert!(lab.counter(&node, "bridge chainwall failed_closed") > before, "the drop was not counted");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "", "the chain inspector must not take a Sidecar-placed flow");
}

#[test]
fn a_chain_placed_flow_on_a_sidecar_node_is_dropped() {
    if !prerequisites("a_chain_placed_flow_on_a_sidecar_node_is_dropped") {
        return;
    }
    let mut lab = Lab::new("v");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("sidecar.log");
    std::fs::write(&log, "").unwrap();
    lab.spawn(&server, "echo:server:8080");
    lab.spawn(&server, &format!("sidecar:15006:1337:{}", log.display()));
    let srv = format!("{NET}.20");
    assert!(lab.wait_answer(&client, &srv, 8080, Duration::from_secs(10)).starts_with("server port=8080"));

    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Chain");
    let stderr = once_stderr(&lab, &dir, "sidecar");
    assert!(stderr.contains("placement Chain is not programmed"), "{stderr}");

    let before = lab.counter(&server, "inet chainwall failed_closed");
    assert_eq!(lab.probe(&client, &srv, 8080, 1000), Err("TimedOut".into()), "Chain-placed flow passed a sidecar node");
    assert!(lab.counter(&server, "inet chainwall failed_closed") > before, "the drop was not counted");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "", "the sidecar must not take a Chain-placed flow");
}

/// `app: client` may reach `app: authsrv` on TCP 8080, inspected Sidecar-placed by `lab-waf`.
fn write_sidecar_policy(dir: &std::path::Path) {
    let text = "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata:\n  name: authsrv-ingress\n  \
                namespace: lab\nspec:\n  podSelector:\n    matchLabels:\n      app: authsrv\n  policyTypes:\n  - Ingress\n  \
                ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: client\n    ports:\n    \
                - protocol: TCP\n      port: 8080\n  securityPolicyRef:\n    name: lab-waf\n  inspection:\n    \
                mode: Sidecar\n";
    std::fs::write(dir.join("authsrv.yaml"), text).unwrap();
}

#[test]
fn both_mode_inspects_each_flow_per_its_own_placement() {
    if !prerequisites("both_mode_inspects_each_flow_per_its_own_placement") {
        return;
    }
    let mut lab = Lab::new("w");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let authsrv = lab.pod("authsrv", 21);
    let insp = lab.pod("insp", 30);
    let tmp = tempfile::tempdir().unwrap();
    let (chain_log, sidecar_log) = (tmp.path().join("inspector.log"), tmp.path().join("sidecar.log"));
    std::fs::write(&chain_log, "").unwrap();
    std::fs::write(&sidecar_log, "").unwrap();
    lab.spawn(&server, "echo:server:8080");
    lab.spawn(&authsrv, "echo:authsrv:8080");
    lab.spawn(&insp, &format!("inspector:15001:{}", chain_log.display()));
    lab.spawn(&authsrv, &format!("sidecar:15006:1337:{}", sidecar_log.display()));
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let (srv, auth) = (format!("{NET}.20"), format!("{NET}.21"));
    assert!(lab.wait_answer(&client, &srv, 8080, Duration::from_secs(10)).starts_with("server port=8080"));
    assert!(lab.wait_answer(&client, &auth, 8080, Duration::from_secs(10)).starts_with("authsrv port=8080"));

    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    let pods = [PODS[0], PODS[1], Pod { name: "authsrv", app: "authsrv", octet: 21 }];
    manifests::write(&dir, &lab, &pods, "Chain");
    write_sidecar_policy(&dir);
    let stderr = once_stderr(&lab, &dir, "both");
    assert!(!stderr.contains("not programmed"), "{stderr}");

    // Chain-placed: through the node's inspector; the server sees the client (transparent).
    let answer = lab.probe(&client, &srv, 8080, 2000).expect("Chain-placed flow must pass through the inspector");
    assert!(answer.starts_with(&format!("server port=8080 peer={NET}.10:")), "{answer}");
    assert!(read(&chain_log).starts_with(&format!("{srv}:8080 {NET}.10:")), "inspector log: {}", read(&chain_log));
    // Sidecar-placed: through authsrv's sidecar, which connects from the pod's own address.
    let answer = lab.probe(&client, &auth, 8080, 2000).expect("Sidecar-placed flow must pass through the sidecar");
    assert!(answer.starts_with(&format!("authsrv port=8080 peer={auth}:")), "not via the sidecar: {answer}");
    assert!(read(&sidecar_log).starts_with(&format!("{auth}:8080 {NET}.10:")), "sidecar: {}", read(&sidecar_log));
    assert_eq!(read(&chain_log).lines().count(), 1, "the chain inspector took the Sidecar-placed flow too");
    // Only the pod with a Sidecar-placed port has a table of its own.
    assert!(lab.ruleset(&authsrv).contains("table inet chainwall"));
    assert!(!lab.ruleset(&server).contains("chainwall"), "{}", lab.ruleset(&server));
}
