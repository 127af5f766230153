//! The netns lab end to end, as root, with the binaries of this target directory
//! (`cargo test --workspace` builds `inspector` and `redirector` next to `attack-tests`):
//!
//! - chain mode: `lab up --json`, then our own traffic from the facts' client netns: a canary
//!   attack is blocked by the inspector (and in its audit log and counters), a benign request
//!   reaches the origin, the uncovered TCP flow connects, the denied one is dropped; a second
//!   `lab up` removes the first (stale) lab; `lab down` leaves no netns and no state.
//! - sidecar mode: `demo --per-family 2` (a slice of the demo) passes and cleans up.
//!
//! Needs root, nft and iproute2: skipped loudly otherwise, a failure under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Instant;

use attack_tests::lab::Facts;
use attack_tests::lab::client::{Outcome, Probe};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_attack-tests"))
}

/// Whether the lab can run; loud skip, or a failure under CI=true.
fn prerequisites(test: &str) -> bool {
    let dir = bin().parent().unwrap().to_path_buf();
    let root = std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")));
    let works = |p: &str, a: &str| Command::new(p).arg(a).output().is_ok_and(|o| o.status.success());
    let checks = [
        (root, "root".to_owned()),
        (works("nft", "--version"), "nft (apt-get install nftables)".into()),
        (works("ip", "-V"), "ip (apt-get install iproute2)".into()),
        (dir.join("inspector").is_file(), "target/…/inspector (cargo build -p inspector)".into()),
        (dir.join("redirector").is_file(), "target/…/redirector (cargo build -p redirector)".into()),
    ];
    let missing: Vec<&str> = checks.iter().filter(|(ok, _)| !ok).map(|(_, w)| w.as_str()).collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!("{test} needs {}: SKIPPED", missing.join(", "));
    assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{message}; CI=true, so this is a failure");
    eprintln!("\n!!!!! {message} !!!!!\n");
    false
}

/// A lab name and state root unique to this process; `lab down` on drop, also on failure.
struct Place {
    name: String,
    root: PathBuf,
}

impl Place {
    fn new(tag: &str) -> Place {
        let name = format!("cwt{}{tag}", std::process::id());
        let root = std::env::temp_dir().join(format!("{name}-root"));
        Place { name, root }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.args(args).args(["--name", &self.name]).arg("--root").arg(&self.root);
        cmd.output().unwrap()
    }

    fn netns_left(&self) -> Vec<String> {
        let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().filter(|l| l.starts_with(&format!("{}-", self.name))).map(str::to_owned).collect()
    }

    fn assert_clean(&self) {
        assert_eq!(self.netns_left(), Vec::<String>::new(), "network namespaces left behind");
        assert!(!self.root.join(&self.name).exists(), "state directory left behind");
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let _ = self.run(&["lab", "down"]);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn send(ns: &str, probes: &[Probe]) -> Vec<Outcome> {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(bin())
        .arg("lab-send")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(serde_json::to_string(probes).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn http(addr: std::net::SocketAddr, target: &str) -> Probe {
    let raw = format!(
        "GET {target} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    Probe { addr, http: Some(raw), timeout_ms: 5000 }
}

fn up(place: &Place, mode: &str) -> (Facts, String) {
    let out = place.run(&["lab", "up", "--mode", mode, "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "lab up --mode {mode} failed:\n{stderr}");
    (serde_json::from_slice(&out.stdout).expect("lab up --json prints the facts"), stderr)
}

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
    assert!(metrics.contains("chainwall_blocked_total{policy=\"web-detect\",rule_id=\"949110\"} 1"), "{metrics}");

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
    assert!(stdout.contains("main-logic   canary       1        1       0           0"), "{stdout}");
    assert!(stdout.contains("no connection (TimedOut)"), "{stdout}");
    assert!(stdout.contains("inspector in ") && stdout.contains("audit log"), "{stdout}");
    place.assert_clean();
    eprintln!("sidecar demo slice: {:?}", start.elapsed());
}
