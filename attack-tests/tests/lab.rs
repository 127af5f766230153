//! The netns lab end to end, as root, with the binaries of this target directory
//! (`cargo test --workspace` builds `inspector` and `redirector` next to `attack-tests`):
//!
//! - chain mode: `lab up --json`, then our own traffic from the facts' client netns: a canary
//!   attack is blocked by the inspector (and in its audit log and counters), a benign request
//!   reaches the origin, the uncovered TCP flow connects, the denied one is dropped; a second
//!   `lab up` removes the first (stale) lab; `lab down` leaves no netns and no state.
//! - sidecar mode: `demo --per-family 2` (a slice of the demo) passes and cleans up.
//! - mixed mode (the examples' own placements): the Chain-placed main-logic is inspected by
//!   the node's inspector, the Sidecar-placed user-auth by its own sidecar (the only one);
//!   the inspectors' metrics carry the destination's namespace.
//!
//! Needs root, nft and iproute2: skipped loudly otherwise, a failure under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lab_support;

use std::process::Command;
use std::time::Instant;

use attack_tests::lab::client::Probe;
use lab_support::{Place, bin, http, prerequisites, send, up};

#[test]
fn chain_lab_blocks_the_canary_passes_benign_and_drops_denied_flows() {
    if !prerequisites("chain_lab_blocks_the_canary_passes_benign_and_drops_denied_flows") {
        return;
    }
    let start = Instant::now();
    let place = Place::new("c");
    let (facts, _) = up(&place, "chain");
    assert_eq!(facts.inspectors.len(), 1, "one chained inspector");
    let main = facts.pod("main-logic").unwrap();
    let (middleware, db) = (facts.pod("middleware").unwrap(), facts.pod("db").unwrap());
    assert!(facts.covered.contains(&format!("{}:8080", main.ip)), "{:?}", facts.covered);
    let addr = (main.ip, 8080).into();
    let probes = [
        http(addr, "/?id=1%27%20or%20%271%27%3D%271%27--"),
        http(addr, "/products?page=2&sort=price"),
        Probe { addr: (middleware.ip, 6379).into(), http: None, timeout_ms: 3000 },
        Probe { addr: (db.ip, 3306).into(), http: None, timeout_ms: 1000 },
    ];
    let got = send(&facts.client_netns, &probes);
    assert_eq!((got[0].status, got[0].origin.as_deref()), (Some(403), None), "canary: {:?}", got[0]);
    assert_eq!((got[1].status, got[1].origin.as_deref()), (Some(200), Some("main-logic")), "benign: {:?}", got[1]);
    let greeting = got[2].greeting.as_deref().unwrap_or_default();
    assert!(
        greeting.starts_with(&format!("middleware port=6379 peer={}:", facts.pod("frontend").unwrap().ip)),
        "uncovered: {:?}",
        got[2]
    );
    assert_eq!(got[3].error.as_deref(), Some("TimedOut"), "denied: {:?}", got[3]);
    let audit = std::fs::read_to_string(&facts.inspectors[0].audit_log).unwrap();
    assert!(
        audit.lines().any(|l| l.contains("\"verdict\":\"block\"") && l.contains(&format!("{}:8080", main.ip))),
        "{audit}"
    );
    let insp = &facts.inspectors[0];
    let mut scrape = Command::new("ip");
    scrape.args(["netns", "exec", &insp.metrics_netns]).arg(bin()).args(["lab-get", &insp.metrics_url]);
    let metrics = String::from_utf8(scrape.output().unwrap().stdout).unwrap();
    let blocked: f64 = attack_tests::demo::evidence::samples(&metrics, "chainwall_blocked_total")
        .iter()
        .filter(|(series, _)| series.contains("policy=\"web-detect\"") && series.contains("rule_id=\"949110\""))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(blocked, 1.0, "{metrics}");

    // A second `lab up` finds the first one and removes it before building.
    let (_, stderr) = up(&place, "chain");
    assert!(stderr.contains("removed a stale lab"), "{stderr}");
    let out = place.run(&["lab", "down"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    place.assert_clean();
    eprintln!("chain lab test: {:?}", start.elapsed());
}

#[test]
fn sidecar_demo_slice_passes_and_cleans_up() {
    if !prerequisites("sidecar_demo_slice_passes_and_cleans_up") {
        return;
    }
    let start = Instant::now();
    let place = Place::new("s");
    let out = place.run(&["demo", "--mode", "sidecar", "--per-family", "2"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("demo: PASS"), "{stdout}");
    assert!(stdout.contains("main-logic   canary       1        1       0       0"), "{stdout}");
    assert!(stdout.contains("no connection (TimedOut)"), "{stdout}");
    assert!(stdout.contains("inspector in ") && stdout.contains("audit log"), "{stdout}");
    place.assert_clean();
    eprintln!("sidecar demo slice: {:?}", start.elapsed());
}

/// The sum of `metric`'s samples in an inspector's `/metrics` whose series has every label.
fn scraped(insp: &attack_tests::lab::InspectorFacts, metric: &str, labels: &[&str]) -> (f64, String) {
    let mut scrape = Command::new("ip");
    scrape.args(["netns", "exec", &insp.metrics_netns]).arg(bin()).args(["lab-get", &insp.metrics_url]);
    let metrics = String::from_utf8(scrape.output().unwrap().stdout).unwrap();
    let sum = attack_tests::demo::evidence::samples(&metrics, metric)
        .iter()
        .filter(|(series, _)| labels.iter().all(|l| series.contains(l)))
        .map(|(_, v)| v)
        .sum();
    (sum, metrics)
}

#[test]
fn mixed_lab_inspects_each_flow_where_the_examples_place_it() {
    if !prerequisites("mixed_lab_inspects_each_flow_where_the_examples_place_it") {
        return;
    }
    let start = Instant::now();
    let place = Place::new("m");
    let (facts, _) = up(&place, "mixed");
    let (main, auth) = (facts.pod("main-logic").unwrap(), facts.pod("user-auth").unwrap());
    let netns: Vec<&str> = facts.inspectors.iter().map(|i| i.netns.as_str()).collect();
    assert_eq!(netns, [format!("{}-inspector", place.name), auth.netns.clone()], "chain inspector + one sidecar");
    let (chain, sidecar) = (&facts.inspectors[0], &facts.inspectors[1]);
    let canary = "/?id=1%27%20or%20%271%27%3D%271%27--";
    let probes = [
        http((main.ip, 8080).into(), canary),
        http((main.ip, 8080).into(), "/products?page=2&sort=price"),
        http((auth.ip, 8001).into(), &format!("/healthz{canary}")),
        http((auth.ip, 8001).into(), "/healthz"),
    ];
    let got = send(&facts.client_netns, &probes);
    assert_eq!((got[0].status, got[0].origin.as_deref()), (Some(403), None), "main-logic canary: {:?}", got[0]);
    assert_eq!(got[1].origin.as_deref(), Some("main-logic"), "main-logic benign: {:?}", got[1]);
    assert_eq!((got[2].status, got[2].origin.as_deref()), (Some(403), None), "user-auth canary: {:?}", got[2]);
    assert_eq!(got[3].origin.as_deref(), Some("user-auth"), "user-auth benign: {:?}", got[3]);
    let audited = |insp: &attack_tests::lab::InspectorFacts, dest: String| {
        let audit = std::fs::read_to_string(&insp.audit_log).unwrap_or_default();
        audit.lines().any(|l| l.contains("\"verdict\":\"block\"") && l.contains(&dest))
    };
    assert!(audited(chain, format!("{}:8080", main.ip)), "the chain inspector did not block main-logic's canary");
    assert!(audited(sidecar, format!("{}:8001", auth.ip)), "user-auth's sidecar did not block its canary");
    assert!(!audited(chain, format!("{}:8001", auth.ip)), "the chain inspector took a Sidecar-placed flow");
    for (insp, policy) in [(chain, "web-detect"), (sidecar, "web-strict")] {
        let labels = [&format!("policy=\"{policy}\"")[..], "namespace=\"shop\""];
        let (blocked, metrics) = scraped(insp, "chainwall_blocked_total", &labels);
        assert!(blocked >= 1.0, "{policy}: no block with namespace=\"shop\":\n{metrics}");
    }
    let out = place.run(&["lab", "down"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    place.assert_clean();
    eprintln!("mixed lab test: {:?}", start.elapsed());
}
