//! `redirector agent`, the real binary, against a fake apiserver on loopback (plain HTTP, a
//! kubeconfig pointing at it) and the real kernel: it programs a pod netns from its node's
//! RedirectPlan and reports back in the status; restarted with the same plan it changes
//! nothing (same handles) and writes no status; a new generation is an element update.
//! A real apiserver is a later issue; this fake answers only the list, watch and status patch
//! the agent makes. Needs root, nft and iproute2 (skips loudly otherwise; fails under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_support;
mod fake_apiserver;
mod netns_support;

use std::process::Command;
use std::sync::{Arc, Mutex};

use agent_support::{Netns, agent, plan, route, ruleset};
use fake_apiserver::FakeApi;
use serde_json::Value;

#[test]
fn the_agent_programs_its_plan_reports_it_and_never_flushes_on_restart() {
    if !netns_support::prerequisites("agent_fake_apiserver") {
        return;
    }
    let ns = Netns(format!("cwagent{}", std::process::id()));
    assert!(Command::new("ip").args(["netns", "add", &ns.0]).status().unwrap().success());
    let plan_served = Arc::new(Mutex::new(plan(1, &["10.253.12.3"], &ns.0)));
    let served = plan_served.clone();
    let api = FakeApi::start(move |r| route(&served, r));
    let kubeconfig = api.kubeconfig().to_owned();
    let patches = || -> Vec<Value> { api.seen().into_iter().filter(|r| r.method == "PATCH").map(|r| r.body).collect() };

    assert!(!ruleset(&ns.0).contains("chainwall"), "canary: the netns starts empty");
    let first = agent(&kubeconfig, &[]);
    assert!(first.contains("pod shop/web"), "{first}");
    let rules = ruleset(&ns.0);
    assert!(rules.contains("table inet chainwall") && rules.contains("10.253.12.3"), "{rules}");
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
    let again = agent(&kubeconfig, &[]);
    assert!(!again.contains("applied"), "{again}");
    assert_eq!(ruleset(&ns.0), rules, "a restart never flushes or rewrites");
    assert_eq!(patches().len(), 1, "an unchanged status is not written");

    // Generation 2 adds a peer: one element added to the peers' plain address set, no table
    // replaced; reported for generation 2, and a later run reads the kernel back as the plan.
    {
        let mut served = plan_served.lock().unwrap();
        let status = served["status"].clone();
        *served = plan(2, &["10.253.12.3", "10.253.12.4"], &ns.0);
        served["status"] = status;
    }
    let update = agent(&kubeconfig, &[]);
    assert!(update.contains("applied (replaced [], deleted [], 1 element changes)"), "{update}");
    assert!(ruleset(&ns.0).contains("10.253.12.4"));
    let patches = patches();
    assert_eq!(patches.len(), 2);
    assert_eq!(patches[1]["status"]["observedGeneration"], 2);
    let settled = ruleset(&ns.0);
    let idle = agent(&kubeconfig, &[]);
    assert!(!idle.contains("applied"), "the kernel reads back as the plan: {idle}");
    assert_eq!(ruleset(&ns.0), settled);
}
