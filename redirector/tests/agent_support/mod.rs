//! Helpers of the agent's end-to-end tests: the fake apiserver's routes for one RedirectPlan,
//! plans, running the real `redirector agent --once`, and reading a netns' ruleset.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fake_apiserver::{Reply, Request};

/// The plan the fake serves, with the status the agent last patched in.
pub fn route(plan: &Mutex<Value>, request: &Request) -> Reply {
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

pub fn plan(generation: i64, peers: &[&str], netns: &str) -> Value {
    json!({
        "apiVersion": "chainwall.dev/v1alpha1", "kind": "RedirectPlan",
        "metadata": {"name": "node-a", "generation": generation, "resourceVersion": format!("{generation}")},
        "spec": {
            "node": "node-a",
            "pods": [{"pod": "shop/web", "ip": "10.253.12.2", "ingress": [{
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
pub struct Netns(pub String);

impl Drop for Netns {
    fn drop(&mut self) {
        _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Runs `redirector agent --once` to its end (killed by PID after 30 s); returns stdout.
pub fn agent(kubeconfig: &std::path::Path, extra: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redirector"))
        .args(["agent", "--node", "node-a", "--mode", "sidecar", "--once"])
        .args(extra)
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

pub fn ruleset(ns: &str) -> String {
    let out = Command::new("ip").args(["netns", "exec", ns, "nft", "-a", "list", "ruleset"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
