//! `redirector controller`, the real binary, against a fake apiserver on loopback that serves
//! fixed lists, holds every watch open, and keeps a Lease with resourceVersion conflicts as
//! the apiserver does. Two replicas run: exactly one leads and writes (plans for both nodes,
//! the finalizer, statuses, an Event for the bad policy); when it is killed, the other takes
//! the Lease over once it expires. A Lease held fresh by someone else means no writes at all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fake_apiserver;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_apiserver::{FakeApi, Reply, Request, status};
use serde_json::{Value, json};

const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/chainwall-system/leases";

fn list(kind: &str, api_version: &str, items: Value) -> Reply {
    Reply::Json(
        200,
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": "1"}, "items": items}),
    )
}

fn policy(name: &str, port: u16) -> Value {
    json!({"apiVersion": "chainwall.dev/v1alpha1", "kind": "L7NetworkPolicy",
           "metadata": {"name": name, "namespace": "shop", "generation": 1, "resourceVersion": "7", "uid": name},
           "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": port}]}],
                    "securityPolicyRef": {"name": "strict"}}})
}

fn pod(name: &str, node: &str, ip: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
           "spec": {"nodeName": node, "containers": [{"name": "c"}]}, "status": {"podIP": ip, "phase": "Running"}})
}

/// The cluster, and a Lease store that refuses stale writes (409) like the apiserver.
fn route(lease: &Mutex<Option<Value>>, r: &Request) -> Reply {
    let t = r.target.as_str();
    match r.method.as_str() {
        "GET" if t.contains("watch=true") => Reply::Hold,
        "GET" if t.starts_with("/api/v1/namespaces?") => {
            list("NamespaceList", "v1", json!([{"metadata": {"name": "shop"}}]))
        }
        "GET" if t.starts_with("/api/v1/pods?") => {
            list("PodList", "v1", json!([pod("web", "node-a", "10.0.0.2"), pod("client", "node-b", "10.0.0.3")]))
        }
        "GET" if t.starts_with("/api/v1/nodes?") => {
            list("NodeList", "v1", json!([{"metadata": {"name": "node-a"}}, {"metadata": {"name": "node-b"}}]))
        }
        "GET" if t.starts_with("/apis/chainwall.dev/v1alpha1/l7networkpolicies?") => {
            list("L7NetworkPolicyList", "chainwall.dev/v1alpha1", json!([policy("web", 8080), policy("bad", 0)]))
        }
        "GET" if t.starts_with("/apis/chainwall.dev/v1alpha1/securitypolicies?") => list(
            "SecurityPolicyList",
            "chainwall.dev/v1alpha1",
            json!([{"apiVersion": "chainwall.dev/v1alpha1", "kind": "SecurityPolicy", "metadata": {"name": "strict"}, "spec": {}}]),
        ),
        "GET" if t.starts_with("/apis/chainwall.dev/v1alpha1/redirectplans?") => {
            list("RedirectPlanList", "chainwall.dev/v1alpha1", json!([]))
        }
        "GET" if t.starts_with(&format!("{LEASE}/chainwall-controller")) => {
            lease.lock().unwrap().clone().map_or(Reply::Json(404, status(404, "NotFound")), |l| Reply::Json(200, l))
        }
        "POST" | "PUT" if t.starts_with(LEASE) => {
            let mut current = lease.lock().unwrap();
            let version = current.as_ref().map(|l| l["metadata"]["resourceVersion"].clone());
            let fresh = r.method == "POST" && current.is_none();
            if !fresh && (r.method == "POST" || version.as_ref() != Some(&r.body["metadata"]["resourceVersion"])) {
                return Reply::Json(409, status(409, "Conflict"));
            }
            let mut next = r.body.clone();
            let n = version.and_then(|v| v.as_str().and_then(|v| v.parse::<u64>().ok())).unwrap_or(0) + 1;
            next["metadata"]["resourceVersion"] = json!(n.to_string());
            *current = Some(next.clone());
            Reply::Json(if fresh { 201 } else { 200 }, next)
        }
        "PATCH" if t.contains("/l7networkpolicies/") => Reply::Json(200, policy("web", 8080)),
        "PATCH" if t.starts_with("/apis/chainwall.dev/v1alpha1/redirectplans/") => Reply::Json(200, r.body.clone()),
        "POST" if t.starts_with("/apis/events.k8s.io/v1/namespaces/shop/events") => Reply::Json(201, r.body.clone()),
        _ => panic!("unexpected request {} {t}", r.method),
    }
}

/// A controller replica, killed by PID when dropped.
struct Replica(Child, u16);

impl Replica {
    fn start(api: &FakeApi, identity: &str) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_redirector"))
            .args(["controller", "--metrics-listen", &format!("127.0.0.1:{port}"), "--lease-secs", "3"])
            .args(["--identity", identity, "--lease-namespace", "chainwall-system"])
            .env("KUBECONFIG", api.kubeconfig())
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Replica(child, port)
    }

    /// `chainwall_controller_leader`, once the metrics endpoint answers.
    fn leader(&self) -> Option<bool> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.1)).ok()?;
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        text.lines().find_map(|l| l.strip_prefix("chainwall_controller_leader ")).map(|v| v == "1")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        _ = self.0.kill();
        _ = self.0.wait();
    }
}

/// Waits (at most 20 s) until `done` holds.
fn until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn writes(api: &FakeApi) -> Vec<Request> {
    api.seen().into_iter().filter(|r| r.method != "GET" && !r.target.starts_with(LEASE)).collect()
}

#[test]
fn of_two_replicas_one_leads_and_writes_and_the_other_takes_over_when_it_dies() {
    let lease = Arc::new(Mutex::new(None));
    let held = lease.clone();
    let api = FakeApi::start(move |r| route(&held, r));
    let a = Replica::start(&api, "replica-a");
    let b = Replica::start(&api, "replica-b");
    until("a leader", || a.leader().is_some() && b.leader().is_some() && a.leader() != b.leader());
    let (leader, follower) = if a.leader() == Some(true) { (a, b) } else { (b, a) };
    let holder = || lease.lock().unwrap().as_ref().map(|l| l["spec"]["holderIdentity"].as_str().unwrap().to_owned());
    let leader_id = holder().unwrap();

    let wrote = |pattern: &str| writes(&api).iter().any(|r| r.target.contains(pattern));
    until("the leader's writes", || {
        ["redirectplans/node-a?", "redirectplans/node-b?", "/web/status?", "/bad/status?", "/events?"]
            .iter()
            .all(|p| wrote(p))
    });
    let all = writes(&api);
    let plan_a = all.iter().find(|r| r.target.contains("redirectplans/node-a?")).unwrap();
    assert!(plan_a.target.contains("fieldManager=chainwall-controller"), "{}", plan_a.target);
    assert_eq!(plan_a.body["spec"]["pods"][0]["pod"], "shop/web");
    let finalizer = all.iter().find(|r| r.target.ends_with("/l7networkpolicies/web?")).unwrap();
    assert_eq!(finalizer.body["metadata"]["finalizers"], json!(["chainwall.dev/dataplane-cleanup"]));
    let event = all.iter().find(|r| r.target.contains("/events?")).unwrap();
    assert_eq!(
        (event.body["reason"].as_str(), event.body["regarding"]["name"].as_str()),
        (Some("InvalidSpec"), Some("bad"))
    );
    for event in all.iter().filter(|r| r.target.contains("/events?")) {
        assert_eq!(event.body["reportingInstance"].as_str(), Some(leader_id.as_str()), "only the leader writes");
    }

    drop(leader);
    until("the follower's takeover", || follower.leader() == Some(true));
    assert_ne!(holder().unwrap(), leader_id);
    assert!(lease.lock().unwrap().as_ref().unwrap()["spec"]["leaseTransitions"].as_i64() >= Some(1));
}

#[test]
fn a_fresh_lease_of_someone_else_means_no_writes() {
    let now = k8s_openapi::jiff::Timestamp::now();
    let foreign = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "chainwall-controller", "namespace": "chainwall-system", "resourceVersion": "1"},
        "spec": {"holderIdentity": "elsewhere", "leaseDurationSeconds": 300, "renewTime": now.to_string()}});
    let lease = Arc::new(Mutex::new(Some(foreign)));
    let held = lease.clone();
    let api = FakeApi::start(move |r| route(&held, r));
    let replica = Replica::start(&api, "replica-c");
    until("the metrics endpoint", || replica.leader().is_some());
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(replica.leader(), Some(false));
    let lists =
        api.seen().iter().filter(|r| r.target.starts_with("/apis/chainwall.dev/v1alpha1/redirectplans?")).count();
    assert!(lists >= 1, "the follower keeps its stores warm");
    assert!(writes(&api).is_empty(), "{:?}", writes(&api));
    assert!(api.seen().iter().all(|r| r.method == "GET"), "not even a Lease write");
}
