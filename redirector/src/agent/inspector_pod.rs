//! Chain mode without the inspector flags: the agent finds its node's inspector pod
//! (`--inspector-selector`, a label selector, among the pods on `--node`) and derives what
//! `local` takes as flags: its IP (`status.podIP`), its netns (found by that IP, as
//! [`super::netns`] does), its MAC and its host-side veth (the pod interface holding the IP
//! names its peer's ifindex, `link_index`, which is looked up in the node netns), and its
//! `/readyz` (the container port named `admin`). The parsing is pure; [`locate`] runs `ip`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

use crate::local::LocalArgs;
use crate::local::dataplane::Netns;

/// The container port carrying the inspector's `/readyz`.
pub const ADMIN_PORT_NAME: &str = "admin";

/// The inspector pod chosen among `pods`: running, with an IP; the first by name. Its IP and
/// admin port.
pub fn choose(pods: &[std::sync::Arc<Pod>]) -> Option<(IpAddr, Option<u16>)> {
    let mut running: Vec<&Pod> = pods
        .iter()
        .map(AsRef::as_ref)
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    running.sort_by_key(|p| p.name_any());
    let pod = running.into_iter().find(|p| ip_of(p).is_some())?;
    let admin = pod.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.ports.iter().flatten());
    let admin =
        admin.filter(|p| p.name.as_deref() == Some(ADMIN_PORT_NAME)).find_map(|p| u16::try_from(p.container_port).ok());
    Some((ip_of(pod)?, admin))
}

fn ip_of(pod: &Pod) -> Option<IpAddr> {
    pod.status.as_ref()?.pod_ip.as_deref()?.parse().ok()
}

/// In a pod netns' `ip -j addr`: the interface holding `ip`, as (MAC, peer ifindex).
pub fn pod_link(json: &str, ip: IpAddr) -> Option<(String, u64)> {
    let links: Vec<Value> = serde_json::from_str(json).ok()?;
    let holds = |l: &&Value| {
        let addrs = l.get("addr_info").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        addrs.iter().any(|a| a.get("local").and_then(Value::as_str).and_then(|s| s.parse().ok()) == Some(ip))
    };
    let link = links.iter().find(holds)?;
    Some((link.get("address")?.as_str()?.to_owned(), link.get("link_index")?.as_u64()?))
}

/// In the node netns' `ip -j link`: the name of interface `ifindex`.
pub fn link_name(json: &str, ifindex: u64) -> Option<String> {
    let links: Vec<Value> = serde_json::from_str(json).ok()?;
    let link = links.iter().find(|l| l.get("ifindex").and_then(Value::as_u64) == Some(ifindex))?;
    Some(link.get("ifname")?.as_str()?.to_owned())
}

/// A store of the pods on `node` matching `selector` (a reflector task keeps it filled).
pub fn watch(client: kube::Client, node: &str, selector: &str) -> Store<Pod> {
    let (store, writer) = reflector::store();
    let config = watcher::Config::default().labels(selector).fields(&format!("spec.nodeName={node}"));
    let stream = reflector::reflector(writer, watcher(kube::Api::<Pod>::all(client), config).default_backoff());
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            if let Err(e) = event {
                eprintln!("redirector agent: watch inspector pods: {e} (retrying)");
            }
        }
    });
    store
}

/// This pass's dataplane flags: `args` with the inspector pod located. When no pod is found
/// (or it cannot be located), the `last` location stays (its `/readyz` then fails, and
/// covered flows take their failure mode); with none, an error: nothing is programmed.
pub async fn resolve(
    args: &LocalArgs,
    pods: &Store<Pod>,
    found: &BTreeMap<IpAddr, String>,
    wait: std::time::Duration,
    last: Option<&LocalArgs>,
) -> Result<LocalArgs> {
    let listed = tokio::time::timeout(wait, pods.wait_until_ready()).await.is_ok_and(|r| r.is_ok());
    let chosen = if listed { choose(&pods.state()) } else { None };
    let located = match chosen {
        Some((ip, admin)) => locate(args, ip, admin, found),
        None => Err(anyhow::anyhow!("no running inspector pod on this node matches --inspector-selector")),
    };
    match (located, last) {
        (Ok(next), last) => {
            let place = |a: &LocalArgs| (a.inspector_ip, a.inspector_netns.clone(), a.inspector_veth.clone());
            if last.map(place) != Some(place(&next)) {
                let (ip, ns, veth) = place(&next);
                let (ip, ns, veth) = (ip.map(|i| i.to_string()), ns.unwrap_or_default(), veth.unwrap_or_default());
                let mac = next.inspector_mac.clone().unwrap_or_default();
                println!("inspector pod: {} in {ns}, veth {veth}, MAC {mac}", ip.unwrap_or_default());
            }
            Ok(next)
        }
        (Err(e), Some(last)) => {
            eprintln!("redirector agent: {e:#}; keeping the last inspector location");
            Ok(last.clone())
        }
        (Err(e), None) => Err(e.context("chain mode: the inspector pod is not located; nothing programmed")),
    }
}

fn ip_json(ns: &Netns, args: &[&str]) -> Result<String> {
    let mut cmd = ns.command("ip");
    let out = cmd.arg("-j").args(args).output().with_context(|| format!("cannot run ip in {ns}"))?;
    if !out.status.success() {
        bail!("ip -j {} in {ns} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `local`'s inspector flags filled in for the pod at `ip` (netns from `found`, IP → path).
pub fn locate(args: &LocalArgs, ip: IpAddr, admin: Option<u16>, found: &BTreeMap<IpAddr, String>) -> Result<LocalArgs> {
    let netns = found.get(&ip).with_context(|| format!("no network namespace on this node holds {ip}"))?;
    let pod_ns = Netns::parse(netns);
    let (mac, peer) = pod_link(&ip_json(&pod_ns, &["addr", "show"])?, ip)
        .with_context(|| format!("{ip} in {pod_ns} is not on a veth (no link_index)"))?;
    let node_ns = args.node_netns.as_deref().map_or(Netns::Current, Netns::parse);
    let veth = link_name(&ip_json(&node_ns, &["link", "show"])?, peer)
        .with_context(|| format!("no interface {peer} in {node_ns} (the inspector's veth)"))?;
    let mut out = args.clone();
    out.inspector_netns = Some(netns.clone());
    out.inspector_ip = Some(ip);
    out.inspector_mac = Some(mac);
    out.inspector_veth = Some(veth);
    if out.inspector_readyz.is_none() {
        out.inspector_readyz = admin.map(|port| format!("http://{}/readyz", std::net::SocketAddr::new(ip, port)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{link_name, pod_link};

    #[test]
    fn the_pod_interface_and_its_host_peer_are_read_from_ip_json() {
        let pod = r#"[{"ifindex":1,"ifname":"lo","address":"00:00:00:00:00:00","addr_info":[{"local":"127.0.0.1"}]},
                      {"ifindex":2,"link_index":17,"ifname":"eth0","address":"02:00:0a:fd:0d:1e","addr_info":[{"local":"10.253.13.30"}]}]"#;
        let ip = "10.253.13.30".parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
        assert_eq!(pod_link(pod, ip), Some(("02:00:0a:fd:0d:1e".to_owned(), 17)));
        assert_eq!(pod_link(pod, "10.1.1.1".parse().unwrap_or(ip)), None);
        let node = r#"[{"ifindex":16,"ifname":"cni0"},{"ifindex":17,"ifname":"veth1234"}]"#;
        assert_eq!(link_name(node, 17).as_deref(), Some("veth1234"));
        assert_eq!(link_name("garbage", 17), None);
    }
}
