//! The side effects of `redirector local`, behind [`Dataplane`]: reading and writing the
//! Chainwall nftables tables and the policy routes of one network namespace. [`Nft`] sends
//! element-only transactions over netlink ([`redirector::netlink`]) and runs `nft` and `ip`
//! (through `ip netns exec` or `nsenter`) for the rest; tests use an in-memory fake.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::observe::{self, Kernel};
use redirector::netlink;
use redirector::nft::diff::Transaction;
use redirector::nft::model::Ruleset;

/// A network namespace: this process's own, one named in `/run/netns` (`ip netns`), or a
/// path (`/proc/<pid>/ns/net`, a CRI bind mount).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Netns {
    /// The namespace `redirector` runs in.
    Current,
    /// `ip netns exec NAME`.
    Named(String),
    /// `nsenter --net=PATH`.
    Path(PathBuf),
}

impl Netns {
    /// A name, or a path when it starts with `/`.
    pub fn parse(text: &str) -> Netns {
        if text.starts_with('/') { Netns::Path(text.into()) } else { Netns::Named(text.to_owned()) }
    }

    /// The namespace's file (`None`: our own).
    pub fn path(&self) -> Option<PathBuf> {
        match self {
            Netns::Current => None,
            Netns::Named(name) => Some(Path::new("/run/netns").join(name)),
            Netns::Path(path) => Some(path.clone()),
        }
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        match self {
            Netns::Current => Command::new(program),
            Netns::Named(name) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", name, program]);
                c
            }
            Netns::Path(path) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net={}", path.display())).arg(program);
                c
            }
        }
    }
}

impl std::fmt::Display for Netns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Netns::Current => f.write_str("this netns"),
            Netns::Named(name) => write!(f, "netns {name}"),
            Netns::Path(path) => write!(f, "netns {}", path.display()),
        }
    }
}

/// Reading and changing one namespace's Chainwall state.
pub trait Dataplane {
    /// The Chainwall tables the kernel holds.
    fn read(&mut self, ns: &Netns) -> Result<Kernel>;
    /// Applies one transaction (all or nothing); `after` is what it leads to.
    fn apply(&mut self, ns: &Netns, transaction: &Transaction, after: &Ruleset) -> Result<()>;
    /// Makes sure each `ip ... rule add` / `ip ... route add` line holds, adding only what is
    /// missing (never deleting first).
    fn ensure_routes(&mut self, ns: &Netns, commands: &[String]) -> Result<()>;
    /// Lets go of what it holds for namespaces not in `programmed`.
    fn retain(&mut self, _programmed: &[&Netns]) {}
}

/// The real kernel: netlink for element-only transactions, the `nft` and `ip` commands for
/// the rest.
#[derive(Debug, Default)]
pub struct Nft {
    netlink: netlink::Writer,
}

fn output(mut cmd: Command, what: &str) -> Result<String> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Dataplane for Nft {
    fn read(&mut self, ns: &Netns) -> Result<Kernel> {
        let mut cmd = ns.command("nft");
        cmd.args(["-j", "list", "ruleset"]);
        let json = output(cmd, &format!("nft -j list ruleset in {ns}"))?;
        observe::parse(&json).map_err(anyhow::Error::msg)
    }

    fn apply(&mut self, ns: &Netns, transaction: &Transaction, _after: &Ruleset) -> Result<()> {
        if transaction.elements_only() {
            match self.netlink.apply(ns.path().as_deref(), &transaction.sets) {
                Ok(()) => return Ok(()),
                Err(netlink::Error::Unsupported(_)) => {} // interval sets, maps: nft writes them
                Err(e) => bail!("element update refused in {ns}: {e}"),
            }
        }
        let mut cmd = ns.command("nft");
        cmd.args(["-f", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("cannot run nft in {ns}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(transaction.text.as_bytes()).context("cannot write to nft")?;
        }
        let out = child.wait_with_output().context("nft did not finish")?;
        if !out.status.success() {
            bail!("nft -f rejected the transaction in {ns}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    fn retain(&mut self, programmed: &[&Netns]) {
        let paths: Vec<Option<PathBuf>> = programmed.iter().map(|ns| ns.path()).collect();
        self.netlink.retain(|path| paths.iter().any(|p| p.as_deref() == path));
    }

    fn ensure_routes(&mut self, ns: &Netns, commands: &[String]) -> Result<()> {
        for line in commands {
            let words: Vec<&str> = line.split_whitespace().collect();
            // `ip -4 rule add fwmark ... lookup N` / `ip -4 route add ... table N`
            let [_, flag, object, "add", spec @ ..] = words.as_slice() else {
                bail!("unexpected route command {line:?}");
            };
            if *object == "route" {
                // `replace` is idempotent and atomic: the route is never missing meanwhile.
                let mut replace = ns.command("ip");
                replace.args([*flag, "route", "replace"]).args(spec);
                output(replace, &format!("{line} in {ns}"))?;
                continue;
            }
            let mut show = ns.command("ip");
            show.args([*flag, "rule", "show"]);
            let current = output(show, &format!("ip rule show in {ns}"))?;
            if !current.lines().any(|l| l.contains(&spec.join(" "))) {
                let mut add = ns.command("ip");
                add.args(&words[1..]);
                output(add, &format!("{line} in {ns}"))?;
            }
        }
        Ok(())
    }
}
