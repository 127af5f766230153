//! The inspector's policy file (`inspector --policy FILE`), computed from a node's plan:
//! every SecurityPolicy the plan's inspected grants name, and one flow per covered
//! destination (`pod IP:port`) mapping it to the policy that inspects it. Pure: [`file`]
//! writes it atomically, only when it changed.
//!
//! Covered destinations:
//! - ingress grants with `inspect`: the local pod's IP on each port of the grant (a grant
//!   with no ports: the pod's declared TCP container ports);
//! - egress grants with `inspect`: every pod address (and endpoint) of the peer set on those
//!   ports (`ipBlock` peers cannot be listed: reported, and the inspector refuses what it has
//!   no flow for, with 503).
//!
//! A port range of more than [`MAX_RANGE`] ports is narrowed to the destination pod's declared
//! TCP container ports inside it. Two or more SecurityPolicies covering one destination are
//! combined into one policy (see [`combine`]).

pub mod combine;
pub mod file;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use policy_crd::api::SecurityPolicySpec;
use policy_crd::flow::{AddressSet, Grant, NodePlan, Pod, PortRange, Protocol};
use serde::Serialize;

/// Larger ranges are narrowed to the destination pod's declared ports.
pub const MAX_RANGE: u32 = 256;

/// The policy file, in the shape the inspector reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyFile {
    /// Every SecurityPolicy a flow uses, by name.
    pub security_policies: Vec<NamedPolicy>,
    /// One entry per covered destination, sorted.
    pub flows: Vec<Flow>,
}

/// A SecurityPolicy in its Kubernetes shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedPolicy {
    /// `chainwall.dev/v1alpha1`.
    pub api_version: &'static str,
    /// `SecurityPolicy`.
    pub kind: &'static str,
    /// Its name.
    pub metadata: Metadata,
    /// Its spec (combined ones: see [`combine`]).
    pub spec: SecurityPolicySpec,
}

/// `metadata.name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The name.
    pub name: String,
}

/// One covered destination and the policy that inspects it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Flow {
    /// `IP:PORT`.
    pub destination: String,
    /// SecurityPolicy name.
    pub policy: String,
    /// The destination pod's namespace (a metric label), when [`Options::namespace`] is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// How the file is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Write each flow's `namespace` (inspectors that know the field).
    pub namespace: bool,
}

/// The file and what could not be listed in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Computed {
    /// The policy file.
    pub file: PolicyFile,
    /// One line per covered destination left out, or unknown SecurityPolicy.
    pub warnings: Vec<String>,
}

/// The policy file of `plan` (with the address sets it references). `pods` are every pod
/// known (for namespaces and declared ports), `policies` every SecurityPolicy by name.
pub fn compute(
    plan: &NodePlan,
    sets: &BTreeMap<String, AddressSet>,
    pods: &[Pod],
    policies: &BTreeMap<String, SecurityPolicySpec>,
    options: Options,
) -> Computed {
    let by_ip: BTreeMap<IpAddr, &Pod> = pods.iter().filter_map(|p| Some((p.ip?, p))).collect();
    let mut covered: BTreeMap<SocketAddr, BTreeSet<String>> = BTreeMap::new();
    let mut warnings = Vec::new();
    for pod in &plan.pods {
        for grant in pod.ingress.iter().flatten() {
            let Some(inspect) = &grant.inspect else { continue };
            for port in ports(grant, by_ip.get(&pod.ip).copied(), &mut warnings, pod.ip) {
                covered.entry(SocketAddr::new(pod.ip, port)).or_default().insert(inspect.security_policy.clone());
            }
        }
        for grant in pod.egress.iter().flatten() {
            let Some(inspect) = &grant.inspect else { continue };
            for addr in egress_destinations(grant, sets, &by_ip, &mut warnings) {
                covered.entry(addr).or_default().insert(inspect.security_policy.clone());
            }
        }
    }
    let mut used: BTreeMap<String, SecurityPolicySpec> = BTreeMap::new();
    let mut flows = Vec::new();
    for (destination, names) in covered {
        let known: Vec<(&String, &SecurityPolicySpec)> =
            names.iter().filter_map(|n| policies.get(n).map(|s| (n, s))).collect();
        if known.len() != names.len() {
            warnings.push(format!("{destination}: unknown SecurityPolicy among {names:?}: not listed (refused)"));
            continue;
        }
        let (name, spec) = combine::combine(&known);
        used.entry(name.clone()).or_insert(spec);
        let namespace = options.namespace.then(|| by_ip.get(&destination.ip()).map(|p| p.namespace.clone())).flatten();
        flows.push(Flow { destination: destination.to_string(), policy: name, namespace });
    }
    let security_policies = used
        .into_iter()
        .map(|(name, spec)| NamedPolicy {
            api_version: "chainwall.dev/v1alpha1",
            kind: "SecurityPolicy",
            metadata: Metadata { name },
            spec,
        })
        .collect();
    warnings.sort();
    warnings.dedup();
    Computed { file: PolicyFile { security_policies, flows }, warnings }
}

/// The TCP ports of `grant` toward a pod at `ip` (`pod`: what the manifests know of it).
fn ports(grant: &Grant, pod: Option<&Pod>, warnings: &mut Vec<String>, ip: IpAddr) -> BTreeSet<u16> {
    let declared = || pod.into_iter().flat_map(|p| &p.ports).filter(|c| c.protocol == Protocol::Tcp).map(|c| c.port);
    let Some(ranges) = &grant.ports else { return declared().collect() };
    let mut out = BTreeSet::new();
    for range in ranges.iter().filter(|r| r.protocol == Protocol::Tcp) {
        if span(range) <= MAX_RANGE {
            out.extend(range.first..=range.last);
        } else {
            let inside: Vec<u16> = declared().filter(|p| (range.first..=range.last).contains(p)).collect();
            if inside.is_empty() {
                warnings.push(format!(
                    "{ip}: ports {}-{} of {} not listed (no declared port)",
                    range.first, range.last, grant.policy
                ));
            }
            out.extend(inside);
        }
    }
    out
}

fn span(range: &PortRange) -> u32 {
    u32::from(range.last).saturating_sub(u32::from(range.first)) + 1
}

/// The destinations an inspected egress grant covers.
fn egress_destinations(
    grant: &Grant,
    sets: &BTreeMap<String, AddressSet>,
    by_ip: &BTreeMap<IpAddr, &Pod>,
    warnings: &mut Vec<String>,
) -> Vec<SocketAddr> {
    let Some(set) = grant.peers.as_ref().and_then(|id| sets.get(id)) else {
        warnings.push(format!("{}: inspected egress to any address cannot be listed", grant.policy));
        return Vec::new();
    };
    if !set.blocks.is_empty() {
        warnings.push(format!("{}: inspected egress to ipBlock peers cannot be listed", grant.policy));
    }
    let mut out = Vec::new();
    for ip in &set.addresses {
        out.extend(ports(grant, by_ip.get(ip).copied(), warnings, *ip).into_iter().map(|p| SocketAddr::new(*ip, p)));
    }
    for endpoint in &set.endpoints {
        let tcp = grant.ports.iter().flatten().any(|r| r.protocol == Protocol::Tcp);
        let in_range = grant.ports.iter().flatten().any(|r| (r.first..=r.last).contains(&endpoint.port));
        if tcp && in_range {
            out.push(SocketAddr::new(endpoint.address, endpoint.port));
        }
    }
    out
}

/// The file's text (YAML).
pub fn render(file: &PolicyFile) -> Result<String, String> {
    let body = serde_saphyr::to_string(file).map_err(|e| e.to_string())?;
    Ok(format!("# Written by redirector: the inspector's policies and flow map. Do not edit.\n{body}"))
}
