//! Failure modes on the real kernel, chain mode: `redirector local` runs as an agent in the
//! node netns and probes the (test) inspector's `/readyz`. While the inspector is dead,
//! fail-closed covered flows are dropped (`failed_closed` counts them) and fail-open covered
//! flows pass directly (`bypassed` counts them); once it is back, both are inspected again.
//! Root and nft required: skipped loudly otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;

use std::time::Duration;

use netns_support::agent::Agent;
use netns_support::manifests::{self, Pod};
use netns_support::{Lab, NET, helpers, prerequisites};

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
fn inspector_down_fails_closed_and_open_as_declared() {
    if !prerequisites("inspector_down_fails_closed_and_open_as_declared") {
        return;
    }
    let mut lab = Lab::new("f");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let opensrv = lab.pod("opensrv", 22);
    let insp = lab.pod("insp", 30);
    let node = lab.netns("node");
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("inspector.log");
    std::fs::write(&log, "").unwrap();
    lab.spawn(&server, "echo:server:8080");
    lab.spawn(&opensrv, "echo:opensrv:8080");
    let inspector_role = format!("inspector:15001:{}", log.display());
    let inspector = lab.spawn(&insp, &inspector_role);
    let inspected = || std::fs::read_to_string(&log).unwrap().lines().count();

    let (srv, open) = (format!("{NET}.20"), format!("{NET}.22"));
    let wait = Duration::from_secs(10);
    assert!(lab.wait_answer(&client, &srv, 8080, wait).starts_with("server"));
    assert!(lab.wait_answer(&client, &open, 8080, wait).starts_with("opensrv"));
    assert_eq!(inspected(), 0, "canary: nothing inspected before any rule");

    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Chain");
    manifests::write_open_policy(&dir);
    let child = manifests::daemon_in_node(&lab, &dir);
    let mut agent = Agent::start(&mut lab, child);
    agent.line(|l| l == "inspector health: Healthy");
    agent.line(|l| l.starts_with("inspector ("));

    // Healthy: both covered flows go through the inspector.
    assert!(lab.probe(&client, &srv, 8080, 2000).is_ok());
    assert!(lab.probe(&client, &open, 8080, 2000).is_ok());
    assert_eq!(inspected(), 2, "covered flows bypassed a healthy inspector");

    // The inspector dies: the agent flips the health maps (element updates only).
    lab.kill(inspector);
    agent.line(|l| l == "inspector health: Down");
    let flip = agent.line(|l| l.starts_with("node ("));
    assert!(flip.contains("replaced [], deleted [],"), "health flip replaced a table: {flip}");
    let (closed_before, bypassed_before) =
        (lab.counter(&node, "bridge chainwall failed_closed"), lab.counter(&node, "bridge chainwall bypassed"));
    assert_eq!(lab.probe(&client, &srv, 8080, 1000), Err("TimedOut".into()), "fail-closed flow passed");
    let answer = lab.probe(&client, &open, 8080, 2000).expect("fail-open flow must pass directly");
    assert!(answer.starts_with(&format!("opensrv port=8080 peer={NET}.10:")), "{answer}");
    assert_eq!(inspected(), 2);
    assert!(lab.counter(&node, "bridge chainwall failed_closed") > closed_before, "failed_closed not counted");
    assert!(lab.counter(&node, "bridge chainwall bypassed") > bypassed_before, "bypass not counted");

    // It comes back: covered flows are inspected again.
    lab.spawn(&insp, &inspector_role);
    agent.line(|l| l == "inspector health: Healthy");
    agent.line(|l| l.starts_with("node ("));
    let answer = lab.wait_answer(&client, &srv, 8080, wait);
    assert!(answer.starts_with("server port=8080"), "{answer}");
    assert!(lab.probe(&client, &open, 8080, 2000).is_ok());
    assert_eq!(inspected(), 4, "covered flows not inspected after the inspector came back");
}
