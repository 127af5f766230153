//! Shared by the `nft_*` tests: the example app and the configs used for goldens.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub use redirector::nft;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use nft::config::{ChainConfig, Config, Families, Health, Placements, ProxyExclusion, SidecarConfig};
use policy_crd::flow::{AddressSet, Engine, NodePlan};
use policy_crd::manifests::Manifests;

/// `deploy/examples`, loaded as `redirector plan` loads it (probes are skipped).
pub fn examples() -> Manifests {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut manifests = Manifests::default();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        manifests.add_yaml(&name, &text).unwrap_or_else(|e| panic!("cannot load example: {e}"));
    }
    manifests
}

/// The shared settings, with failure modes taken from the example SecurityPolicies.
pub fn config(manifests: &Manifests, health: Health) -> Config {
    let failure_modes =
        manifests.security_policies.iter().map(|(name, spec)| (name.clone(), spec.failure_mode)).collect();
    Config {
        families: Families::V4,
        failure_modes,
        health,
        placements: Placements::BOTH,
        sidecarless: Default::default(),
    }
}

/// Chain mode on a node whose inspector pod is 10.244.1.254 on `cni0`.
pub fn chain_config() -> ChainConfig {
    ChainConfig {
        bridge: "cni0".into(),
        inspector_port: "veth-cw-insp".into(),
        inspector_mac: "02:c0:ff:ee:01:fe".into(),
        inspector_ip: IpAddr::V4(Ipv4Addr::new(10, 244, 1, 254)),
        steer_mark: 0x0010_0000,
        steer_table: 101,
        inspector_port_number: 15001,
        tproxy_mark: 0x1,
        tproxy_table: 100,
    }
}

/// Sidecar mode with the proxy marking its sockets 0x539 (1337).
pub fn sidecar_config() -> SidecarConfig {
    SidecarConfig { port: 15006, exclusion: ProxyExclusion::Mark(0x539) }
}

/// One node's plan and sets.
pub fn node_plan(engine: &Engine, node: &str) -> (NodePlan, BTreeMap<String, AddressSet>) {
    engine.node_plan(node)
}

/// Compares `text` with `tests/golden/<name>`; with `UPDATE_GOLDEN=1`, writes it instead.
pub fn golden(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    if want != text {
        panic!(
            "{name} differs from the golden file; review, then UPDATE_GOLDEN=1 cargo test -p redirector\n--- got ---\n{text}"
        );
    }
}
