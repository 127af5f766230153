//! Which rules inspect which flow. A [`Ruleset`] is what was compiled: one rule set for every
//! flow (plain `--rules`, or the policy of the explicit upstream), or one per SecurityPolicy
//! with the flow map (`--policy` in a transparent mode). [`Flows`] is what is in force: the
//! policy of an original destination `ip:port`. The policy format has no default entry, so
//! a destination the flow map does not name is refused with 503 and counted
//! (`chainwall_flows_refused_total{reason="no_policy"}`); it is never forwarded uninspected.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::PolicySource;
use crate::policy::{self, Compiled, PolicyErrors};
use crate::proxy::Active;
use crate::rules::Loaded;

/// Compiled rules.
#[derive(Debug)]
pub enum Ruleset {
    /// One rule set for every flow.
    Single(Box<Loaded>),
    /// One rule set per SecurityPolicy, chosen by original destination.
    PerFlow(Compiled),
}

/// Reads and compiles `--policy`: in upstream mode the upstream's policy, else every policy
/// of the flow map. `extra` rule files follow each policy.
pub fn load_policy(
    source: &PolicySource,
    extra: &[std::path::PathBuf],
    upstream: Option<SocketAddr>,
) -> Result<Ruleset, PolicyErrors> {
    match upstream {
        Some(upstream) => {
            policy::load(&source.path, &source.crs, extra, upstream).map(|l| Ruleset::Single(Box::new(l)))
        }
        None => policy::compile(&policy::read(&source.path)?, &source.crs, extra).map(Ruleset::PerFlow),
    }
}

/// The rules in force, by original destination.
#[derive(Debug, Default)]
pub struct Flows {
    by_destination: HashMap<SocketAddr, Arc<Active>>,
    every: Option<Arc<Active>>,
    /// The destinations' namespaces (a bounded label: the flow map names them).
    namespaces: HashMap<SocketAddr, String>,
    /// Every rule id of every rule set.
    pub ids: BTreeSet<u64>,
}

impl Flows {
    /// The rules inspecting a flow to `destination`; `None`: no policy, refuse it.
    pub fn select(&self, destination: SocketAddr) -> Option<Arc<Active>> {
        self.every.clone().or_else(|| self.by_destination.get(&destination).cloned())
    }

    /// The policy label of `destination` (`-` when none applies).
    pub fn label(&self, destination: SocketAddr) -> String {
        self.select(destination).map_or_else(|| "-".to_owned(), |a| a.policy.clone())
    }

    /// The namespace of `destination` (`-` when the flow map names none).
    pub fn namespace(&self, destination: SocketAddr) -> &str {
        self.namespaces.get(&destination).map_or("-", String::as_str)
    }

    /// The policy names in force, for logs.
    pub fn names(&self) -> Vec<String> {
        let all = self.every.iter().chain(self.by_destination.values());
        let names: BTreeSet<&str> = all.map(|a| a.policy.as_str()).collect();
        names.into_iter().map(str::to_owned).collect()
    }
}

impl From<Ruleset> for Flows {
    fn from(ruleset: Ruleset) -> Self {
        match ruleset {
            Ruleset::Single(loaded) => {
                let loaded = *loaded;
                let every = Some(Arc::new(Active::new(loaded.policy, loaded.rules)));
                let namespaces = loaded.namespaces.into_iter().collect();
                Self { by_destination: HashMap::new(), every, namespaces, ids: loaded.ids }
            }
            Ruleset::PerFlow(compiled) => {
                let mut ids = BTreeSet::new();
                let mut policies = HashMap::new();
                for (name, loaded) in compiled.policies {
                    ids.extend(loaded.ids);
                    policies.insert(name.clone(), Arc::new(Active::new(name, loaded.rules)));
                }
                let by_destination = compiled
                    .flows
                    .into_iter()
                    .filter_map(|(destination, name)| Some((destination, policies.get(&name)?.clone())))
                    .collect();
                let namespaces = compiled.namespaces.into_iter().collect();
                Self { by_destination, every: None, namespaces, ids }
            }
        }
    }
}

#[cfg(test)]
mod tests;
