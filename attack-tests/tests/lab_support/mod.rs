//! What the lab tests share: the prerequisites (a loud skip, a failure under `CI=true`), a lab
//! place unique to the test process (`lab down` on drop), and traffic from a lab netns.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use attack_tests::lab::Facts;
use attack_tests::lab::client::{Outcome, Probe};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_attack-tests"))
}

/// Whether the lab can run; loud skip, or a failure under CI=true.
pub fn prerequisites(test: &str) -> bool {
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
pub struct Place {
    pub name: String,
    pub root: PathBuf,
}

impl Place {
    pub fn new(tag: &str) -> Place {
        let name = format!("cwt{}{tag}", std::process::id());
        let root = std::env::temp_dir().join(format!("{name}-root"));
        Place { name, root }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.args(args).args(["--name", &self.name]).arg("--root").arg(&self.root);
        cmd.output().unwrap()
    }

    pub fn netns_left(&self) -> Vec<String> {
        let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().filter(|l| l.starts_with(&format!("{}-", self.name))).map(str::to_owned).collect()
    }

    pub fn assert_clean(&self) {
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

pub fn send(ns: &str, probes: &[Probe]) -> Vec<Outcome> {
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

pub fn http(addr: std::net::SocketAddr, target: &str) -> Probe {
    let raw = format!(
        "GET {target} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    Probe { addr, http: Some(raw), timeout_ms: 5000 }
}

pub fn up(place: &Place, mode: &str) -> (Facts, String) {
    let out = place.run(&["lab", "up", "--mode", mode, "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "lab up --mode {mode} failed:\n{stderr}");
    (serde_json::from_slice(&out.stdout).expect("lab up --json prints the facts"), stderr)
}
