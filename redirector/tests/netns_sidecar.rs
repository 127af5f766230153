//! Sidecar mode on the real kernel: `redirector local --once --mode sidecar` programs each
//! annotated pod's netns, and real TCP connections from a client netns show that covered
//! traffic reaches the server only through its (recording, test) sidecar, which read the
//! original destination with `SO_ORIGINAL_DST`; uncovered traffic passes directly; denied
//! traffic is dropped; a second run changes nothing. Root and nft required: skipped loudly
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

const PODS: [Pod; 3] = [
    Pod { name: "client", app: "client", octet: 10 },
    Pod { name: "server", app: "server", octet: 20 },
    Pod { name: "other", app: "other", octet: 21 },
];

#[test]
fn sidecar_mode_redirects_covered_flows_to_the_sidecar() {
    if !prerequisites("sidecar_mode_redirects_covered_flows_to_the_sidecar") {
        return;
    }
    let mut lab = Lab::new("s");
    let client = lab.pod("client", 10);
    let server = lab.pod("server", 20);
    let other = lab.pod("other", 21);
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("sidecar.log");
    std::fs::write(&log, "").unwrap();
    lab.spawn(&server, "echo:server:8080,9090");
    lab.spawn(&other, "echo:other:8080");
    // The sidecar marks its upstream sockets 0x539 (1337), redirector local's default exclusion.
    lab.spawn(&server, &format!("sidecar:15006:1337:{}", log.display()));
    let inspected = || std::fs::read_to_string(&log).unwrap();

    // Canary, before any rule: every port answers directly, and the sidecar saw nothing.
    let (srv, oth) = (format!("{NET}.20"), format!("{NET}.21"));
    let wait = Duration::from_secs(10);
    assert!(lab.wait_answer(&client, &srv, 8080, wait).starts_with(&format!("server port=8080 peer={NET}.10:")));
    assert!(lab.wait_answer(&client, &srv, 9090, wait).starts_with("server port=9090"));
    assert!(lab.wait_answer(&client, &oth, 8080, wait).starts_with("other port=8080"));
    assert_eq!(inspected(), "", "the sidecar saw traffic before any redirect rule existed");

    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    manifests::write(&dir, &lab, &PODS, "Sidecar");
    let first = manifests::once(&lab, &dir, "sidecar");
    assert_eq!(first.lines().filter(|l| l.contains("applied")).count(), 3, "one table per pod: {first}");

    // Covered: the server answers the sidecar's upstream leg (from the pod's own address),
    // and the sidecar saw the original destination and the client.
    let answer = lab.probe(&client, &srv, 8080, 2000).expect("covered flow must pass through the sidecar");
    assert!(answer.starts_with(&format!("server port=8080 peer={srv}:")), "not via the sidecar: {answer}");
    let seen = inspected();
    assert_eq!(seen.lines().count(), 1, "exactly one inspected connection: {seen}");
    assert!(seen.starts_with(&format!("{srv}:8080 {NET}.10:")), "sidecar log: {seen}");

    // Uncovered: a pod no policy selects answers directly.
    let answer = lab.probe(&client, &oth, 8080, 2000).expect("uncovered flow must pass");
    assert!(answer.starts_with(&format!("other port=8080 peer={NET}.10:")), "{answer}");

    // Denied: no policy allows 9090 into the isolated server: dropped, the connect times out.
    assert_eq!(lab.probe(&client, &srv, 9090, 1000), Err("TimedOut".to_owned()), "denied flow was not dropped");
    assert_eq!(inspected(), seen, "uncovered or denied traffic reached the sidecar");

    // A second run changes nothing: same tables, same handles, no flush.
    let before = lab.ruleset(&server);
    let second = manifests::once(&lab, &dir, "sidecar");
    assert!(second.lines().all(|l| l.ends_with(": unchanged")), "second run changed something:\n{second}");
    assert_eq!(lab.ruleset(&server), before, "server ruleset changed on the second run");
    assert!(lab.probe(&client, &srv, 8080, 2000).is_ok());
    assert_eq!(inspected().lines().count(), 2);
}
