//! `redirector local`'s flags (every one also an environment variable `REDIRECTOR_*`),
//! validated before anything touches the kernel.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use redirector::nft::config::{ChainConfig, Placements, ProxyExclusion, SidecarConfig};

/// Where covered flows are inspected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// The node steers covered flows to its inspector pod (bridge MAC steer + TPROXY).
    Chain,
    /// Each destination pod redirects covered ports to its sidecar.
    Sidecar,
    /// Each covered flow per its own placement: Chain-placed through the node's inspector,
    /// Sidecar-placed through the destination pod's sidecar.
    Both,
}

impl Mode {
    /// The placements this mode inspects; a covered flow of another placement is dropped.
    pub fn placements(self) -> Placements {
        match self {
            Self::Chain => Placements::CHAIN,
            Self::Sidecar => Placements::SIDECAR,
            Self::Both => Placements::BOTH,
        }
    }
}

/// Flags of `redirector local`.
#[derive(Clone, Debug, Args)]
pub struct LocalArgs {
    /// Manifest directory (Namespaces, Pods with `chainwall.dev/netns`, L7NetworkPolicies,
    /// SecurityPolicies), read recursively.
    #[arg(long, env = "REDIRECTOR_MANIFESTS")]
    pub manifests: PathBuf,
    /// This node's name (pods' `spec.nodeName`).
    #[arg(long, env = "REDIRECTOR_NODE")]
    pub node: String,
    /// Inspection placements to program (`both`: each flow per its own placement). A covered
    /// flow whose placement is not programmed here is dropped, never passed uninspected.
    #[arg(long, env = "REDIRECTOR_MODE", value_enum, default_value = "chain")]
    pub mode: Mode,
    /// Apply once and exit (default: keep polling the manifests and restoring drift).
    #[arg(long, env = "REDIRECTOR_ONCE")]
    pub once: bool,
    /// Poll interval, milliseconds.
    #[arg(long, env = "REDIRECTOR_INTERVAL_MS", default_value_t = 2000)]
    pub interval_ms: u64,
    /// Chain mode: the node's netns (a name or a path); default: this process's.
    #[arg(long, env = "REDIRECTOR_NODE_NETNS")]
    pub node_netns: Option<String>,
    /// Chain mode: the bridge pods are attached to.
    #[arg(long, env = "REDIRECTOR_BRIDGE", default_value = "cni0")]
    pub bridge: String,
    /// Chain mode: the inspector pod's netns (a name or a path).
    #[arg(long, env = "REDIRECTOR_INSPECTOR_NETNS")]
    pub inspector_netns: Option<String>,
    /// Chain mode: the inspector pod's host-side veth on the bridge.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_VETH")]
    pub inspector_veth: Option<String>,
    /// Chain mode: the inspector pod's MAC.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_MAC")]
    pub inspector_mac: Option<String>,
    /// Chain mode: the inspector pod's IP.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_IP")]
    pub inspector_ip: Option<IpAddr>,
    /// Chain mode: the inspector's readiness URL (`http://IP:PORT/readyz`), probed every
    /// interval; while it fails, covered flows take their failure mode (closed: dropped,
    /// open: bypass, counted). Without it the inspector is assumed healthy.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_READYZ")]
    pub inspector_readyz: Option<String>,
    /// Chain mode: the inspector's TPROXY port.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_PORT", default_value_t = 15001)]
    pub inspector_port: u16,
    /// Chain mode: the TPROXY mark in the inspector netns (one bit).
    #[arg(long, env = "REDIRECTOR_TPROXY_MARK", default_value = "0x1", value_parser = mark)]
    pub tproxy_mark: u32,
    /// Chain mode: the routing table for the TPROXY mark.
    #[arg(long, env = "REDIRECTOR_TPROXY_TABLE", default_value_t = 100)]
    pub tproxy_table: u32,
    /// Chain mode: the routed-twin steering mark in the node netns (one bit).
    #[arg(long, env = "REDIRECTOR_STEER_MARK", default_value = "0x100000", value_parser = mark)]
    pub steer_mark: u32,
    /// Chain mode: the routing table for the steering mark.
    #[arg(long, env = "REDIRECTOR_STEER_TABLE", default_value_t = 101)]
    pub steer_table: u32,
    /// Sidecar mode: the sidecar's REDIRECT port.
    #[arg(long, env = "REDIRECTOR_SIDECAR_PORT", default_value_t = 15006)]
    pub sidecar_port: u16,
    /// Sidecar mode: the mark the sidecar sets on its upstream sockets (excluded from capture).
    #[arg(long, env = "REDIRECTOR_SIDECAR_MARK", value_parser = mark, conflicts_with = "sidecar_uid")]
    pub sidecar_mark: Option<u32>,
    /// Sidecar mode: the uid the sidecar runs as (excluded from capture), instead of a mark.
    #[arg(long, env = "REDIRECTOR_SIDECAR_UID")]
    pub sidecar_uid: Option<u32>,
    /// Sidecar mode: the sidecars' readiness URL (`http://127.0.0.1:15090/readyz`), probed every
    /// interval inside each pod's netns; while a pod's sidecar fails it, that pod's covered
    /// flows take their failure mode (closed: dropped, open: straight to the app, counted as
    /// bypassed). Without it the sidecars are assumed healthy.
    #[arg(long, env = "REDIRECTOR_SIDECAR_READYZ")]
    pub sidecar_readyz: Option<String>,
    /// The inspector's policy file (`inspector --policy FILE`), rewritten atomically whenever
    /// the plan's SecurityPolicies or covered destinations change.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_POLICY")]
    pub inspector_policy: Option<PathBuf>,
    /// Where to serve Prometheus `/metrics` (`IP:PORT`): bypass, fail-closed and denied
    /// packets, drift restored, applies, inspector health, plan size.
    #[arg(long, env = "REDIRECTOR_METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

fn mark(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|e| format!("{text:?} is not a mark: {e}"))
}

impl LocalArgs {
    /// Everything checked before the kernel is touched.
    pub fn validate(&self) -> Result<()> {
        if !self.manifests.is_dir() {
            bail!("--manifests {} is not a directory", self.manifests.display());
        }
        for url in self.inspector_readyz.iter().chain(&self.sidecar_readyz) {
            super::health::Readyz::parse(url)?;
        }
        self.validate_placements()
    }

    /// The settings of every placement `--mode` programs (the agent has no manifests).
    pub fn validate_placements(&self) -> Result<()> {
        let placements = self.mode.placements();
        if placements.chain {
            self.chain_config()?.validate()?;
        }
        if placements.sidecar {
            self.sidecar_config()?.validate()?;
        }
        Ok(())
    }

    /// The chain-mode settings; every inspector flag is required.
    pub fn chain_config(&self) -> Result<ChainConfig> {
        let (Some(veth), Some(mac), Some(ip), Some(_)) =
            (&self.inspector_veth, &self.inspector_mac, self.inspector_ip, &self.inspector_netns)
        else {
            bail!("chain mode needs --inspector-netns, --inspector-veth, --inspector-mac and --inspector-ip");
        };
        Ok(ChainConfig {
            bridge: self.bridge.clone(),
            inspector_port: veth.clone(),
            inspector_mac: mac.to_ascii_lowercase(),
            inspector_ip: ip,
            steer_mark: self.steer_mark,
            steer_table: self.steer_table,
            inspector_port_number: self.inspector_port,
            tproxy_mark: self.tproxy_mark,
            tproxy_table: self.tproxy_table,
        })
    }

    /// The sidecar-mode settings (default exclusion: mark 0x539).
    pub fn sidecar_config(&self) -> Result<SidecarConfig> {
        let exclusion = match (self.sidecar_mark, self.sidecar_uid) {
            (_, Some(uid)) => ProxyExclusion::Uid(uid),
            (mark, None) => ProxyExclusion::Mark(mark.unwrap_or(0x539)),
        };
        Ok(SidecarConfig { port: self.sidecar_port, exclusion })
    }
}
