//! Both modes with the real inspector (`inspector/proxy`'s binary, the Debian CRS) instead of
//! the recording relay: `redirector local --once --inspector-policy FILE` programs nftables
//! and writes the inspector's policy file, the inspector runs with that file, and real HTTP
//! from a client netns shows that covered requests go through it (its counters count them,
//! its audit log records the block with the original destination), that an SQL injection is
//! blocked with 403 before the server, that uncovered traffic passes directly and that denied
//! traffic is dropped. Root, nft and the built inspector required: skipped loudly otherwise,
//! failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;

use std::path::Path;
use std::process::Command;

use netns_support::manifests::{self, Pod};
use netns_support::real::inspector_or_skip;
use netns_support::{Lab, NET, helpers, prerequisites};

/// Not a test: the entry point of the helper processes (see `netns_support::helpers`).
#[test]
fn helper() {
    helpers::run_if_asked();
}

const PODS: [Pod; 3] = [
    Pod { name: "client", app: "client", octet: 10 },
    Pod { name: "server", app: "server", octet: 20 },
    Pod { name: "other", app: "other", octet: 21 },
];
const ATTACK: &str = "/?id=1%27%20or%20%271%27%3D%271%27--";

/// `redirector local --once` with `--inspector-policy`; the policy file's text.
fn once_with_policy(lab: &Lab, dir: &Path, mode: &str, policy: &Path) -> String {
    let mut cmd: Command = manifests::command(lab, dir, mode);
    let out = cmd.arg("--once").arg("--inspector-policy").arg(policy).output().unwrap();
    assert!(out.status.success(), "redirector local failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(policy).unwrap()
}

/// The checks both modes share; `insp` is the netns of the inspector, `upstream_peer` the
/// address the server sees for an inspected request.
fn covered_uncovered_denied(lab: &Lab, client: &str, insp: &str, audit: &Path, upstream_peer: &str) {
    let (srv, oth) = (format!("{NET}.20"), format!("{NET}.21"));
    let count = |verdict: &str| {
        lab.metric(insp, "chainwall_requests_total", &["policy=\"lab-waf\"", &format!("verdict=\"{verdict}\"")])
    };

    let (status, body) = lab.get(client, &srv, 8080, "/products?page=2", 5000).expect("covered benign request");
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with(&format!("server peer={upstream_peer}:")), "not through the inspector: {body}");
    assert_eq!(count("pass"), 1.0, "the inspector did not count the benign request");

    let (status, body) = lab.get(client, &srv, 8080, ATTACK, 5000).expect("covered attack");
    assert_eq!(status, 403, "the attack was not blocked: {body}");
    assert!(!body.contains("server peer="), "the server answered the attack: {body}");
    assert_eq!(count("block"), 1.0);
    let log = std::fs::read_to_string(audit).unwrap();
    assert!(log.contains(&format!("\"destination\":\"{srv}:8080\"")) && log.contains("\"verdict\":\"block\""), "{log}");

    let (status, body) = lab.get(client, &oth, 8080, ATTACK, 5000).expect("uncovered flow");
    assert_eq!((status, body.starts_with(&format!("other peer={NET}.10:"))), (200, true), "uncovered: {body}");
    assert_eq!(count("pass") + count("block"), 2.0, "uncovered traffic reached the inspector");

    assert_eq!(lab.get(client, &srv, 9090, "/", 1000), Err("TimedOut".to_owned()), "denied flow was not dropped");
}

#[test]
fn chain_mode_with_the_real_inspector_blocks_attacks_on_covered_flows() {
    if !prerequisites("chain_mode_with_the_real_inspector_blocks_attacks_on_covered_flows") {
        return;
    }
    let Some(inspector) = inspector_or_skip("chain_mode_with_the_real_inspector_blocks_attacks_on_covered_flows")
    else {
        return;
    };
    let mut lab = Lab::new("ri");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let other = lab.pod("other", 21);
    let insp = lab.pod("insp", 30);
    lab.spawn(&server, "http:server:8080,9090");
    lab.spawn(&other, "http:other:8080");
    let tmp = tempfile::tempdir().unwrap();
    let (dir, policy, audit) = (tmp.path().join("manifests"), tmp.path().join("policy.yaml"), tmp.path().join("audit"));
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Chain");
    let text = once_with_policy(&lab, &dir, "chain", &policy);
    assert!(text.contains(&format!("destination: {NET}.20:8080")) && text.contains("policy: lab-waf"), "{text}");
    let args: Vec<String> =
        ["--transparent", "tproxy", "--listen", "0.0.0.0:15001", "--tproxy-mark", "0x1", "--policy"]
            .iter()
            .map(|s| s.to_string())
            .chain([policy.display().to_string(), "--audit-log".into(), audit.display().to_string()])
            .collect();
    lab.real_inspector(&insp, &inspector, &args);
    assert!(lab.get(&client, &format!("{NET}.21"), 8080, "/", 2000).is_ok(), "the lab answers");
    // Chain mode is fully transparent: the server sees the client's own address.
    covered_uncovered_denied(&lab, &client, &insp, &audit, &format!("{NET}.10"));
}

#[test]
fn sidecar_mode_with_the_real_inspector_blocks_attacks_on_covered_flows() {
    if !prerequisites("sidecar_mode_with_the_real_inspector_blocks_attacks_on_covered_flows") {
        return;
    }
    let Some(inspector) = inspector_or_skip("sidecar_mode_with_the_real_inspector_blocks_attacks_on_covered_flows")
    else {
        return;
    };
    let mut lab = Lab::new("rs");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let other = lab.pod("other", 21);
    lab.spawn(&server, "http:server:8080,9090");
    lab.spawn(&other, "http:other:8080");
    let tmp = tempfile::tempdir().unwrap();
    let (dir, policy, audit) = (tmp.path().join("manifests"), tmp.path().join("policy.yaml"), tmp.path().join("audit"));
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Sidecar");
    once_with_policy(&lab, &dir, "sidecar", &policy);
    let args: Vec<String> =
        ["--transparent", "redirect", "--listen", "0.0.0.0:15006", "--upstream-mark", "0x539", "--policy"]
            .iter()
            .map(|s| s.to_string())
            .chain([policy.display().to_string(), "--audit-log".into(), audit.display().to_string()])
            .collect();
    lab.real_inspector(&server, &inspector, &args);
    // The sidecar's upstream leg leaves from the pod's own address.
    covered_uncovered_denied(&lab, &client, &server, &audit, &format!("{NET}.20"));
}
