//! `lab up`: tears down a stale lab of the same name, then builds, in order: the node netns
//! and its bridge, one netns per pod with its servers (waited for), the derived manifests,
//! `redirector local --once` (nftables and the inspector's policy file), the inspector(s)
//! (waited for on `/readyz`), and the background `redirector local` that keeps restoring
//! drift. Every step is recorded first, so a failure leaves nothing `lab down` cannot remove.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bins::{self, Binaries};
use super::client::{self, Probe};
use super::derive::{self, LabPod};
use super::procs::{spawn, wait_for};
use super::state::State;
use super::topology::{self, INSPECTOR_IP};
use super::{Facts, InspectorFacts, Mode};
use crate::Error;

/// What to build.
#[derive(Clone, Debug)]
pub struct UpOptions {
    /// Chain or sidecar.
    pub mode: Mode,
    /// Lab name: netns prefix and state directory name.
    pub name: String,
    /// Parent of the state directory.
    pub root: PathBuf,
    /// The example manifests (`deploy/examples`).
    pub examples: PathBuf,
}

/// `lab up`; on failure everything created so far is removed again.
pub fn up(opts: &UpOptions, log: &mut dyn FnMut(&str)) -> Result<Facts, Error> {
    let bins = bins::check()?;
    let removed = super::down(&opts.root, &opts.name)?;
    if !removed.is_empty() {
        log(&format!("lab: removed a stale lab {:?} ({} items)", opts.name, removed.len()));
    }
    let dir = super::dir(&opts.root, &opts.name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut state = State::default();
    state.save(&dir)?;
    match build(opts, &bins, &dir, &mut state, log) {
        Ok(facts) => {
            state.facts = serde_json::to_value(&facts).ok();
            state.save(&dir)?;
            Ok(facts)
        }
        Err(e) => {
            state.teardown(&dir);
            Err(e)
        }
    }
}

fn build(
    opts: &UpOptions,
    bins: &Binaries,
    dir: &Path,
    state: &mut State,
    log: &mut dyn FnMut(&str),
) -> Result<Facts, Error> {
    let files = example_files(&opts.examples)?;
    let (manifests_text, pods) = derive::derive(&files, &opts.name, placement(opts.mode)).map_err(Error::Config)?;
    let node = format!("{}-node", opts.name);
    topology::node(state, dir, &node)?;
    for pod in &pods {
        topology::pod(state, dir, &node, &pod.netns, &pod.app, pod.ip)?;
        let list = |kind: &str| {
            pod.ports.iter().filter(|p| p.server == kind).map(|p| p.port.to_string()).collect::<Vec<_>>().join(",")
        };
        let args = ["lab-serve", "--label", &pod.app, "--http", &list("http"), "--tcp", &list("tcp")].map(String::from);
        spawn(state, dir, Some(&pod.netns), &bins.attack_tests, &args, &format!("server-{}", pod.app))?;
    }
    let inspector_ns = format!("{}-inspector", opts.name);
    if opts.mode == Mode::Chain {
        topology::pod(state, dir, &node, &inspector_ns, "inspector", INSPECTOR_IP)?;
    }
    // Every server answers (from the node, before any rule isolates the pods).
    let probes: Vec<Probe> = pods
        .iter()
        .flat_map(|p| p.ports.iter().map(move |port| (p.ip, port)))
        .map(|(ip, port)| {
            let http = (port.server == "http")
                .then(|| "GET /ready HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n".to_owned());
            Probe { addr: (ip, port.port).into(), http, timeout_ms: 500 }
        })
        .collect();
    wait_for("the pods' servers", Duration::from_secs(10), || {
        let outcomes = in_netns::<Vec<client::Outcome>>(bins, &node, &["lab-send"], Some(&probes))?;
        let down: Vec<String> = probes
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| o.greeting.is_none() && o.origin.is_none())
            .map(|(p, o)| format!("{}: {}", p.addr, o.error.as_deref().unwrap_or("no answer")))
            .collect();
        if down.is_empty() { Ok(()) } else { Err(down.join(", ")) }
    })?;
    log(&format!("lab: {} pods up in netns {}-*", pods.len(), opts.name));

    let manifests = dir.join("manifests");
    std::fs::create_dir_all(&manifests).map_err(|e| Error::io(&manifests, e))?;
    std::fs::write(manifests.join("lab.yaml"), manifests_text).map_err(|e| Error::io(&manifests, e))?;
    let policy = dir.join("inspector-policy.yaml");
    let redirector = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["local", "--node", derive::NODE, "--mode"].map(String::from).to_vec();
        a.push(if opts.mode == Mode::Chain { "chain" } else { "sidecar" }.into());
        a.extend(["--manifests".into(), manifests.display().to_string()]);
        a.extend(["--inspector-policy".into(), policy.display().to_string()]);
        if opts.mode == Mode::Chain {
            let mac = topology::mac(INSPECTOR_IP);
            let ip = INSPECTOR_IP.to_string();
            let chain =
                ["--bridge", topology::BRIDGE, "--inspector-netns", &inspector_ns, "--inspector-veth", "v-inspector"];
            a.extend(chain.map(String::from));
            a.extend(["--inspector-mac", &mac, "--inspector-ip", &ip].map(String::from));
        } else {
            a.extend(["--sidecar-mark", "0x539"].map(String::from));
        }
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    // Chain mode: the redirector runs in the node netns, as a node agent does.
    let redirector_ns = (opts.mode == Mode::Chain).then_some(node.as_str());
    let mut once = std::process::Command::new("ip");
    match redirector_ns {
        Some(ns) => _ = once.args(["netns", "exec", ns]).arg(&bins.redirector),
        None => once = std::process::Command::new(&bins.redirector),
    }
    let out = topology::run(once.args(redirector(&["--once"])))?;
    log(&format!("lab: redirector local --once:\n{}", out.trim_end()));
    let covered = covered(&policy)?;

    let inspectors = start_inspectors(opts, bins, dir, state, &pods, &covered, &node, &inspector_ns)?;
    for insp in &inspectors {
        let url = insp.metrics_url.replace("/metrics", "/readyz");
        wait_for(&format!("the inspector in {}", insp.netns), Duration::from_secs(90), || {
            in_netns::<String>(bins, &insp.metrics_netns, &["lab-get", &url], None::<&()>).map(|_| ())
        })?;
    }
    log(&format!("lab: {} inspector(s) ready", inspectors.len()));
    let mut args = redirector(&["--interval-ms", "500"]);
    if opts.mode == Mode::Chain {
        args.extend(["--inspector-readyz".into(), format!("http://{INSPECTOR_IP}:15090/readyz")]);
    }
    let redirector_pid = spawn(state, dir, redirector_ns, &bins.redirector, &args, "redirector")?;
    let client = pods.iter().find(|p| p.app == "frontend").map(|p| p.netns.clone()).unwrap_or_default();
    Ok(Facts {
        name: opts.name.clone(),
        mode: opts.mode,
        state_dir: dir.to_path_buf(),
        node_netns: node,
        client_netns: client,
        pods,
        covered: covered.iter().map(|(ip, port)| format!("{ip}:{port}")).collect(),
        inspectors,
        manifests,
        inspector_policy: policy,
        redirector_pid,
        redirector_log: dir.join("redirector.log"),
    })
}

#[allow(clippy::too_many_arguments)]
fn start_inspectors(
    opts: &UpOptions,
    bins: &Binaries,
    dir: &Path,
    state: &mut State,
    pods: &[LabPod],
    covered: &[(Ipv4Addr, u16)],
    node: &str,
    inspector_ns: &str,
) -> Result<Vec<InspectorFacts>, Error> {
    let policy = dir.join("inspector-policy.yaml").display().to_string();
    let mut out = Vec::new();
    let mut start =
        |ns: &str, role: &str, mode_args: &[&str], metrics: &str, metrics_netns: &str| -> Result<(), Error> {
            let audit = dir.join(format!("audit-{role}.jsonl"));
            let mut args: Vec<String> = mode_args.iter().map(|s| s.to_string()).collect();
            args.extend(["--policy".into(), policy.clone(), "--metrics-listen".into(), metrics.into()]);
            args.extend(["--audit-log".into(), audit.display().to_string()]);
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
    match opts.mode {
        Mode::Chain => {
            let args = ["--transparent", "tproxy", "--listen", "0.0.0.0:15001", "--tproxy-mark", "0x1"];
            start(inspector_ns, "inspector", &args, &format!("{INSPECTOR_IP}:15090"), node)?;
        }
        Mode::Sidecar => {
            for pod in pods.iter().filter(|p| covered.iter().any(|(ip, _)| *ip == p.ip)) {
                let args = ["--transparent", "redirect", "--listen", "0.0.0.0:15006", "--upstream-mark", "0x539"];
                start(&pod.netns, &format!("sidecar-{}", pod.app), &args, "127.0.0.1:15090", &pod.netns)?;
            }
        }
    }
    Ok(out)
}

/// The covered destinations named by the policy file's flows.
fn covered(policy: &Path) -> Result<Vec<(Ipv4Addr, u16)>, Error> {
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

fn placement(mode: Mode) -> &'static str {
    match mode {
        Mode::Chain => "Chain",
        Mode::Sidecar => "Sidecar",
    }
}

fn example_files(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read_to_string(&p).map(|t| (p.display().to_string(), t)).map_err(|e| Error::io(&p, e)))
        .collect()
}

/// `attack-tests ARGS` run in netns `ns`, `input` as JSON on stdin; its stdout parsed as JSON
/// (or taken as text for `String`).
pub fn in_netns<T: serde::de::DeserializeOwned>(
    bins: &Binaries,
    ns: &str,
    args: &[&str],
    input: Option<&impl serde::Serialize>,
) -> Result<T, String> {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(&bins.attack_tests).args(args);
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let text = input.map(|i| serde_json::to_string(i).unwrap_or_default()).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    serde_json::from_str(&stdout)
        .or_else(|_| serde_json::from_value(serde_json::Value::String(stdout)))
        .map_err(|e| e.to_string())
}
