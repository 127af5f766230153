//! A network namespace of our own (`cwbench-<pid>-<tag>`), deleted when dropped, and the ways
//! the benchmark changes it: the agent's (set-element updates over netlink, `nft -f -` for
//! the rest) and one `iptables` command. Processes run through `nsenter --net`.

use std::cell::RefCell;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redirector::netlink;
use redirector::nft::diff::Transaction;

/// A namespace created for this run; `ip netns del` on drop (on panic too).
#[derive(Debug)]
pub struct Netns {
    /// `cwbench-<pid>-<tag>`.
    pub name: String,
    /// The agent's netlink sockets (one, into this namespace).
    netlink: RefCell<netlink::Writer>,
}

impl Netns {
    /// Creates it (a previous run's leftover of the same name is replaced).
    pub fn new(tag: &str) -> Result<Netns, String> {
        let name = format!("cwbench-{}-{tag}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).stderr(Stdio::null()).status();
        run(Command::new("ip").args(["netns", "add", &name]), "ip netns add")?;
        Ok(Netns { name, netlink: RefCell::default() })
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net=/run/netns/{}", self.name)).arg(program);
        cmd
    }

    /// Applies one `nft -f` transaction; returns how long `nft` took, start to exit.
    pub fn nft(&self, transaction: &str) -> Result<Duration, String> {
        let mut cmd = self.command("nft");
        cmd.args(["-f", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| format!("cannot run nft: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(transaction.as_bytes()).map_err(|e| format!("writing to nft: {e}"))?;
        }
        let out = child.wait_with_output().map_err(|e| format!("nft: {e}"))?;
        let took = start.elapsed();
        if !out.status.success() {
            return Err(format!("nft -f failed in {}: {}", self.name, String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(took)
    }

    /// Applies a transaction the agent's way: element-only ones over netlink (no process),
    /// others with `nft -f`; returns how long it took.
    pub fn apply(&self, tx: &Transaction) -> Result<Duration, String> {
        if !tx.elements_only() {
            return self.nft(&tx.text);
        }
        let path = std::path::PathBuf::from(format!("/run/netns/{}", self.name));
        let start = Instant::now();
        match self.netlink.borrow_mut().apply(Some(&path), &tx.sets) {
            Ok(()) => Ok(start.elapsed()),
            Err(netlink::Error::Unsupported(_)) => self.nft(&tx.text),
            Err(e) => Err(format!("element update in {}: {e}", self.name)),
        }
    }

    /// Runs `program args` (an iptables binary) inside; returns how long it took.
    pub fn exec(&self, program: &str, args: &[&str]) -> Result<Duration, String> {
        let start = Instant::now();
        run(self.command(program).args(args), program)?;
        Ok(start.elapsed())
    }

    /// Feeds `input` to `program` (an `iptables-restore`) inside.
    pub fn restore(&self, program: &str, input: &str) -> Result<(), String> {
        let mut cmd = self.command(program);
        cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot run {program}: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes()).map_err(|e| format!("writing to {program}: {e}"))?;
        }
        let out = child.wait_with_output().map_err(|e| format!("{program}: {e}"))?;
        if !out.status.success() {
            return Err(format!("{program} failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdout(Stdio::null()).output().map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Whether we run as root (uid 0), from `/proc/self/status`.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// Whether `program` runs (`program -V`: nft, iptables, ip and nsenter all know it).
pub fn available(program: &str) -> bool {
    Command::new(program).arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}
