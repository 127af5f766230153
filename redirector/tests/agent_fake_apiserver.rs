//! `redirector agent`, the real binary, against a fake apiserver on loopback (plain HTTP, a
//! kubeconfig pointing at it) and the real kernel: it programs a pod netns from its node's
//! RedirectPlan and reports back in the status; restarted with the same plan it changes
//! nothing (same handles) and writes no status; a new generation is an element update.
//! A real apiserver is a later issue; this fake answers only the list, watch and status patch
//! the agent makes.
//! Needs root, nft and iproute2 (skips loudly otherwise; fails under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;

mod fake_apiserver;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_apiserver::{FakeApi, Reply, Request};
use serde_json::{Value, json};

/// The plan the fake serves, with the status the agent last patched in.
fn route(plan: &Mutex<Value>, request: &Request) -> Reply {
    let mut plan = plan.lock().unwrap();
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", t) if t.contains("watch=true") => Reply::Hold,
        ("GET", t) if t.starts_with("/apis/chainwall.dev/v1alpha1/redirectplans?") => {
            assert!(t.contains("fieldSelector=metadata.name%3Dnode-a"), "{t}");
            Reply::Json(
                200,
                json!({"apiVersion": "chainwall.dev/v1alpha1", "kind": "RedirectPlanList",
                                     "metadata": {"resourceVersion": "5"}, "items": [plan.clone()]}),
            )
        }
        ("PATCH", t) if t.starts_with("/apis/chainwall.dev/v1alpha1/redirectplans/node-a/status") => {
            plan["status"] = request.body["status"].clone();
            Reply::Json(200, plan.clone())
        }
        (method, target) => panic!("unexpected request {method} {target}"),
    }
}

fn plan(generation: i64, peers: &[&str], netns: &str) -> Value {
    json!({
        "apiVersion": "chainwall.dev/v1alpha1", "kind": "RedirectPlan",
        "metadata": {"name": "node-a", "generation": generation, "resourceVersion": format!("{generation}")},
        "spec": {
            "node": "node-a",
            "pods": [{"pod": "shop/web", "ip": "10.253.9.2", "ingress": [{
                "policy": "shop/web", "peers": "shop/web/ingress/0",
                "ports": [{"protocol": "TCP", "first": 8080, "last": 8080}],
                "inspect": {"securityPolicy": "strict", "placement": "Sidecar"}}]}],
            "addressSets": {"shop/web/ingress/0": {"addresses": peers}},
            "failureModes": {"strict": "Closed"},
            "netns": {"shop/web": netns}
        }
    })
}

/// Deletes the netns, also on panic.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Runs `redirector agent --once` to its end (killed by PID after 30 s); returns stdout.
fn agent(kubeconfig: &std::path::Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redirector"))
        .args(["agent", "--node", "node-a", "--mode", "sidecar", "--once"])
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            _ = child.kill();
            panic!("the agent did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "agent failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ruleset(ns: &str) -> String {
    let out = Command::new("ip").args(["netns", "exec", ns, "nft", "-a", "list", "ruleset"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_agent_programs_its_plan_reports_it_and_never_flushes_on_restart() {
    if !netns_support::prerequisites("agent_fake_apiserver") {
        return;
    }
    let ns = Netns(format!("cwagent{}", std::process::id()));
    assert!(Command::new("ip").args(["netns", "add", &ns.0]).status().unwrap().success());
    let plan_served = Arc::new(Mutex::new(plan(1, &["10.253.9.3"], &ns.0)));
    let served = plan_served.clone();
    let api = FakeApi::start(move |r| route(&served, r));
    let kubeconfig = api.kubeconfig().to_owned();
    let patches = || -> Vec<Value> { api.seen().into_iter().filter(|r| r.method == "PATCH").map(|r| r.body).collect() };

    assert!(!ruleset(&ns.0).contains("chainwall"), "canary: the netns starts empty");
    let first = agent(&kubeconfig);
    assert!(first.contains("pod shop/web"), "{first}");
    let rules = ruleset(&ns.0);
    assert!(rules.contains("table inet chainwall") && rules.contains("10.253.9.3"), "{rules}");
    assert!(rules.contains("redirect to :15006"), "{rules}");
    {
        let patches = patches();
        assert_eq!(patches.len(), 1);
        let status = &patches[0]["status"];
        assert_eq!((status["observedGeneration"].as_i64(), status["pods"].as_i64()), (Some(1), Some(1)));
        assert_eq!(
            (status["conditions"][0]["type"].as_str(), status["conditions"][0]["status"].as_str()),
            (Some("Programmed"), Some("True"))
        );
        assert!(status["error"].is_null());
    }

    // A restart with the same plan: nothing applied, same handles, no status write.
    let again = agent(&kubeconfig);
    assert!(!again.contains("applied"), "{again}");
    assert_eq!(ruleset(&ns.0), rules, "a restart never flushes or rewrites");
    assert_eq!(patches().len(), 1, "an unchanged status is not written");

    // Generation 2 adds a peer: element updates only, no table replaced (the interval set's
    // 10.253.9.3 becomes the range 10.253.9.3-10.253.9.4: one delete, one add); reported for
    // generation 2, and a later run reads the merged range back as the plan.
    {
        let mut served = plan_served.lock().unwrap();
        let status = served["status"].clone();
        *served = plan(2, &["10.253.9.3", "10.253.9.4"], &ns.0);
        served["status"] = status;
    }
    let update = agent(&kubeconfig);
    assert!(update.contains("applied (replaced [], deleted [], 2 element changes)"), "{update}");
    assert!(ruleset(&ns.0).contains("10.253.9.4"));
    let patches = patches();
    assert_eq!(patches.len(), 2);
    assert_eq!(patches[1]["status"]["observedGeneration"], 2);
    let settled = ruleset(&ns.0);
    let idle = agent(&kubeconfig);
    assert!(!idle.contains("applied"), "the kernel's merged range reads back as the plan: {idle}");
    assert_eq!(ruleset(&ns.0), settled);
}
