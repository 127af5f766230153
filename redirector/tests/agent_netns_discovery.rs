//! `redirector agent --discover-netns` finds the netns of pods the plan names none for, by
//! their IP: one bind-mounted under `/run/netns` and one held only by a process
//! (`/proc/<pid>/ns/net`), on the real kernel, with the plan from a fake apiserver. Needs root,
//! nft and iproute2 (skips loudly otherwise; fails under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_support;
mod fake_apiserver;
mod netns_support;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_support::{Netns, agent, plan, route, ruleset};
use fake_apiserver::FakeApi;
use serde_json::json;

/// A process alone in a new netns, killed by PID when dropped.
struct Lone(std::process::Child);

impl Drop for Lone {
    fn drop(&mut self) {
        _ = self.0.kill();
        _ = self.0.wait();
    }
}

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Puts `ip` on the loopback interface of the netns `enter` reaches (`ip netns exec NAME` or
/// `nsenter --net=PATH`): a pod's address, without a veth.
fn address(enter: &[&str], ip: &str) {
    sh(&[enter, &["ip", "addr", "add", &format!("{ip}/32"), "dev", "lo"]].concat());
    sh(&[enter, &["ip", "link", "set", "lo", "up"]].concat());
}

#[test]
fn pods_without_a_netns_annotation_are_found_by_their_ip() {
    if !netns_support::prerequisites("agent_netns_discovery") {
        return;
    }
    let ns = Netns(format!("cwfind{}", std::process::id()));
    sh(&["ip", "netns", "add", &ns.0]);
    address(&["ip", "netns", "exec", &ns.0], "10.253.12.2");
    let lone = Lone(Command::new("unshare").args(["--net", "sleep", "60"]).spawn().unwrap());
    let proc_path = format!("/proc/{}/ns/net", lone.0.id());
    let start = Instant::now();
    while std::fs::read_link(&proc_path).ok() == std::fs::read_link("/proc/self/ns/net").ok() {
        assert!(start.elapsed() < Duration::from_secs(5), "unshare did not enter a new netns");
        std::thread::sleep(Duration::from_millis(20));
    }
    address(&["nsenter", &format!("--net={proc_path}")], "10.253.12.5");

    let mut served = plan(1, &["10.253.12.3"], "unused");
    served["spec"]["netns"] = json!({});
    let mut api_pod = served["spec"]["pods"][0].clone();
    api_pod["pod"] = json!("shop/api");
    api_pod["ip"] = json!("10.253.12.5");
    served["spec"]["pods"].as_array_mut().unwrap().insert(0, api_pod);
    let served = Arc::new(Mutex::new(served));
    let api = FakeApi::start(move |r| route(&served, r));

    let out = agent(api.kubeconfig(), &["--discover-netns"]);
    assert!(out.contains(&format!("pod shop/web (netns /run/netns/{}): applied", ns.0)), "{out}");
    assert!(out.contains(&format!("pod shop/api (netns {proc_path}): applied")), "{out}");
    assert!(ruleset(&ns.0).contains("table inet chainwall"));
    let inside =
        Command::new("nsenter").args([&format!("--net={proc_path}"), "nft", "list", "ruleset"]).output().unwrap();
    assert!(String::from_utf8_lossy(&inside.stdout).contains("table inet chainwall"));
    let without = agent(api.kubeconfig(), &[]);
    assert!(!without.contains("applied"), "without --discover-netns nothing is found: {without}");
}
