//! The node agent killed mid-apply and restarted, chain mode on the real kernel with the real
//! inspector: `redirector local` (100 ms interval) keeps applying element updates (a pod's
//! manifest toggles every 150 ms) and is SIGKILLed at several moments, and restarted each
//! time. Meanwhile one thread lists the Chainwall tables of the node and inspector netns
//! without pause (they are never absent), and a client keeps sending covered requests: each
//! is answered, and the inspector counted every one (none reached the server past it).
//! Root, nft and the inspector binary (`cargo build -p inspector`) required: skipped loudly
//! otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;
mod node_lab;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use netns_support::agent::Agent;
use netns_support::manifests::Pod;
use netns_support::real::inspector_or_skip;
use netns_support::{Lab, NET, helpers, prerequisites};
use node_lab::{client_loop, inspector_metric};

/// Not a test: the entry point of the helper processes (see `netns_support::helpers`).
#[test]
fn helper() {
    helpers::run_if_asked();
}

const CLIENT: Pod = Pod { name: "client", app: "client", octet: 10 };
const TOGGLED: Pod = Pod { name: "toggled", app: "client", octet: 11 };
const SERVER: Pod = Pod { name: "server", app: "server", octet: 20 };

/// Lists the three Chainwall tables until `stop`; how many listings, and the failures.
fn watch_tables(lab: &Lab, stop: &AtomicBool) -> (usize, Vec<String>) {
    let (node, insp) = (lab.netns("node"), lab.netns("insp"));
    let tables = [(&node, "bridge"), (&node, "inet"), (&insp, "inet")];
    let (mut listings, mut missing) = (0, Vec::new());
    while !stop.load(Ordering::Relaxed) && listings < 20_000 {
        for (ns, family) in tables {
            let out =
                Command::new("ip").args(["netns", "exec", ns, "nft", "list", "table", family, "chainwall"]).output();
            listings += 1;
            if !out.is_ok_and(|o| o.status.success()) {
                missing.push(format!("{family} chainwall in {ns} at listing {listings}"));
            }
        }
    }
    (listings, missing)
}

/// An agent process of this test, SIGKILLed by PID on drop; its stdout drained by a thread.
struct Running(Child);

impl Running {
    fn start(lab: &Lab, dir: &Path, policy: &Path) -> Running {
        let mut child = node_lab::agent_in_node(lab, dir, policy);
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            BufReader::new(stdout).lines().map_while(Result::ok).for_each(|l| eprintln!("agent: {l}"))
        });
        Running(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        _ = self.0.kill();
        _ = self.0.wait();
    }
}

#[test]
fn an_agent_killed_mid_apply_leaves_every_table_and_no_request_uninspected() {
    let name = "an_agent_killed_mid_apply_leaves_every_table_and_no_request_uninspected";
    if !prerequisites(name) {
        return;
    }
    let Some(binary) = inspector_or_skip(name) else { return };
    let mut lab = Lab::new("ka");
    let client = lab.pod("client", 10);
    lab.pod("toggled", 11);
    lab.pod("insp", 30);
    let server = lab.pod("server", 20);
    lab.spawn(&server, "http:server:8080");
    let tmp = tempfile::tempdir().unwrap();
    let (dir, policy, audit) = (tmp.path().join("manifests"), tmp.path().join("policy.yaml"), tmp.path().join("audit"));
    std::fs::create_dir(&dir).unwrap();
    node_lab::write_manifests(&dir, &lab, &[CLIENT, SERVER]);
    let child = node_lab::agent_in_node(&lab, &dir, &policy);
    let mut first = Agent::start(&mut lab, child);
    first.line(|l| l.starts_with("inspector ("));
    node_lab::start_inspector(&mut lab, &binary, &policy, &audit);
    first.line(|l| l == "inspector health: Healthy");
    lab.kill(first.index);
    let srv = format!("{NET}.20");
    let inspected = |lab: &Lab| inspector_metric(lab, "chainwall_requests_total", &["policy=\"lab-waf\""]);
    let before = inspected(&lab);

    let stop = AtomicBool::new(false);
    let lab = &lab;
    let ((listings, missing), results) = std::thread::scope(|s| {
        let tables = s.spawn(|| watch_tables(lab, &stop));
        let looping = s.spawn(|| client_loop(lab, &client, &srv, 8080, &stop));
        let mut toggle = false;
        // Each agent starts, applies the toggled pod's changes, and is SIGKILLed after `ms`.
        for ms in [120u64, 260, 40, 400, 180, 90, 330] {
            let agent = Running::start(lab, &dir, &policy);
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(ms) {
                toggle = !toggle;
                let pods = if toggle { vec![CLIENT, TOGGLED, SERVER] } else { vec![CLIENT, SERVER] };
                node_lab::write_manifests(&dir, lab, &pods);
                std::thread::sleep(Duration::from_millis(ms.min(150) / 2));
            }
            drop(agent);
        }
        let last = Running::start(lab, &dir, &policy);
        std::thread::sleep(Duration::from_millis(800));
        stop.store(true, Ordering::Relaxed);
        let out = (tables.join().unwrap(), looping.join().unwrap());
        drop(last);
        out
    });
    eprintln!("{listings} table listings, {} requests", results.len());
    assert!(missing.is_empty(), "a Chainwall table was absent: {missing:?}");
    let passed = results.iter().filter(|r| matches!(r, Ok((200, _)))).count();
    assert_eq!(passed, results.len(), "a covered request failed while the agent was killed: {results:?}");
    assert!(passed >= 10, "too few requests: {passed}");
    assert_eq!(inspected(lab) - before, passed as f64, "a covered request reached the server past the inspector");
}
