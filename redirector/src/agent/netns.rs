//! Finding pods' network namespaces on the node by their IP, as a node agent really can: every
//! namespace bind-mounted under `/run/netns` (CNI plugins and `ip netns` put them there) and
//! every one some process is in (`/proc/<pid>/ns/net`: with `hostPID` the agent sees the pods'
//! pause processes, which hold their namespace for the pod's lifetime). Each namespace, told
//! apart by its nsfs inode, is asked once for its addresses (`ip -j addr`) and cached; the
//! agent's own namespace is skipped. A `/run/netns` path is preferred over a `/proc` one, which
//! is only as stable as its process. An address found in two namespaces is not mapped.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::local::dataplane::Netns;

/// The addresses (not loopback) in `ip -j addr` output.
pub fn parse_addresses(json: &str) -> Vec<IpAddr> {
    let links: Vec<Value> = serde_json::from_str(json).unwrap_or_default();
    links
        .iter()
        .flat_map(|l| l.get("addr_info").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|a| a.get("local").and_then(Value::as_str).and_then(|s| s.parse::<IpAddr>().ok()))
        .filter(|ip| !ip.is_loopback())
        .collect()
}

/// Namespaces seen so far: inode → (path, addresses).
#[derive(Debug, Default)]
pub struct Finder {
    known: HashMap<u64, (PathBuf, Vec<IpAddr>)>,
}

fn inode(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// Every namespace path on the node, `/run/netns` first.
fn candidates() -> Vec<PathBuf> {
    let entries = |dir: &str| std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path());
    let named = entries("/run/netns");
    let processes = entries("/proc")
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .map(|p| p.join("ns/net"));
    named.chain(processes).collect()
}

impl Finder {
    /// IP → the namespace holding it, for every namespace on the node.
    pub fn scan(&mut self) -> BTreeMap<IpAddr, String> {
        let own = inode(Path::new("/proc/self/ns/net"));
        let mut seen: HashMap<u64, PathBuf> = HashMap::new();
        for path in candidates() {
            if let Some(ino) = inode(&path).filter(|i| Some(*i) != own) {
                seen.entry(ino).or_insert(path);
            }
        }
        self.known.retain(|ino, _| seen.contains_key(ino));
        for (ino, path) in seen {
            self.known.entry(ino).or_insert_with(|| {
                let mut ip = Netns::Path(path.clone()).command("ip");
                ip.args(["-j", "addr", "show"]);
                let json = ip.output().ok().filter(|o| o.status.success()).map(|o| o.stdout).unwrap_or_default();
                (path, parse_addresses(&String::from_utf8_lossy(&json)))
            });
        }
        let mut holders: BTreeMap<IpAddr, Vec<&PathBuf>> = BTreeMap::new();
        for (path, ips) in self.known.values() {
            for ip in ips {
                holders.entry(*ip).or_default().push(path);
            }
        }
        // An address in two namespaces is ambiguous: better left alone than the wrong one.
        holders.into_iter().filter(|(_, p)| p.len() == 1).map(|(ip, p)| (ip, p[0].display().to_string())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_addresses;

    #[test]
    fn addresses_are_read_from_ip_json_without_loopback() {
        let json = r#"[{"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1"},{"family":"inet6","local":"::1"}]},
                      {"ifname":"eth0","addr_info":[{"family":"inet","local":"10.244.1.7"},{"family":"inet6","local":"fd00::7"}]}]"#;
        let ips: Vec<String> = parse_addresses(json).iter().map(ToString::to_string).collect();
        assert_eq!(ips, ["10.244.1.7", "fd00::7"]);
        assert!(parse_addresses("not json").is_empty());
    }
}
