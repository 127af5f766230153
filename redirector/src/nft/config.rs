//! What the renderer needs besides the plan: where the inspector is, the marks and ports, and
//! facts the plan does not carry yet (SecurityPolicy failure modes, the node's bridge).
//! Validated once with [`Config::validate`], before anything is rendered.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use policy_crd::api::FailureMode;

/// The table every Chainwall ruleset lives in (one per family), so that one transaction
/// replaces or updates all of it.
pub const TABLE: &str = "chainwall";

/// Which IP families the cluster uses. Each one gets its own sets; elements of a family that
/// is off are left out (and reported by [`Config::validate`]'s callers, not silently merged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Families {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
    /// Dual stack.
    Dual,
}

impl Families {
    /// The families on, IPv4 first, as `true` for IPv4.
    pub fn list(self) -> &'static [bool] {
        match self {
            Self::V4 => &[true],
            Self::V6 => &[false],
            Self::Dual => &[true, false],
        }
    }
}

/// Whether the inspector answers its `/readyz`. The agent re-renders with `Down` to switch
/// every covered flow to its failure mode (an element update of the health maps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Health {
    /// Covered flows go to the inspector.
    #[default]
    Healthy,
    /// Fail-closed flows are dropped, fail-open flows bypass it (counted).
    Down,
}

/// Settings shared by both modes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// IP families.
    pub families: Families,
    /// Failure mode per SecurityPolicy name. The plan does not carry it; a name missing here
    /// fails closed.
    pub failure_modes: BTreeMap<String, FailureMode>,
    /// Inspector health.
    pub health: Health,
    /// The placements this node inspects. A covered flow of another placement is dropped
    /// (counted as `failed_closed`), never passed uninspected.
    pub placements: Placements,
    /// Local pods with Sidecar-placed ports whose sidecar this node cannot program (no known
    /// netns): the node drops their Sidecar-placed flows.
    pub sidecarless: BTreeSet<IpAddr>,
}

/// Which inspection placements a node is programmed for: its chain inspector, its pods'
/// sidecars, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placements {
    /// The node steers Chain-placed flows to its inspector pod.
    pub chain: bool,
    /// Destination pods redirect Sidecar-placed flows to their sidecar.
    pub sidecar: bool,
}

impl Placements {
    /// Chain-placed flows only.
    pub const CHAIN: Self = Self { chain: true, sidecar: false };
    /// Sidecar-placed flows only.
    pub const SIDECAR: Self = Self { chain: false, sidecar: true };
    /// Each flow per its own placement.
    pub const BOTH: Self = Self { chain: true, sidecar: true };

    /// Whether a covered grant of this placement is inspected on this node.
    pub fn inspects(self, sidecar_placed: bool) -> bool {
        if sidecar_placed { self.sidecar } else { self.chain }
    }
}

/// Chain mode: the node's netns (bridge steering) and the inspector pod's netns (TPROXY).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainConfig {
    /// The CNI bridge pods are attached to (`cni0`).
    pub bridge: String,
    /// The inspector pod's port on that bridge (its host-side veth): frames from it are never
    /// steered again.
    pub inspector_port: String,
    /// The inspector pod's MAC: covered frames get it as destination.
    pub inspector_mac: String,
    /// The inspector pod's IP: the next hop for covered flows that arrive routed (from other
    /// nodes), which never cross the bridge's prerouting hook.
    pub inspector_ip: IpAddr,
    /// Mark bit (in the node netns) that sends routed covered packets via the inspector.
    pub steer_mark: u32,
    /// Routing table for `steer_mark`.
    pub steer_table: u32,
    /// The inspector's TPROXY listener port (15001).
    pub inspector_port_number: u16,
    /// Mark bit (in the inspector netns) that routes TPROXY'd packets to the local socket.
    pub tproxy_mark: u32,
    /// Routing table for `tproxy_mark`.
    pub tproxy_table: u32,
}

/// How the sidecar proxy's own connections are kept out of the output redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyExclusion {
    /// The proxy sets `SO_MARK` (needs CAP_NET_ADMIN); matched with `meta mark`.
    Mark(u32),
    /// The proxy runs as this uid; matched with `meta skuid` (an app must never share it).
    Uid(u32),
}

/// Sidecar mode: inside one destination pod's netns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SidecarConfig {
    /// The sidecar's REDIRECT listener port (15006).
    pub port: u16,
    /// How the proxy is excluded from capture.
    pub exclusion: ProxyExclusion,
}

/// A setting that cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid dataplane setting {}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

fn err(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { field, reason: reason.into() }
}

impl Config {
    /// The failure mode of covered flows of this SecurityPolicy.
    pub fn failure_mode(&self, security_policy: &str) -> FailureMode {
        self.failure_modes.get(security_policy).copied().unwrap_or(FailureMode::Closed)
    }

    /// IPv4, healthy, chain placement, no failure modes: the smallest valid configuration
    /// (tests and benchmarks start from it).
    pub fn chain_v4() -> Self {
        Self {
            families: Families::V4,
            failure_modes: BTreeMap::new(),
            health: Health::Healthy,
            placements: Placements::CHAIN,
            sidecarless: Default::default(),
        }
    }
}

impl ChainConfig {
    /// A valid chain setup: bridge `cni0`, the inspector at 10.255.255.254 on
    /// `veth-cw-insp`, the default marks, tables and port (tests and benchmarks).
    pub fn example() -> Self {
        Self {
            bridge: "cni0".into(),
            inspector_port: "veth-cw-insp".into(),
            inspector_mac: "02:c0:ff:ee:01:fe".into(),
            inspector_ip: IpAddr::V4(std::net::Ipv4Addr::new(10, 255, 255, 254)),
            steer_mark: 0x0010_0000,
            steer_table: 101,
            inspector_port_number: 15001,
            tproxy_mark: 0x1,
            tproxy_table: 100,
        }
    }

    /// Checks names, MAC, marks and ports before anything is rendered.
    pub fn validate(&self) -> Result<(), ConfigError> {
        interface("bridge", &self.bridge)?;
        interface("inspector_port", &self.inspector_port)?;
        let octets: Vec<&str> = self.inspector_mac.split(':').collect();
        if octets.len() != 6 || !octets.iter().all(|o| o.len() == 2 && o.chars().all(|c| c.is_ascii_hexdigit())) {
            return Err(err("inspector_mac", format!("{:?} is not aa:bb:cc:dd:ee:ff", self.inspector_mac)));
        }
        single_bit("steer_mark", self.steer_mark)?;
        single_bit("tproxy_mark", self.tproxy_mark)?;
        for (field, table) in [("steer_table", self.steer_table), ("tproxy_table", self.tproxy_table)] {
            if table == 0 || (253..=255).contains(&table) {
                return Err(err(field, format!("{table} is a reserved routing table")));
            }
        }
        if self.inspector_port_number == 0 {
            return Err(err("inspector_port_number", "port 0"));
        }
        Ok(())
    }
}

impl SidecarConfig {
    /// Checks the port and the exclusion.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.port == 0 {
            return Err(err("port", "port 0"));
        }
        match self.exclusion {
            ProxyExclusion::Mark(0) => Err(err("exclusion", "mark 0 is every unmarked packet")),
            ProxyExclusion::Uid(0) => Err(err("exclusion", "uid 0 would exempt every root process")),
            _ => Ok(()),
        }
    }
}

fn interface(field: &'static str, name: &str) -> Result<(), ConfigError> {
    let ok =
        !name.is_empty() && name.len() < 16 && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if ok { Ok(()) } else { Err(err(field, format!("{name:?} is not an interface name"))) }
}

fn single_bit(field: &'static str, mark: u32) -> Result<(), ConfigError> {
    if mark.count_ones() == 1 { Ok(()) } else { Err(err(field, format!("{mark:#x} must be a single bit"))) }
}
