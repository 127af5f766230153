//! A tiny lab for the netns tests: a node netns with a bridge, pod netns on it through veth
//! pairs (addresses in 10.253.7.0/24, which exists only inside these namespaces), helper
//! processes in them ([`helpers`]), and a Drop guard that kills those processes by PID and
//! deletes every namespace, also when the test panics.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod agent;
pub mod helpers;
pub mod http;
pub mod manifests;
pub mod real;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The lab's subnet, first three octets.
pub const NET: &str = "10.253.7";
/// The node's bridge.
pub const BRIDGE: &str = "cwbr0";

/// Whether the netns tests can run here. Skips loudly; under `CI=true` a missing
/// prerequisite fails the test instead.
pub fn prerequisites(test: &str) -> bool {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let nft = Command::new("nft").arg("--version").output().is_ok_and(|o| o.status.success());
    let ip = Command::new("ip").arg("-V").output().is_ok_and(|o| o.status.success());
    let missing: Vec<&str> =
        [(root, "root"), (nft, "nft"), (ip, "iproute2")].iter().filter(|(ok, _)| !ok).map(|(_, what)| *what).collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!("{test} needs {}: SKIPPED (run as root with nftables and iproute2)", missing.join(", "));
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; CI=true, so this is a failure");
    }
    eprintln!("\n!!!!! {message} !!!!!\n");
    false
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sh(ns: Option<&str>, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut cmd = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]);
            c.args(&words);
            c
        }
        None => {
            let mut c = Command::new(words[0]);
            c.args(&words[1..]);
            c
        }
    };
    run(&mut cmd)
}

/// The lab; everything it made is removed on drop.
pub struct Lab {
    /// Namespace name prefix, unique per test process.
    pub prefix: String,
    namespaces: Vec<String>,
    children: Vec<Child>,
}

impl Lab {
    /// The node netns with its bridge at `NET.1`.
    pub fn new(tag: &str) -> Lab {
        let prefix = format!("cw{}{tag}", std::process::id());
        let mut lab = Lab { prefix, namespaces: Vec::new(), children: Vec::new() };
        let node = lab.netns("node");
        sh(None, &format!("ip netns add {node}"));
        lab.namespaces.push(node.clone());
        for line in [
            format!("ip link add {BRIDGE} type bridge"),
            "ip link set lo up".into(),
            format!("ip link set {BRIDGE} up"),
            format!("ip addr add {NET}.1/24 dev {BRIDGE}"),
            "sysctl -qw net.bridge.bridge-nf-call-iptables=1".into(),
        ] {
            sh(Some(&node), &line);
        }
        lab
    }

    /// The full netns name of a lab member.
    pub fn netns(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// The MAC of the pod with this last octet.
    pub fn mac(octet: u8) -> String {
        format!("02:cb:07:00:00:{octet:02x}")
    }

    /// A pod netns `name` at `NET.<octet>`, its eth0 bridged through `v-<name>` in the node.
    pub fn pod(&mut self, name: &str, octet: u8) -> String {
        let (ns, node) = (self.netns(name), self.netns("node"));
        sh(None, &format!("ip netns add {ns}"));
        self.namespaces.push(ns.clone());
        sh(Some(&node), &format!("ip link add v-{name} type veth peer name eth0 netns {ns}"));
        sh(Some(&node), &format!("ip link set v-{name} master {BRIDGE} up"));
        for line in [
            "ip link set lo up".to_owned(),
            format!("ip link set eth0 address {}", Self::mac(octet)),
            format!("ip addr add {NET}.{octet}/24 dev eth0"),
            "ip link set eth0 up".into(),
            format!("ip route add default via {NET}.1"),
        ] {
            sh(Some(&ns), &line);
        }
        ns
    }

    fn helper(ns: &str, role: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).arg(std::env::current_exe().unwrap());
        cmd.args(["--exact", "helper", "--nocapture", "--test-threads=1", "-q"]).env(helpers::ROLE, role);
        cmd
    }

    /// Starts a long-running helper in `ns` (killed by PID on drop); its index for [`Lab::kill`].
    pub fn spawn(&mut self, ns: &str, role: &str) -> usize {
        let child = Self::helper(ns, role).stdout(Stdio::null()).spawn().unwrap();
        self.children.push(child);
        self.children.len() - 1
    }

    /// Kills one process started by [`Lab::spawn`] or [`Lab::adopt`], by PID.
    pub fn kill(&mut self, index: usize) {
        let _ = self.children[index].kill();
        let _ = self.children[index].wait();
    }

    /// Packets counted by a named counter (`family table name`) in `ns`.
    pub fn counter(&self, ns: &str, counter: &str) -> u64 {
        let text = sh(Some(ns), &format!("nft list counter {counter}"));
        let line = text.lines().map(str::trim).find(|l| l.starts_with("packets "));
        let count = line.and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok());
        count.unwrap_or_else(|| panic!("no packet count in {text}"))
    }

    /// Takes ownership of a process started elsewhere (killed by PID on drop).
    pub fn adopt(&mut self, child: Child) -> usize {
        self.children.push(child);
        self.children.len() - 1
    }

    /// One TCP connection from `ns`: `Ok(answer)` or `Err(error kind)`.
    pub fn probe(&self, ns: &str, ip: &str, port: u16, timeout_ms: u64) -> Result<String, String> {
        let out = run(&mut Self::helper(ns, &format!("probe:{ip}:{port}:{timeout_ms}")));
        let line = out.lines().find_map(|l| l.strip_prefix("RESULT ")).unwrap_or("err no result").to_owned();
        match line.strip_prefix("ok ") {
            Some(answer) => Ok(answer.to_owned()),
            None => Err(line.trim_start_matches("err ").to_owned()),
        }
    }

    /// Probes until it answers (helpers starting up), at most `within`.
    pub fn wait_answer(&self, ns: &str, ip: &str, port: u16, within: Duration) -> String {
        let start = Instant::now();
        loop {
            match self.probe(ns, ip, port, 500) {
                Ok(answer) => return answer,
                Err(e) if start.elapsed() > within => panic!("{ip}:{port} never answered from {ns}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// `nft -a list ruleset` in `ns` (handles included: a replaced table gets new ones),
    /// without counter values (late retransmissions of a dropped probe still count).
    pub fn ruleset(&self, ns: &str) -> String {
        let text = sh(Some(ns), "nft -a list ruleset");
        let mut out = String::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            while let Some(word) = words.next() {
                if word == "packets" || word == "bytes" {
                    words.next();
                } else {
                    out.push_str(word);
                    out.push(' ');
                }
            }
            out.push('\n');
        }
        out
    }

    /// `nft <command>` in `ns` (someone else touching our tables).
    pub fn nft(&self, ns: &str, command: &str) {
        sh(Some(ns), &format!("nft {command}"));
    }

    /// `ip` output in `ns`.
    pub fn ip(&self, ns: &str, args: &str) -> String {
        sh(Some(ns), &format!("ip {args}"))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
