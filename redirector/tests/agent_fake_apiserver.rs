//! `redirector agent`, the real binary, against a fake apiserver on loopback (plain HTTP, a
//! kubeconfig pointing at it) and the real kernel: it programs a pod netns from its node's
//! RedirectPlan and reports back in the status; restarted with the same plan it changes
//! nothing (same handles) and writes no status; a new generation is an element update.
//! A real apiserver is a later issue; this fake answers only the list, watch and status patch
//! the agent makes.
//! Needs root, nft and iproute2 (skips loudly otherwise; fails under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the fake apiserver serves and what it was sent.
#[derive(Default)]
struct State {
    plan: Value,
    status_patches: Vec<Value>,
}

fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    for stream in listener.incoming().flatten() {
        let state = state.clone();
        std::thread::spawn(move || connection(stream, &state));
    }
}

/// HTTP/1.1 requests on one connection until it closes; a watch is never answered (held open).
fn connection(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let target = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let reply = {
            let mut s = state.lock().unwrap();
            if line.starts_with("GET ") && target.contains("watch=true") {
                None
            } else if line.starts_with("GET /apis/chainwall.dev/v1alpha1/redirectplans?") {
                assert!(target.contains("fieldSelector=metadata.name%3Dnode-a"), "{target}");
                let list = json!({"apiVersion": "chainwall.dev/v1alpha1", "kind": "RedirectPlanList",
                                  "metadata": {"resourceVersion": "5"}, "items": [s.plan.clone()]});
                Some(list)
            } else if line.starts_with("PATCH /apis/chainwall.dev/v1alpha1/redirectplans/node-a/status") {
                let patch: Value = serde_json::from_slice(&body).unwrap();
                s.plan["status"] = patch["status"].clone();
                s.status_patches.push(patch);
                Some(s.plan.clone())
            } else {
                panic!("unexpected request {line}");
            }
        };
        let Some(reply) = reply else {
            std::thread::sleep(Duration::from_secs(30)); // a held watch; the agent exits first
            return;
        };
        let text = reply.to_string();
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", text.len());
        out.write_all(head.as_bytes()).unwrap();
        out.write_all(text.as_bytes()).unwrap();
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
    let state = Arc::new(Mutex::new(State { plan: plan(1, &["10.253.9.3"], &ns.0), ..State::default() }));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = state.clone();
    std::thread::spawn(move || serve(listener, served));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n\
             users: [{{name: u, user: {{}}}}]\ncontexts: [{{name: c, context: {{cluster: fake, user: u}}}}]\ncurrent-context: c\n"
        ),
    )
    .unwrap();

    assert!(!ruleset(&ns.0).contains("chainwall"), "canary: the netns starts empty");
    let first = agent(&kubeconfig);
    assert!(first.contains("pod shop/web"), "{first}");
    let rules = ruleset(&ns.0);
    assert!(rules.contains("table inet chainwall") && rules.contains("10.253.9.3"), "{rules}");
    assert!(rules.contains("redirect to :15006"), "{rules}");
    {
        let s = state.lock().unwrap();
        assert_eq!(s.status_patches.len(), 1);
        let status = &s.status_patches[0]["status"];
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
    assert_eq!(state.lock().unwrap().status_patches.len(), 1, "an unchanged status is not written");

    // Generation 2 adds a peer: element updates only, no table replaced (the interval set's
    // 10.253.9.3 becomes the range 10.253.9.3-10.253.9.4: one delete, one add); reported for
    // generation 2, and a later run reads the merged range back as the plan.
    {
        let mut s = state.lock().unwrap();
        let status = s.plan["status"].clone();
        s.plan = plan(2, &["10.253.9.3", "10.253.9.4"], &ns.0);
        s.plan["status"] = status;
    }
    let update = agent(&kubeconfig);
    assert!(update.contains("applied (replaced [], deleted [], 2 element changes)"), "{update}");
    assert!(ruleset(&ns.0).contains("10.253.9.4"));
    {
        let s = state.lock().unwrap();
        assert_eq!(s.status_patches.len(), 2);
        assert_eq!(s.status_patches[1]["status"]["observedGeneration"], 2);
    }
    let settled = ruleset(&ns.0);
    let idle = agent(&kubeconfig);
    assert!(!idle.contains("applied"), "the kernel's merged range reads back as the plan: {idle}");
    assert_eq!(ruleset(&ns.0), settled);
}
