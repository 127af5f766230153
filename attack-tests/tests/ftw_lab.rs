//! `attack-tests ftw --lab` on a chain-mode lab (root; the binaries of this target directory):
//! our go-ftw examples, sent from the client pod, pass against main-logic (`web-detect`, CRS
//! PL1), rule ids read from the lab inspector's audit log; against user-auth (`web-strict`)
//! every one fails, because its allow-list answers first. Skipped loudly without root, nft,
//! iproute2 or the binaries; a failure under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lab_support;

use std::path::Path;

use lab_support::{Place, prerequisites, up};

fn ftw(place: &Place, target: &str) -> (bool, serde_json::Value) {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("ftw");
    let out = place.run(&["ftw", "--lab", "--json", "--lab-target", target, "--tests", tests.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.success(), summary)
}

#[test]
fn go_ftw_examples_run_from_the_client_pod_through_the_lab_inspector() {
    if !prerequisites("go_ftw_examples_run_from_the_client_pod_through_the_lab_inspector") {
        return;
    }
    let place = Place::new("f");
    let (facts, _) = up(&place, "chain");

    let (ok, summary) = ftw(&place, "main-logic");
    println!("{summary:#}");
    assert!(ok, "{summary:#}");
    let main_logic = facts.pod("main-logic").unwrap();
    assert!(summary["target"].as_str().unwrap().starts_with(&main_logic.ip.to_string()), "{summary:#}");
    assert_eq!((summary["failed"].as_u64(), summary["skipped"].as_u64()), (Some(0), Some(0)), "{summary:#}");
    assert!(summary["passed"].as_u64().unwrap() >= 7, "{summary:#}");

    let (ok, summary) = ftw(&place, "user-auth");
    assert!(!ok, "user-auth's allow-list answers before CRS: {summary:#}");
    assert_eq!(summary["passed"].as_u64(), Some(0), "{summary:#}");

    drop(facts);
    let _ = place.run(&["lab", "down"]);
    place.assert_clean();
}
