//! What the node-agent tests add to [`netns_support`](super::netns_support): `redirector
//! local` as a node agent in the node netns (chain mode, its `/readyz` probe aimed at the real
//! inspector, its `/metrics` on the node's loopback, the inspector's policy file), the real
//! inspector with its metrics on every address (the agent probes `/readyz` from the node), and
//! reading a metric from either endpoint.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::netns_support::{BRIDGE, Lab, NET};

/// The inspector's metrics and `/readyz` port.
pub const INSPECTOR_METRICS: u16 = 15090;
/// The agent's metrics port, on the node netns' loopback.
pub const AGENT_METRICS: u16 = 15091;

/// Chain-mode `redirector local` in the node netns, polling every 200 ms, writing `policy`,
/// probing the real inspector's `/readyz` and serving its metrics; stdout piped.
pub fn agent_in_node(lab: &Lab, dir: &Path, policy: &Path) -> Child {
    lab.ip(&lab.netns("node"), "link set lo up");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &lab.netns("node"), env!("CARGO_BIN_EXE_redirector")]);
    cmd.args(["local", "--mode", "chain", "--node", "lab-node", "--interval-ms", "200"]).arg("--manifests").arg(dir);
    cmd.args(["--bridge", BRIDGE, "--inspector-netns", &lab.netns("insp")]);
    cmd.args(["--inspector-veth", "v-insp", "--inspector-mac", &Lab::mac(30)]);
    cmd.args(["--inspector-ip", &format!("{NET}.30")]);
    cmd.args(["--inspector-readyz", &format!("http://{NET}.30:{INSPECTOR_METRICS}/readyz")]);
    cmd.args(["--metrics-listen", &format!("127.0.0.1:{AGENT_METRICS}")]);
    cmd.arg("--inspector-policy").arg(policy);
    cmd.stdout(Stdio::piped()).spawn().unwrap()
}

/// The real inspector in the `insp` netns in TPROXY mode with `policy` (killed by PID on
/// drop); its index for [`Lab::kill`]. Waits for its `/readyz`.
pub fn start_inspector(lab: &mut Lab, binary: &PathBuf, policy: &Path, audit: &Path) -> usize {
    let insp = lab.netns("insp");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &insp]).arg(binary);
    cmd.args(["--transparent", "tproxy", "--listen", "0.0.0.0:15001", "--tproxy-mark", "0x1"]);
    cmd.arg("--policy").arg(policy).arg("--audit-log").arg(audit);
    cmd.args(["--metrics-listen", &format!("0.0.0.0:{INSPECTOR_METRICS}")]).stdout(Stdio::null());
    let index = lab.adopt(cmd.spawn().unwrap());
    let start = Instant::now();
    while lab.get(&insp, "127.0.0.1", INSPECTOR_METRICS, "/readyz", 500).map(|(s, _)| s) != Ok(200) {
        assert!(start.elapsed() < Duration::from_secs(60), "the inspector never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    index
}

/// The sum of the samples of `metric` served on `ns`'s `127.0.0.1:port` whose labels include
/// every one of `labels`; 0 when there is none yet.
pub fn metric(lab: &Lab, ns: &str, port: u16, metric: &str, labels: &[&str]) -> f64 {
    let (_, body) = lab.get(ns, "127.0.0.1", port, "/metrics", 2000).unwrap();
    // The get helper flattens the body onto one line: samples are separated by spaces.
    let words: Vec<&str> = [""].into_iter().chain(body.split_whitespace()).collect();
    let name_matches = |w: &str| w == metric || w.starts_with(&format!("{metric}{{"));
    // A sample is `NAME{LABELS} VALUE`; `# HELP NAME text` and `# TYPE NAME kind` are not.
    words
        .windows(3)
        .filter(|w| !matches!(w[0], "HELP" | "TYPE") && name_matches(w[1]) && labels.iter().all(|l| w[1].contains(l)))
        .filter_map(|w| w[2].parse::<f64>().ok())
        .sum()
}

/// Polls `read` until `done` holds for its value, at most 5 s; the last value.
pub fn wait_for(what: &str, read: impl Fn() -> f64, done: impl Fn(f64) -> bool) -> f64 {
    let start = Instant::now();
    loop {
        let value = read();
        if done(value) {
            return value;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{what}: still {value}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// [`metric`] from the agent's endpoint (the node netns).
pub fn agent_metric(lab: &Lab, name: &str, labels: &[&str]) -> f64 {
    metric(lab, &lab.netns("node"), AGENT_METRICS, name, labels)
}

/// [`metric`] from the inspector's endpoint (the `insp` netns).
pub fn inspector_metric(lab: &Lab, name: &str, labels: &[&str]) -> f64 {
    metric(lab, &lab.netns("insp"), INSPECTOR_METRICS, name, labels)
}

/// GETs from `ns` to `ip:port` one after another until `stop` (at most 300): every result.
pub fn client_loop(
    lab: &Lab,
    ns: &str,
    ip: &str,
    port: u16,
    stop: &std::sync::atomic::AtomicBool,
) -> Vec<Result<(u16, String), String>> {
    let mut results = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) && results.len() < 300 {
        results.push(lab.get(ns, ip, port, "/", 3000));
        std::thread::sleep(Duration::from_millis(20));
    }
    results
}

/// Rewrites `policy.yaml` with the lab's Namespace only: the policy and its SecurityPolicy
/// are gone.
pub fn remove_policy(dir: &Path) {
    let text =
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab\n  labels:\n    kubernetes.io/metadata.name: lab\n";
    std::fs::write(dir.join("policy.yaml"), text).unwrap();
}

/// Polls `probe` every 50 ms until it holds, at most `within`; how long it took.
pub fn until(what: &str, within: Duration, probe: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !probe() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

/// [`manifests::write`](super::netns_support::manifests::write) made atomic: written in a
/// staging directory next to `dir`, then renamed into place, so that a polling agent never
/// reads a half-written file.
pub fn write_manifests(dir: &Path, lab: &Lab, pods: &[super::netns_support::manifests::Pod]) {
    let stage = dir.with_extension("stage");
    std::fs::create_dir_all(&stage).unwrap();
    super::netns_support::manifests::write(&stage, lab, pods, "Chain");
    for file in ["pods.yaml", "policy.yaml"] {
        std::fs::rename(stage.join(file), dir.join(file)).unwrap();
    }
}
