//! The netns lab: the example app of `deploy/examples/` on one node, made of network
//! namespaces, with real servers, `redirector local` programming nftables and the real
//! `inspector` (one chained inspector pod, or one sidecar per inspected pod).
//!
//! - [`derive`]: the lab's manifests from the examples (pure).
//! - [`topology`]: the node netns, its bridge, the pod netns.
//! - [`servers`], [`client`]: what runs inside the pods (`lab-serve`, `lab-send`, `lab-get`).
//! - [`procs`]: background processes, recorded by PID; [`inspectors`]: the inspectors.
//! - [`state`]: the record of everything created, for `lab down` (also after a crash).
//! - [`up`]: `lab up`; [`bins`]: prerequisites; [`cli`]: the subcommands.

pub mod bins;
pub mod cli;
pub mod client;
pub mod derive;
pub mod inspectors;
pub mod procs;
pub mod servers;
pub mod state;
pub mod topology;
pub mod up;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;
use derive::LabPod;

/// The default lab name (netns prefix and state directory name).
pub const DEFAULT_NAME: &str = "cwlab";
/// Where labs keep their state: `<root>/<name>/state.json`.
pub const DEFAULT_ROOT: &str = "/run/chainwall-lab";

/// Where covered flows are inspected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One inspector pod on the node bridge (MAC steer + TPROXY).
    Chain,
    /// One inspector in each inspected pod's netns (REDIRECT).
    Sidecar,
    /// The examples' own placements: Chain-placed flows through the inspector pod,
    /// Sidecar-placed ones through a sidecar in (only) the pods that need one.
    Mixed,
}

impl Mode {
    /// Whether the lab runs the node's inspector pod.
    pub fn chain(self) -> bool {
        self != Self::Sidecar
    }
}

/// One running inspector.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectorFacts {
    /// The netns it runs in.
    pub netns: String,
    /// Its `/metrics`.
    pub metrics_url: String,
    /// The netns to fetch `metrics_url` from (`ip netns exec NS curl URL`).
    pub metrics_netns: String,
    /// Its JSON audit log.
    pub audit_log: PathBuf,
    /// Its PID.
    pub pid: u32,
}

/// What `lab up --json` prints.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    /// The lab's name.
    pub name: String,
    /// Inspection mode.
    pub mode: Mode,
    /// Its state directory (state.json, manifests, logs).
    pub state_dir: PathBuf,
    /// The node netns (bridge `cw0`, 10.244.0.1/16).
    pub node_netns: String,
    /// The netns to send traffic from (the frontend pod).
    pub client_netns: String,
    /// Every pod: netns, IP, ports.
    pub pods: Vec<LabPod>,
    /// Covered destinations (`IP:PORT`), from the inspector's policy file.
    pub covered: Vec<String>,
    /// The inspectors.
    pub inspectors: Vec<InspectorFacts>,
    /// The derived manifests directory.
    pub manifests: PathBuf,
    /// The policy file `redirector local` writes and the inspectors read.
    pub inspector_policy: PathBuf,
    /// The background `redirector local` (every 500 ms: restores drift, follows the inspector's health): its PID.
    pub redirector_pid: u32,
    /// Its log.
    pub redirector_log: PathBuf,
    /// The request header every inspector signs (HMAC with this run's key) and every HTTP
    /// origin checks.
    pub marker_header: String,
    /// `<app>.log` per HTTP origin: one line per request that arrived without a valid marker.
    pub unsigned_logs: PathBuf,
}

impl Facts {
    /// The pod with this `app` label.
    pub fn pod(&self, app: &str) -> Option<&LabPod> {
        self.pods.iter().find(|p| p.app == app)
    }

    /// The requests that reached the origin of `app` without a valid marker: unix ms and
    /// request line.
    pub fn unsigned(&self, app: &str) -> Vec<(u128, String)> {
        servers::unsigned(&self.unsigned_logs.join(format!("{app}.log")))
    }
}

/// The state directory of lab `name` under `root`.
pub fn dir(root: &Path, name: &str) -> PathBuf {
    root.join(name)
}

/// `lab down`: removes everything lab `name` recorded; what was removed.
pub fn down(root: &Path, name: &str) -> Result<Vec<String>, Error> {
    let dir = dir(root, name);
    match state::State::load(&dir)? {
        Some(state) => Ok(state.teardown(&dir)),
        None => {
            let _ = std::fs::remove_dir_all(&dir);
            Ok(Vec::new())
        }
    }
}
