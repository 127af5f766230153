//! The lab's manifests (one Namespace, pods annotated with their netns, an L7NetworkPolicy
//! letting `app: client` reach `app: server` on TCP 8080 under a fail-closed SecurityPolicy)
//! and the `redirector local` command lines for both modes.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{BRIDGE, Lab, NET};

/// A pod of the manifests: its name (and lab netns), `app` label and last address octet.
#[derive(Clone, Copy, Debug)]
pub struct Pod {
    /// Name; the netns is `lab.netns(name)`.
    pub name: &'static str,
    /// `app` label.
    pub app: &'static str,
    /// `NET.<octet>`.
    pub octet: u8,
}

/// Writes `pods.yaml` (the pods) and `policy.yaml` (namespace, policy with this inspection
/// mode, SecurityPolicy).
pub fn write(dir: &Path, lab: &Lab, pods: &[Pod], inspection: &str) {
    let mut text = String::new();
    for pod in pods {
        text.push_str(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: lab\n  labels:\n    app: {app}\n  \
             annotations:\n    chainwall.dev/netns: {ns}\nspec:\n  nodeName: lab-node\n  containers:\n  - name: c\n    \
             image: none\nstatus:\n  phase: Running\n  podIP: {NET}.{octet}\n  podIPs:\n  - ip: {NET}.{octet}\n---\n",
            name = pod.name,
            app = pod.app,
            octet = pod.octet,
            ns = lab.netns(pod.name)
        ));
    }
    std::fs::write(dir.join("pods.yaml"), text).unwrap();
    let policy = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab\n  labels:\n    kubernetes.io/metadata.name: lab\n---\n\
         apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata:\n  name: server-ingress\n  namespace: lab\n\
         spec:\n  podSelector:\n    matchLabels:\n      app: server\n  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    \
         - podSelector:\n        matchLabels:\n          app: client\n    ports:\n    - protocol: TCP\n      port: 8080\n  \
         securityPolicyRef:\n    name: lab-waf\n  inspection:\n    mode: {inspection}\n---\n\
         apiVersion: chainwall.dev/v1alpha1\nkind: SecurityPolicy\nmetadata:\n  name: lab-waf\nspec:\n  mode: Block\n  \
         failureMode: Closed\n"
    );
    std::fs::write(dir.join("policy.yaml"), policy).unwrap();
}

/// `redirector local` for `mode` (`chain` and `both`: the inspector pod is `insp` at `NET.30`).
pub fn command(lab: &Lab, dir: &Path, mode: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redirector"));
    cmd.args(["local", "--mode", mode, "--node", "lab-node"]).arg("--manifests").arg(dir);
    if mode == "chain" || mode == "both" {
        cmd.args(["--bridge", BRIDGE, "--node-netns", &lab.netns("node"), "--inspector-netns", &lab.netns("insp")]);
        cmd.args(["--inspector-veth", "v-insp", "--inspector-mac", &Lab::mac(30)]);
        cmd.args(["--inspector-ip", &format!("{NET}.30")]);
    }
    cmd
}

/// `redirector local --once`; its stdout (one line per namespace).
pub fn once(lab: &Lab, dir: &Path, mode: &str) -> String {
    let out = command(lab, dir, mode).arg("--once").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "redirector local failed: {stderr}\n{stdout}");
    eprintln!("redirector local --once --mode {mode}:\n{stdout}{stderr}");
    stdout
}

/// `redirector local` polling every 200 ms, its stdout piped (the caller kills it by PID).
pub fn daemon(lab: &Lab, dir: &Path, mode: &str) -> Child {
    let mut cmd = command(lab, dir, mode);
    cmd.args(["--interval-ms", "200"]).stdout(Stdio::piped()).spawn().unwrap()
}

/// Adds `open.yaml`: `app: client` may reach `app: opensrv` on TCP 8080, inspected by
/// `lab-open`, which fails open.
pub fn write_open_policy(dir: &Path) {
    let text = "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata:\n  name: opensrv-ingress\n  \
                namespace: lab\nspec:\n  podSelector:\n    matchLabels:\n      app: opensrv\n  policyTypes:\n  - Ingress\n  \
                ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: client\n    ports:\n    \
                - protocol: TCP\n      port: 8080\n  securityPolicyRef:\n    name: lab-open\n---\n\
                apiVersion: chainwall.dev/v1alpha1\nkind: SecurityPolicy\nmetadata:\n  name: lab-open\nspec:\n  \
                mode: Block\n  failureMode: Open\n";
    std::fs::write(dir.join("open.yaml"), text).unwrap();
}

/// Chain-mode `redirector local` polling every 200 ms from inside the node netns (as a node
/// agent runs), probing the inspector's `/readyz`; stdout piped.
pub fn daemon_in_node(lab: &Lab, dir: &Path) -> Child {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &lab.netns("node"), env!("CARGO_BIN_EXE_redirector")]);
    cmd.args(["local", "--mode", "chain", "--node", "lab-node", "--interval-ms", "200"]).arg("--manifests").arg(dir);
    cmd.args(["--bridge", BRIDGE, "--inspector-netns", &lab.netns("insp")]);
    cmd.args(["--inspector-veth", "v-insp", "--inspector-mac", &Lab::mac(30)]);
    cmd.args(["--inspector-ip", &format!("{NET}.30")]);
    cmd.args(["--inspector-readyz", &format!("http://{NET}.30:15021/readyz")]);
    cmd.stdout(Stdio::piped()).spawn().unwrap()
}
