//! The lab's inspectors, the real `inspector` binary with the policy file `redirector local`
//! wrote: one chained inspector (`--transparent tproxy`, metrics on its pod IP, fetched from
//! the node netns) and/or one sidecar per pod that needs one (`--transparent redirect`,
//! metrics on the pod's loopback): in sidecar mode every pod with a covered destination, in
//! mixed mode the pods `redirector local --mode both` gave a table (their Sidecar-placed ports).
//! Every inspector signs what it forwards with the lab run's marker key.

use std::net::Ipv4Addr;
use std::path::Path;

use super::bins::Binaries;
use super::derive::LabPod;
use super::procs::spawn;
use super::state::State;
use super::topology::INSPECTOR_IP;
use super::{InspectorFacts, Mode};
use crate::Error;

/// Starts the inspectors of `mode`; `(node, inspector_ns)`: the node's and the chain
/// inspector's netns.
pub fn start(
    mode: Mode,
    bins: &Binaries,
    dir: &Path,
    state: &mut State,
    sidecars: &[&LabPod],
    (node, inspector_ns): (&str, &str),
    marker_key: &Path,
) -> Result<Vec<InspectorFacts>, Error> {
    let policy = dir.join("inspector-policy.yaml").display().to_string();
    let mut out = Vec::new();
    let mut start =
        |ns: &str, role: &str, mode_args: &[&str], metrics: &str, metrics_netns: &str| -> Result<(), Error> {
            let audit = dir.join(format!("audit-{role}.jsonl"));
            let mut args: Vec<String> = mode_args.iter().map(|s| s.to_string()).collect();
            args.extend(["--policy".into(), policy.clone(), "--metrics-listen".into(), metrics.into()]);
            args.extend(["--audit-log".into(), audit.display().to_string()]);
            args.extend(["--sign-header".into(), super::servers::MARKER_HEADER.into()]);
            args.extend(["--sign-key-file".into(), marker_key.display().to_string()]);
            let pid = spawn(state, dir, Some(ns), &bins.inspector, &args, role)?;
            let metrics_url = format!("http://{metrics}/metrics");
            out.push(InspectorFacts {
                netns: ns.into(),
                metrics_url,
                metrics_netns: metrics_netns.into(),
                audit_log: audit,
                pid,
            });
            Ok(())
        };
    if mode.chain() {
        let args = ["--transparent", "tproxy", "--listen", "0.0.0.0:15001", "--tproxy-mark", "0x1"];
        start(inspector_ns, "inspector", &args, &format!("{INSPECTOR_IP}:15090"), node)?;
    }
    for pod in sidecars {
        let args = ["--transparent", "redirect", "--listen", "0.0.0.0:15006", "--upstream-mark", "0x539"];
        start(&pod.netns, &format!("sidecar-{}", pod.app), &args, "127.0.0.1:15090", &pod.netns)?;
    }
    Ok(out)
}

/// The pods that need a sidecar: none in chain mode; in sidecar mode those with a covered
/// destination; in mixed mode those `redirector local --mode both` programmed a table in.
pub fn sidecar_pods<'a>(mode: Mode, pods: &'a [LabPod], covered: &[(Ipv4Addr, u16)]) -> Result<Vec<&'a LabPod>, Error> {
    let mut out = Vec::new();
    for pod in pods {
        let needed = match mode {
            Mode::Chain => false,
            Mode::Sidecar => covered.iter().any(|(ip, _)| *ip == pod.ip),
            Mode::Mixed => {
                let tables = super::topology::sh(Some(&pod.netns), "nft list tables")?;
                tables.lines().any(|l| l.trim() == "table inet chainwall")
            }
        };
        if needed {
            out.push(pod);
        }
    }
    Ok(out)
}

/// The covered destinations named by the policy file's flows.
pub fn covered(policy: &Path) -> Result<Vec<(Ipv4Addr, u16)>, Error> {
    let text = std::fs::read_to_string(policy).map_err(|e| Error::io(policy, e))?;
    let doc: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", policy.display())))?;
    let flows = doc.get("flows").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for flow in flows {
        let dest = flow.get("destination").and_then(serde_json::Value::as_str).unwrap_or_default();
        let addr: std::net::SocketAddrV4 =
            dest.parse().map_err(|_| Error::Config(format!("{}: flow {dest:?}", policy.display())))?;
        out.push((*addr.ip(), addr.port()));
    }
    Ok(out)
}
