//! Chain mode on the real kernel: `redirector local --once` programs a node netns (bridge MAC
//! steer + inet filter) and an inspector netns (TPROXY), and real TCP connections from a
//! client netns show that covered traffic reaches the server only through the (recording,
//! test) inspector, uncovered traffic passes directly, denied traffic is dropped, and a second
//! run changes nothing. Root and nft required: skipped loudly otherwise, failed under CI=true.

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

#[test]
fn chain_mode_steers_covered_flows_through_the_inspector() {
    if !prerequisites("chain_mode_steers_covered_flows_through_the_inspector") {
        return;
    }
    let mut lab = Lab::new("c");
    let client = lab.pod("client", 10);
    let client2 = lab.pod("client2", 11);
    let server = lab.pod("server", 20);
    let other = lab.pod("other", 21);
    let insp = lab.pod("insp", 30);
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("inspector.log");
    std::fs::write(&log, "").unwrap();
    lab.spawn(&server, "echo:server:8080,9090");
    lab.spawn(&other, "echo:other:8080");
    lab.spawn(&insp, &format!("inspector:15001:{}", log.display()));
    let inspected = || std::fs::read_to_string(&log).unwrap();

    // Canary, before any rule: every port answers directly, and the inspector saw nothing.
    let (srv, oth) = (format!("{NET}.20"), format!("{NET}.21"));
    let wait = Duration::from_secs(10);
    assert!(lab.wait_answer(&client, &srv, 8080, wait).starts_with("server port=8080"));
    assert!(lab.wait_answer(&client, &srv, 9090, wait).starts_with("server port=9090"));
    assert!(lab.wait_answer(&client, &oth, 8080, wait).starts_with("other port=8080"));
    assert_eq!(inspected(), "", "the inspector saw traffic before any steering rule existed");

    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS[..3], "Chain");
    let first = manifests::once(&lab, &dir, "chain");
    assert!(first.contains("node (netns") && first.contains("applied"), "{first}");

    // Covered: client -> server:8080 reaches the server, through the inspector, which saw
    // the original destination; the server sees the client's own address (transparent).
    let answer = lab.probe(&client, &srv, 8080, 2000).expect("covered flow must pass through the inspector");
    assert!(answer.starts_with(&format!("server port=8080 peer={NET}.10:")), "{answer}");
    let seen = inspected();
    assert_eq!(seen.lines().count(), 1, "exactly one inspected connection: {seen}");
    assert!(seen.starts_with(&format!("{srv}:8080 {NET}.10:")), "inspector log: {seen}");

    // Uncovered: a pod no policy selects answers directly; the inspector sees nothing new.
    let answer = lab.probe(&client, &oth, 8080, 2000).expect("uncovered flow must pass");
    assert!(answer.starts_with("other port=8080"), "{answer}");
    assert_eq!(inspected(), seen, "uncovered traffic went through the inspector");

    // Denied: the server is isolated for ingress and no policy allows 9090: dropped, so the
    // connection times out.
    let denied = lab.probe(&client, &srv, 9090, 1000);
    assert_eq!(denied, Err("TimedOut".to_owned()), "denied flow was not dropped");
    assert_eq!(inspected(), seen, "denied traffic reached the inspector");

    // A second run changes nothing: same tables, same handles, no flush.
    let (node_before, insp_before) = (lab.ruleset(&lab.netns("node")), lab.ruleset(&insp));
    let second = manifests::once(&lab, &dir, "chain");
    assert!(second.lines().all(|l| l.ends_with(": unchanged")), "second run changed something:\n{second}");
    assert_eq!(lab.ruleset(&lab.netns("node")), node_before, "node ruleset changed on the second run");
    assert_eq!(lab.ruleset(&insp), insp_before, "inspector ruleset changed on the second run");
    assert_eq!(lab.ip(&insp, "-4 rule show").matches("lookup 100").count(), 1, "policy rule duplicated");

    // And the flows still behave.
    assert!(lab.probe(&client, &srv, 8080, 2000).is_ok());
    assert_eq!(inspected().lines().count(), 2);

    // Polling: a new client pod joins the manifests; the running agent adds its address to
    // the sets (element updates, no table replaced) and its covered flow is inspected.
    assert_eq!(lab.probe(&client2, &srv, 8080, 1000), Err("TimedOut".into()), "client2 not in the manifests yet");
    let child = manifests::daemon(&lab, &dir, "chain");
    let mut agent = Agent::start(&mut lab, child);
    agent.line(|l| l.starts_with("inspector") && l.ends_with("unchanged"));
    let node_before = lab.ruleset(&lab.netns("node"));
    manifests::write(&dir, &lab, &PODS, "Chain");
    let update = agent.line(|l| l.starts_with("node"));
    assert!(update.contains("replaced [], deleted [],") && !update.contains(" 0 element changes"), "{update}");
    let answer = lab.probe(&client2, &srv, 8080, 2000).expect("client2's covered flow must pass");
    assert!(answer.starts_with(&format!("server port=8080 peer={NET}.11:")), "{answer}");
    assert!(inspected().lines().last().unwrap().starts_with(&format!("{srv}:8080 {NET}.11:")), "{}", inspected());
    let handles = |r: &str| r.lines().filter(|l| l.contains("# handle")).map(str::to_owned).collect::<Vec<_>>();
    let node_after = lab.ruleset(&lab.netns("node"));
    assert_eq!(handles(&node_after).len(), handles(&node_before).len(), "rules changed, not just elements");

    // Drift: someone deletes the bridge table; the agent restores it within its interval.
    lab.nft(&lab.netns("node"), "delete table bridge chainwall");
    let restored = agent.line(|l| l.contains("drift"));
    assert!(restored.contains("bridge chainwall"), "{restored}");
    let before = inspected().lines().count();
    assert!(lab.probe(&client, &srv, 8080, 2000).is_ok());
    assert_eq!(inspected().lines().count(), before + 1, "covered flow bypassed the inspector after drift");

    // The pod leaves again: its address leaves the sets and its flows are denied.
    manifests::write(&dir, &lab, &PODS[..3], "Chain");
    agent.line(|l| l.starts_with("node"));
    assert_eq!(lab.probe(&client2, &srv, 8080, 1000), Err("TimedOut".into()), "client2 still allowed");

    // The agent is killed and restarted: the new one finds everything current and applies
    // nothing; the tables keep their handles (no flush, no replace) and flows are inspected.
    let before = lab.ruleset(&lab.netns("node"));
    lab.kill(agent.index);
    let child = manifests::daemon(&lab, &dir, "chain");
    let mut agent = Agent::start(&mut lab, child);
    assert!(agent.line(|l| l.starts_with("node (")).ends_with(": unchanged"));
    assert!(agent.line(|l| l.starts_with("inspector (")).ends_with(": unchanged"));
    assert_eq!(lab.ruleset(&lab.netns("node")), before, "restart changed the node ruleset");
    let count = inspected().lines().count();
    assert!(lab.probe(&client, &srv, 8080, 2000).is_ok());
    assert_eq!(inspected().lines().count(), count + 1, "covered flow not inspected after the restart");
}

const PODS: [Pod; 4] = [
    Pod { name: "client", app: "client", octet: 10 },
    Pod { name: "server", app: "server", octet: 20 },
    Pod { name: "other", app: "other", octet: 21 },
    Pod { name: "client2", app: "client", octet: 11 },
];
