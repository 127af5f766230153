//! Pods and policies come and go while traffic flows, chain mode on the real kernel with the
//! real inspector: `redirector local` runs as the node agent (200 ms interval) while a client
//! keeps sending requests to a covered server. A new client pod is covered (its requests are
//! inspected) within one interval of its manifest; a removed pod's requests are dropped again;
//! once the policy is removed, requests reach the server without the inspector. Throughout,
//! the looping client's requests all succeed, and while the policy holds, each one was
//! counted by the inspector. Root, nft and the inspector binary (`cargo build -p inspector`)
//! required: skipped loudly otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;
mod node_lab;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use netns_support::agent::Agent;
use netns_support::manifests::Pod;
use netns_support::real::inspector_or_skip;
use netns_support::{Lab, NET, helpers, prerequisites};
use node_lab::{client_loop, inspector_metric, until};

/// Not a test: the entry point of the helper processes (see `netns_support::helpers`).
#[test]
fn helper() {
    helpers::run_if_asked();
}

const CLIENT: Pod = Pod { name: "client", app: "client", octet: 10 };
const NEWCOMER: Pod = Pod { name: "newcomer", app: "client", octet: 11 };
const SERVER: Pod = Pod { name: "server", app: "server", octet: 20 };

fn inspected(lab: &Lab) -> f64 {
    inspector_metric(lab, "chainwall_requests_total", &["policy=\"lab-waf\""])
}

#[test]
fn rules_follow_pods_and_policies_added_and_removed_while_traffic_flows() {
    let name = "rules_follow_pods_and_policies_added_and_removed_while_traffic_flows";
    if !prerequisites(name) {
        return;
    }
    let Some(binary) = inspector_or_skip(name) else { return };
    let mut lab = Lab::new("c");
    let client = lab.pod("client", 10);
    let newcomer = lab.pod("newcomer", 11);
    lab.pod("insp", 30);
    let server = lab.pod("server", 20);
    lab.spawn(&server, "http:server:8080");
    let tmp = tempfile::tempdir().unwrap();
    let (dir, policy, audit) = (tmp.path().join("manifests"), tmp.path().join("policy.yaml"), tmp.path().join("audit"));
    std::fs::create_dir(&dir).unwrap();
    node_lab::write_manifests(&dir, &lab, &[CLIENT, SERVER]);
    let child = node_lab::agent_in_node(&lab, &dir, &policy);
    let mut agent = Agent::start(&mut lab, child);
    agent.line(|l| l.starts_with("inspector ("));
    node_lab::start_inspector(&mut lab, &binary, &policy, &audit);
    agent.line(|l| l == "inspector health: Healthy");
    let srv = format!("{NET}.20");
    let ok = |ns: &str| lab.get(ns, &srv, 8080, "/", 400).is_ok_and(|(status, _)| status == 200);
    assert_eq!(lab.get(&newcomer, &srv, 8080, "/", 1000), Err("TimedOut".into()), "an unknown pod is not allowed");

    let stop = AtomicBool::new(false);
    let (results, during) = std::thread::scope(|s| {
        let looping = s.spawn(|| client_loop(&lab, &client, &srv, 8080, &stop));
        let before = inspected(&lab);
        // The newcomer's pod appears: covered within one interval (200 ms, plus the probes).
        node_lab::write_manifests(&dir, &lab, &[CLIENT, NEWCOMER, SERVER]);
        let took = until("the newcomer allowed", Duration::from_secs(3), || ok(&newcomer));
        eprintln!("newcomer covered after {took:?}");
        assert!(took < Duration::from_secs(1), "the new pod took {took:?}");
        // It goes again: dropped again.
        node_lab::write_manifests(&dir, &lab, &[CLIENT, SERVER]);
        until("the newcomer dropped", Duration::from_secs(3), || !ok(&newcomer));
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let results = looping.join().unwrap();
        (results, inspected(&lab) - before)
    });
    let passed = results.iter().filter(|r| matches!(r, Ok((200, _)))).count();
    assert_eq!(passed, results.len(), "a covered request failed while pods changed: {results:?}");
    // The newcomer's one successful request is inspected too.
    assert!(during >= passed as f64 + 1.0, "{during} inspected < {passed} looped + 1: some bypassed the inspector");
    eprintln!("{passed} looping requests, all answered; {during} inspected");

    // The policy goes: the server is no longer isolated, and nothing is steered.
    node_lab::remove_policy(&dir);
    until("the newcomer allowed without policy", Duration::from_secs(3), || ok(&newcomer));
    let settled = inspected(&lab);
    for ns in [&client, &newcomer] {
        let (status, body) = lab.get(ns, &srv, 8080, "/", 2000).unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(inspected(&lab), settled, "flows of a removed policy are still steered to the inspector");
}
