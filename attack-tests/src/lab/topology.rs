//! The lab's network: a node netns holding the bridge `cw0` (10.244.0.1/16, with
//! `bridge-nf-call-iptables` on so that the redirector's `inet` rules see bridged traffic), and
//! one netns per pod whose `eth0` is a veth bridged as `v-<app>` in the node netns. Pods keep
//! the examples' IPs (10.244.1.x, 10.244.2.x), all on the one /16 link. Every netns is
//! recorded in the [`State`] as soon as it exists (and only one this lab created), so a
//! failure half-way is still cleaned up.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use super::state::State;
use crate::Error;

/// The bridge in the node netns.
pub const BRIDGE: &str = "cw0";
/// The bridge's address (the pods' default gateway).
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 1);
/// The chain-mode inspector pod's address.
pub const INSPECTOR_IP: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 250);

/// Runs a command; its stdout, or an error with its stderr.
pub fn run(cmd: &mut Command) -> Result<String, Error> {
    let out = cmd.output().map_err(|e| Error::Config(format!("cannot run {cmd:?}: {e}")))?;
    if !out.status.success() {
        return Err(Error::Config(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `ip netns exec NS words...` (or plain `words` when `ns` is `None`).
pub fn sh(ns: Option<&str>, line: &str) -> Result<String, Error> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut cmd = match (ns, words.split_first()) {
        (Some(ns), _) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).args(&words);
            c
        }
        (None, Some((program, args))) => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
        (None, None) => return Err(Error::Config("empty command".into())),
    };
    run(&mut cmd)
}

/// The MAC of a pod at `ip` (locally administered, derived from the address).
pub fn mac(ip: Ipv4Addr) -> String {
    let [_, _, c, d] = ip.octets();
    format!("02:cb:0a:f4:{c:02x}:{d:02x}")
}

/// Creates the node netns and its bridge.
pub fn node(state: &mut State, dir: &Path, ns: &str) -> Result<(), Error> {
    sh(None, &format!("ip netns add {ns}"))?;
    state.netns.push(ns.to_owned());
    state.save(dir)?;
    if !Path::new("/proc/sys/net/bridge").exists() {
        let _ = sh(None, "modprobe br_netfilter");
    }
    for line in [
        "ip link set lo up".to_owned(),
        format!("ip link add {BRIDGE} type bridge"),
        format!("ip link set {BRIDGE} up"),
        format!("ip addr add {GATEWAY}/16 dev {BRIDGE}"),
        "sysctl -qw net.bridge.bridge-nf-call-iptables=1".into(),
    ] {
        sh(Some(ns), &line)?;
    }
    Ok(())
}

/// Creates a pod netns at `ip`, bridged as `v-<short>` in `node`.
pub fn pod(state: &mut State, dir: &Path, node: &str, ns: &str, short: &str, ip: Ipv4Addr) -> Result<(), Error> {
    sh(None, &format!("ip netns add {ns}"))?;
    state.netns.push(ns.to_owned());
    state.save(dir)?;
    let veth = format!("v-{short}");
    sh(Some(node), &format!("ip link add {veth} type veth peer name eth0 netns {ns}"))?;
    sh(Some(node), &format!("ip link set {veth} master {BRIDGE} up"))?;
    for line in [
        "ip link set lo up".to_owned(),
        format!("ip link set eth0 address {}", mac(ip)),
        format!("ip addr add {ip}/16 dev eth0"),
        "ip link set eth0 up".into(),
        format!("ip route add default via {GATEWAY}"),
    ] {
        sh(Some(ns), &line)?;
    }
    Ok(())
}
