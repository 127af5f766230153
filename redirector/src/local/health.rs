//! Inspector health, from its `/readyz`: one plain HTTP/1.1 GET with a short timeout; a `200`
//! status line is healthy, anything else (refused, timeout, other status) is down. The chain
//! inspector's probe runs from the redirector's own netns (a node agent runs in the node's);
//! a sidecar's runs inside its pod's netns ([`Readyz::probe_in`]).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use policy_crd::api::RedirectPlanSpec;
use redirector::nft::config::Health;

/// Where `/readyz` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readyz {
    /// Address and port.
    pub addr: SocketAddr,
    /// Path, with its leading `/`.
    pub path: String,
}

impl Readyz {
    /// `http://IP:PORT/path` (no host names: the agent must not depend on DNS).
    pub fn parse(url: &str) -> Result<Readyz> {
        let Some(rest) = url.strip_prefix("http://") else { bail!("{url:?}: only http:// URLs") };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr = authority.parse().with_context(|| format!("{url:?}: not http://IP:PORT/path"))?;
        let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!("{url:?}: the path has spaces or control characters");
        }
        Ok(Readyz { addr, path })
    }

    /// One probe, from this netns.
    pub fn probe(&self, timeout: Duration) -> Health {
        self.probe_in(None, timeout)
    }

    /// One probe, from the netns at `netns` (`None`: this one).
    pub fn probe_in(&self, netns: Option<&Path>, timeout: Duration) -> Health {
        let status = || -> std::io::Result<String> {
            let mut stream = TcpStream::connect_timeout(&self.addr, timeout)?;
            stream.set_read_timeout(Some(timeout))?;
            stream.set_write_timeout(Some(timeout))?;
            let request = format!("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.path, self.addr);
            stream.write_all(request.as_bytes())?;
            let mut line = String::new();
            BufReader::new(stream).read_line(&mut line)?;
            Ok(line)
        };
        let line = match netns {
            Some(path) => redirector::netns::within(path, status),
            None => status(),
        };
        match line {
            Ok(line) if line.split_whitespace().nth(1) == Some("200") => Health::Healthy,
            _ => Health::Down,
        }
    }
}

/// The health of every inspector a pass programs for: the chain inspector's, and each
/// sidecar's by pod (`ns/name`); a pod not listed has a healthy sidecar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Healths {
    /// The node's inspector pod.
    pub chain: Health,
    /// Sidecars found down or up, by pod.
    pub sidecars: BTreeMap<String, Health>,
}

impl Healths {
    /// Only the chain inspector's, sidecars assumed healthy.
    pub fn chain(chain: Health) -> Self {
        Self { chain, sidecars: BTreeMap::new() }
    }

    /// The sidecar's health of `pod`.
    pub fn sidecar(&self, pod: &str) -> Health {
        self.sidecars.get(pod).copied().unwrap_or(Health::Healthy)
    }

    /// Probes, with `readyz`, the sidecar of every pod of `spec` that has Sidecar-placed
    /// ingress and a netns.
    pub fn probe_sidecars(&mut self, readyz: &Readyz, spec: &RedirectPlanSpec, timeout: Duration) {
        self.sidecars = spec
            .pods
            .iter()
            .filter(|p| super::unplaced::sidecar_placed(p))
            .filter_map(|p| Some((p.pod.clone(), spec.netns.get(&p.pod)?)))
            .map(|(pod, ns)| {
                let path = super::dataplane::Netns::parse(ns).path();
                (pod, readyz.probe_in(path.as_deref(), timeout))
            })
            .collect();
    }

    /// Lines saying what changed from `before`, for the log (a sidecar first seen healthy is no
    /// change).
    pub fn changes(&self, before: &Healths) -> Vec<String> {
        let mut out = Vec::new();
        if self.chain != before.chain {
            out.push(format!("inspector health: {:?}", self.chain));
        }
        for (pod, health) in &self.sidecars {
            let was = before.sidecars.get(pod).copied().unwrap_or(Health::Healthy);
            if was != *health {
                out.push(format!("sidecar health of {pod}: {health:?}"));
            }
        }
        out
    }
}
