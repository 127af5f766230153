//! `redirector local`: the agent's pipeline with no apiserver. Manifests from a directory →
//! the node's plan → rulesets ([`redirector::nft`]) → per namespace, what the kernel holds is
//! read ([`dataplane::Dataplane::read`]), diffed, and only the difference applied as one
//! `nft -f` transaction. Never a flush: a restart with an unchanged plan applies nothing.
//!
//! Pods name their network namespace with the annotation `chainwall.dev/netns` (a name under
//! `/run/netns`, or an absolute path such as `/proc/<pid>/ns/net`); see [`pods`].

pub mod args;
pub mod dataplane;
pub mod health;
pub mod metrics;
pub mod observe;
pub mod pods;
pub mod policy_file;
mod run;
#[cfg(test)]
mod tests;
mod unplaced;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use policy_crd::api::RedirectPlanSpec;
use redirector::desired::{node_plan, node_spec};
use redirector::nft::config::{Config, Families, Health};
use redirector::nft::diff::diff;
use redirector::nft::model::Ruleset;
use redirector::nft::{inspector, node, sidecar};

pub use args::LocalArgs;
use dataplane::{Dataplane, Netns};
pub use run::run;

/// What one namespace must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Where.
    pub netns: Netns,
    /// What for, in log lines (`node`, `inspector`, `pod shop/x`).
    pub role: String,
    /// The Chainwall tables.
    pub ruleset: Ruleset,
    /// `ip` rule and route lines that must hold.
    pub routes: Vec<String>,
}

impl Target {
    /// [`Outcome::netns_role`].
    pub fn netns_role(&self) -> &'static str {
        match self.role.as_str() {
            "node" => "node",
            "inspector" => "inspector",
            _ => "pod",
        }
    }
}

/// What one reconcile did in one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The target's role and netns.
    pub target: String,
    /// Tables defined or replaced whole.
    pub replaced: Vec<String>,
    /// Tables deleted.
    pub deleted: Vec<String>,
    /// Set elements added plus deleted.
    pub element_changes: usize,
    /// Tables someone else changed (restored now).
    pub drift: Vec<String>,
    /// The target's kind, a bounded metric label: `node`, `inspector` or `pod`.
    pub netns_role: &'static str,
    /// The named counters as read before applying, by `FAMILY NAME` (`bridge bypassed`).
    pub counters: BTreeMap<String, u64>,
}

impl Outcome {
    /// Whether nothing was applied.
    pub fn unchanged(&self) -> bool {
        self.replaced.is_empty() && self.deleted.is_empty() && self.element_changes == 0
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.unchanged() {
            return write!(f, "{}: unchanged", self.target);
        }
        write!(
            f,
            "{}: applied (replaced {:?}, deleted {:?}, {} element changes)",
            self.target, self.replaced, self.deleted, self.element_changes
        )?;
        for line in &self.drift {
            write!(f, "; drift restored: {line}")?;
        }
        Ok(())
    }
}

/// The desired state of every namespace this node programs, from a manifest directory.
pub fn targets(args: &LocalArgs, dir: &Path, health: Health) -> Result<Vec<Target>> {
    let manifests = crate::load::manifests(dir)?;
    let netns = pods::netns_annotations(dir)?;
    let failure_modes =
        manifests.security_policies.iter().map(|(name, spec)| (name.clone(), spec.failure_mode)).collect();
    render(args, &node_spec(&manifests.engine(), &args.node, &failure_modes, &netns), health)
}

/// The desired state of every namespace this node programs, from its plan (the `RedirectPlan`
/// spec, which `redirector agent` reads from the apiserver).
pub fn render(args: &LocalArgs, spec: &RedirectPlanSpec, health: Health) -> Result<Vec<Target>> {
    let placements = args.mode.placements();
    let (plan, sets, netns) = (node_plan(spec), &spec.address_sets, &spec.netns);
    // Pods whose sidecar cannot be programmed: the node drops their Sidecar-placed flows.
    let sidecarless = plan
        .pods
        .iter()
        .filter(|p| placements.sidecar && unplaced::sidecar_placed(p) && !netns.contains_key(&p.pod))
        .map(|p| p.ip)
        .collect();
    let failure_modes = spec.failure_modes.clone();
    let cfg = Config { families: Families::V4, failure_modes, health, placements, sidecarless };
    unplaced::report(&plan, placements);
    let mut out = Vec::new();
    if placements.chain {
        let chain = args.chain_config()?;
        let inspector_ns = args
            .inspector_netns
            .as_deref()
            .map(Netns::parse)
            .context("chain mode needs --inspector-netns (the inspector pod's network namespace)")?;
        let node_ns = args.node_netns.as_deref().map_or(Netns::Current, Netns::parse);
        out.push(Target {
            netns: node_ns,
            role: "node".into(),
            ruleset: node::node(&plan, sets, &cfg, &chain),
            routes: inspector::node_routes(&chain),
        });
        out.push(Target {
            netns: inspector_ns,
            role: "inspector".into(),
            ruleset: inspector::inspector(&cfg, &chain),
            routes: inspector::inspector_routes(&cfg, &chain),
        });
    }
    if placements.sidecar {
        let sc = args.sidecar_config()?;
        for pod in &plan.pods {
            // With the node's inspector, a pod needs a table only for its sidecar-placed ports
            // (the node enforces the rest); an empty ruleset removes a table it no longer needs.
            let needed = !placements.chain || unplaced::sidecar_placed(pod);
            let Some(path) = netns.get(&pod.pod) else {
                if needed {
                    let dropped = if unplaced::sidecar_placed(pod) { ", its Sidecar-placed flows dropped" } else { "" };
                    eprintln!(
                        "redirector: pod {} has no chainwall.dev/netns annotation: not programmed{dropped}",
                        pod.pod
                    );
                }
                continue;
            };
            let ruleset = if needed { sidecar::sidecar(pod, sets, &cfg, &sc) } else { Ruleset::default() };
            out.push(Target {
                netns: Netns::parse(path),
                role: format!("pod {}", pod.pod),
                ruleset,
                routes: Vec::new(),
            });
        }
    }
    Ok(out)
}

/// Brings every target to its desired state: read, diff, apply the difference.
pub fn reconcile(dp: &mut impl Dataplane, targets: &[Target]) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for target in targets {
        let want = observe::stamp(&target.ruleset);
        let kernel = dp.read(&target.netns)?;
        let (old, drift) = observe::previous(&want, &kernel);
        let tx = diff(&old, &want);
        if !tx.is_empty() {
            dp.apply(&target.netns, &tx, &want)?;
        }
        dp.ensure_routes(&target.netns, &target.routes)?;
        outcomes.push(Outcome {
            target: format!("{} ({})", target.role, target.netns),
            replaced: tx.replaced,
            deleted: tx.deleted,
            element_changes: tx.element_changes,
            drift,
            netns_role: target.netns_role(),
            counters: kernel
                .iter()
                .flat_map(|(family, seen)| {
                    seen.counters.iter().map(move |(name, n)| (format!("{} {name}", family.keyword()), *n))
                })
                .collect(),
        });
    }
    dp.retain(&targets.iter().map(|t| &t.netns).collect::<Vec<_>>());
    Ok(outcomes)
}

/// After a reconcile of an unchanged plan (and health), any change applied undid someone
/// else's: each changed namespace is reported as drift.
pub fn mark_drift(outcomes: &mut [Outcome]) {
    for o in outcomes.iter_mut().filter(|o| !o.unchanged() && o.drift.is_empty()) {
        o.drift.push(format!("{}: differed from the unchanged plan", o.target));
    }
}
