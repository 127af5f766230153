//! `redirector agent --inspector-policy FILE`, the real binary, against a fake apiserver on
//! loopback: the agent watches SecurityPolicies besides its RedirectPlan and, after a
//! successful reconcile, writes the inspector's policy file: the SecurityPolicy the plan's
//! inspected grant names, in Kubernetes shape, and the covered destination's flow. A changed
//! SecurityPolicy rewrites the file; an unchanged one leaves it alone. The plan names no
//! netns, so no kernel state is touched and no root is needed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_support;
mod fake_apiserver;

use std::sync::{Arc, Mutex};

use agent_support::{agent, plan};
use fake_apiserver::{FakeApi, Reply, Request};
use serde_json::{Value, json};

/// The fake's answers: the plan (no netns), its status patch, and the SecurityPolicy list.
fn route(plan: &Mutex<Value>, security: &Mutex<Value>, request: &Request) -> Reply {
    let t = request.target.as_str();
    if request.method == "GET"
        && t.starts_with("/apis/chainwall.dev/v1alpha1/securitypolicies?")
        && !t.contains("watch=true")
    {
        let items = vec![security.lock().unwrap().clone()];
        let list = json!({"apiVersion": "chainwall.dev/v1alpha1", "kind": "SecurityPolicyList",
                          "metadata": {"resourceVersion": "7"}, "items": items});
        return Reply::Json(200, list);
    }
    agent_support::route(plan, request)
}

fn security_policy(mode: &str) -> Value {
    json!({"apiVersion": "chainwall.dev/v1alpha1", "kind": "SecurityPolicy",
           "metadata": {"name": "strict", "resourceVersion": "3"},
           "spec": {"mode": mode, "failureMode": "Closed"}})
}

#[test]
fn the_agent_writes_the_inspector_policy_file_from_its_plan_and_the_security_policies() {
    let mut served = plan(1, &["10.253.12.3"], "unused");
    served["spec"].as_object_mut().unwrap().remove("netns");
    let (plan_served, security) = (Arc::new(Mutex::new(served)), Arc::new(Mutex::new(security_policy("Block"))));
    let (p, s) = (plan_served.clone(), security.clone());
    let api = FakeApi::start(move |r| route(&p, &s, r));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.yaml");
    let flag = ["--inspector-policy", file.to_str().unwrap()];

    let out = agent(api.kubeconfig(), &flag);
    assert!(out.contains("inspector policy: wrote") && out.contains("(1 flows)"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("destination: 10.253.12.2:8080") && text.contains("policy: strict"), "{text}");
    assert!(text.contains("kind: SecurityPolicy") && text.contains("mode: Block"), "{text}");
    let listed = api.seen().iter().any(|r| r.target.starts_with("/apis/chainwall.dev/v1alpha1/securitypolicies?"));
    assert!(listed, "the agent never listed SecurityPolicies");

    // Unchanged: not rewritten.
    let again = agent(api.kubeconfig(), &flag);
    assert!(!again.contains("inspector policy: wrote"), "{again}");

    // The SecurityPolicy changes: the file follows.
    *security.lock().unwrap() = security_policy("Detect");
    let changed = agent(api.kubeconfig(), &flag);
    assert!(changed.contains("inspector policy: wrote"), "{changed}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("mode: Detect") && !text.contains("mode: Block"), "{text}");
}
