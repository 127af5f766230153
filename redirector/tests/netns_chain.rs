//! Chain mode on the real kernel: `redirector local --once` programs a node netns (bridge MAC
//! steer + inet filter) and an inspector netns (TPROXY), and real TCP connections from a
//! client netns show that covered traffic reaches the server only through the (recording,
//! test) inspector, uncovered traffic passes directly, denied traffic is dropped, and a second
//! run changes nothing. Root and nft required: skipped loudly otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use netns_support::{BRIDGE, Lab, NET, helpers, prerequisites};

/// Not a test: the entry point of the helper processes (see `netns_support::helpers`).
#[test]
fn helper() {
    helpers::run_if_asked();
}

fn manifests(dir: &Path, lab: &Lab) {
    let pod = |name: &str, octet: u8| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: lab\n  labels:\n    app: {name}\n  \
             annotations:\n    chainwall.dev/netns: {ns}\nspec:\n  nodeName: lab-node\n  containers:\n  - name: c\n    \
             image: none\nstatus:\n  phase: Running\n  podIP: {NET}.{octet}\n  podIPs:\n  - ip: {NET}.{octet}\n---\n",
            ns = lab.netns(name)
        )
    };
    let mut text = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab\n  labels:\n    kubernetes.io/metadata.name: lab\n---\n",
    );
    for (name, octet) in [("client", 10), ("server", 20), ("other", 21)] {
        text.push_str(&pod(name, octet));
    }
    text.push_str(
        "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata:\n  name: server-ingress\n  namespace: lab\n\
         spec:\n  podSelector:\n    matchLabels:\n      app: server\n  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    \
         - podSelector:\n        matchLabels:\n          app: client\n    ports:\n    - protocol: TCP\n      port: 8080\n  \
         securityPolicyRef:\n    name: lab-waf\n  inspection:\n    mode: Chain\n---\n\
         apiVersion: chainwall.dev/v1alpha1\nkind: SecurityPolicy\nmetadata:\n  name: lab-waf\nspec:\n  mode: Block\n  \
         failureMode: Closed\n",
    );
    std::fs::write(dir.join("lab.yaml"), text).unwrap();
}

fn redirector_local(lab: &Lab, dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_redirector"))
        .args(["local", "--once", "--mode", "chain", "--node", "lab-node", "--bridge", BRIDGE])
        .arg("--manifests")
        .arg(dir)
        .args(["--node-netns", &lab.netns("node"), "--inspector-netns", &lab.netns("insp")])
        .args(["--inspector-veth", "v-insp", "--inspector-mac", &Lab::mac(30)])
        .args(["--inspector-ip", &format!("{NET}.30")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "redirector local failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    eprintln!("redirector local --once:\n{stdout}");
    stdout
}

#[test]
fn chain_mode_steers_covered_flows_through_the_inspector() {
    if !prerequisites("chain_mode_steers_covered_flows_through_the_inspector") {
        return;
    }
    let mut lab = Lab::new("c");
    let client = lab.pod("client", 10);
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
    manifests(&dir, &lab);
    let first = redirector_local(&lab, &dir);
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
    let second = redirector_local(&lab, &dir);
    assert!(second.lines().all(|l| l.ends_with(": unchanged")), "second run changed something:\n{second}");
    assert_eq!(lab.ruleset(&lab.netns("node")), node_before, "node ruleset changed on the second run");
    assert_eq!(lab.ruleset(&insp), insp_before, "inspector ruleset changed on the second run");
    assert_eq!(lab.ip(&insp, "-4 rule show").matches("lookup 100").count(), 1, "policy rule duplicated");

    // And the flows still behave.
    assert!(lab.probe(&client, &srv, 8080, 2000).is_ok());
    assert_eq!(inspected().lines().count(), 2);
}
