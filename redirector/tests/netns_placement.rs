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
