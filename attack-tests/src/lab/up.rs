//! `lab up`: tears down a stale lab of the same name, then builds, in order: the node netns
//! and its bridge, one netns per pod with its servers (waited for), the derived manifests,
//! `redirector local --once` (nftables and the inspector's policy file), the inspector(s)
//! (waited for on `/readyz`), and the background `redirector local` that keeps restoring
//! drift. Every step is recorded first, so a failure leaves nothing `lab down` cannot remove.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bins::{self, Binaries};
use super::client::{self, Probe};
use super::derive;
use super::inspectors;
use super::procs::{in_netns, spawn, wait_for};
use super::state::State;
use super::topology::{self, INSPECTOR_IP};
use super::{Facts, Mode};
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
    let marker = marker_key(dir)?;
    let unsigned_logs = dir.join("unsigned");
    std::fs::create_dir_all(&unsigned_logs).map_err(|e| Error::io(&unsigned_logs, e))?;
    for pod in &pods {
        topology::pod(state, dir, &node, &pod.netns, &pod.app, pod.ip)?;
        let list = |kind: &str| {
            pod.ports.iter().filter(|p| p.server == kind).map(|p| p.port.to_string()).collect::<Vec<_>>().join(",")
        };
        let mut args = ["lab-serve", "--label", &pod.app, "--http", &list("http"), "--tcp", &list("tcp")]
            .map(String::from)
            .to_vec();
        let log = unsigned_logs.join(format!("{}.log", pod.app));
        args.extend(["--marker-key-file".into(), marker.display().to_string()]);
        args.extend(["--unsigned-log".into(), log.display().to_string()]);
        spawn(state, dir, Some(&pod.netns), &bins.attack_tests, &args, &format!("server-{}", pod.app))?;
    }
    let inspector_ns = format!("{}-inspector", opts.name);
    if opts.mode.chain() {
        topology::pod(state, dir, &node, &inspector_ns, "inspector", INSPECTOR_IP)?;
    }
    servers_ready(bins, &node, &pods)?;
    log(&format!("lab: {} pods up in netns {}-*", pods.len(), opts.name));

    let manifests = dir.join("manifests");
    std::fs::create_dir_all(&manifests).map_err(|e| Error::io(&manifests, e))?;
    std::fs::write(manifests.join("lab.yaml"), manifests_text).map_err(|e| Error::io(&manifests, e))?;
    let policy = dir.join("inspector-policy.yaml");
    let redirector = |extra: &[&str]| redirector_args(opts, &manifests, &policy, &inspector_ns, extra);
    // Chain mode: the redirector runs in the node netns, as a node agent does.
    let redirector_ns = opts.mode.chain().then_some(node.as_str());
    let mut once = std::process::Command::new("ip");
    match redirector_ns {
        Some(ns) => _ = once.args(["netns", "exec", ns]).arg(&bins.redirector),
        None => once = std::process::Command::new(&bins.redirector),
    }
    let out = topology::run(once.args(redirector(&["--once"])))?;
    log(&format!("lab: redirector local --once:\n{}", out.trim_end()));
    let covered = inspectors::covered(&policy)?;
    let sidecars = inspectors::sidecar_pods(opts.mode, &pods, &covered)?;

    let inspectors = inspectors::start(opts.mode, bins, dir, state, &sidecars, (&node, &inspector_ns), &marker)?;
    for insp in &inspectors {
        let url = insp.metrics_url.replace("/metrics", "/readyz");
        wait_for(&format!("the inspector in {}", insp.netns), Duration::from_secs(90), || {
            in_netns::<String>(bins, &insp.metrics_netns, &["lab-get", &url], None::<&()>).map(|_| ())
        })?;
    }
    log(&format!("lab: {} inspector(s) ready", inspectors.len()));
    let mut args = redirector(&["--interval-ms", "500"]);
    if opts.mode.chain() {
        args.extend(["--inspector-readyz".into(), format!("http://{INSPECTOR_IP}:15090/readyz")]);
    }
    if opts.mode != Mode::Chain {
        // Each sidecar's metrics listener, on its pod's loopback.
        args.extend(["--sidecar-readyz".into(), "http://127.0.0.1:15090/readyz".into()]);
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
        marker_header: super::servers::MARKER_HEADER.into(),
        unsigned_logs,
    })
}

/// Waits until every pod's servers answer (from the node, before any rule isolates them).
fn servers_ready(bins: &Binaries, node: &str, pods: &[derive::LabPod]) -> Result<(), Error> {
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
        let outcomes = in_netns::<Vec<client::Outcome>>(bins, node, &["lab-send"], Some(&probes))?;
        let down: Vec<String> = probes
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| o.greeting.is_none() && o.origin.is_none())
            .map(|(p, o)| format!("{}: {}", p.addr, o.error.as_deref().unwrap_or("no answer")))
            .collect();
        if down.is_empty() { Ok(()) } else { Err(down.join(", ")) }
    })
}

/// `redirector local`'s arguments for this lab, then `extra`.
fn redirector_args(
    opts: &UpOptions,
    manifests: &Path,
    policy: &Path,
    inspector_ns: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut a: Vec<String> = ["local", "--node", derive::NODE, "--mode"].map(String::from).to_vec();
    a.push(
        match opts.mode {
            Mode::Chain => "chain",
            Mode::Sidecar => "sidecar",
            Mode::Mixed => "both",
        }
        .into(),
    );
    a.extend(["--manifests".into(), manifests.display().to_string()]);
    a.extend(["--inspector-policy".into(), policy.display().to_string()]);
    if opts.mode.chain() {
        let (mac, ip) = (topology::mac(INSPECTOR_IP), INSPECTOR_IP.to_string());
        let chain =
            ["--bridge", topology::BRIDGE, "--inspector-netns", inspector_ns, "--inspector-veth", "v-inspector"];
        a.extend(chain.map(String::from));
        a.extend(["--inspector-mac", &mac, "--inspector-ip", &ip].map(String::from));
    }
    if opts.mode != Mode::Chain {
        a.extend(["--sidecar-mark", "0x539"].map(String::from));
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn placement(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Chain => Some("Chain"),
        Mode::Sidecar => Some("Sidecar"),
        Mode::Mixed => None,
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

/// A fresh random key for this lab run's signed marker, in `dir/marker.key` (hex, mode 0600).
fn marker_key(dir: &Path) -> Result<PathBuf, Error> {
    use std::io::{Read as _, Write as _};
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut bytes = [0_u8; 32];
    let random = Path::new("/dev/urandom");
    std::fs::File::open(random).and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| Error::io(random, e))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join("marker.key");
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(hex.as_bytes()))
        .map_err(|e| Error::io(&path, e))?;
    Ok(path)
}
