//! `NetworkPolicyPort`: protocol, number or named port, and `endPort` ranges.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::Port;

use super::model::{Pod, Protocol};

/// A validated port entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortMatch {
    /// The protocol; TCP when the entry omits it.
    pub protocol: Protocol,
    /// Which ports of that protocol.
    pub ports: PortSpec,
}

/// The port part of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// `port` absent: every port of the protocol.
    Any,
    /// `port` (and `endPort`): an inclusive range.
    Range(u16, u16),
    /// A container port name, resolved on the destination pod.
    Named(String),
}

impl PortMatch {
    /// Validates an entry: known protocol, port 1-65535, `endPort` only after a numeric port
    /// and not below it.
    pub fn compile(port: &Port) -> Result<Self, String> {
        let protocol = match &port.protocol {
            None => Protocol::Tcp,
            Some(p) => Protocol::parse(p).ok_or_else(|| format!("unknown protocol {p:?}"))?,
        };
        let ports = match (&port.port, port.end_port) {
            (None, None) => PortSpec::Any,
            (None, Some(_)) => return Err("endPort without port".into()),
            (Some(IntOrString::String(name)), None) => compile_name(name)?,
            (Some(IntOrString::String(_)), Some(_)) => {
                return Err("endPort needs a numeric port, not a named one".into());
            }
            (Some(IntOrString::Int(p)), end) => {
                let start = number(*p)?;
                let end = end.map_or(Ok(start), number)?;
                if end < start {
                    return Err(format!("endPort {end} is below port {start}"));
                }
                PortSpec::Range(start, end)
            }
        };
        Ok(Self { protocol, ports })
    }

    /// Whether `protocol`/`port` to `destination` matches. A named port matches when the
    /// destination pod has a container port of that name, protocol and number.
    pub fn matches(&self, protocol: Protocol, port: u16, destination: &Pod) -> bool {
        protocol == self.protocol
            && match &self.ports {
                PortSpec::Any => true,
                PortSpec::Range(lo, hi) => (*lo..=*hi).contains(&port),
                PortSpec::Named(name) => resolve(name, protocol, destination).any(|p| p == port),
            }
    }
}

/// The numbers a named port has on a pod for a protocol (usually zero or one).
pub fn resolve<'a>(name: &'a str, protocol: Protocol, pod: &'a Pod) -> impl Iterator<Item = u16> + 'a {
    pod.ports.iter().filter(move |p| p.protocol == protocol && p.name.as_deref() == Some(name)).map(|p| p.port)
}

fn number(p: i32) -> Result<u16, String> {
    u16::try_from(p).ok().filter(|p| *p != 0).ok_or_else(|| format!("port {p} is not in 1-65535"))
}

fn compile_name(name: &str) -> Result<PortSpec, String> {
    // IANA_SVC_NAME: 1-15 chars of [a-z0-9-], at least one letter, no leading/trailing or
    // doubled hyphen. A string of digits is not a name.
    let valid = (1..=15).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid { Ok(PortSpec::Named(name.to_owned())) } else { Err(format!("invalid port name {name:?}")) }
}
