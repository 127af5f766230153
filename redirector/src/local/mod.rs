//! `redirector local`: the agent's pipeline with no apiserver. Manifests from a directory →
//! the node's plan → rulesets ([`redirector::nft`]) → per namespace, what the kernel holds is
//! read ([`dataplane::Dataplane::read`]), diffed, and only the difference applied as one
//! transaction (set elements over netlink, the rest as `nft -f`). Never a flush: a restart
//! with an unchanged plan applies nothing. Between passes [`program::Programmer`] keeps the
//! node's ruleset rendered incrementally and skips the read where it knows the kernel.
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
pub mod program;
mod run;
#[cfg(test)]
mod tests;
mod unplaced;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use policy_crd::api::RedirectPlanSpec;
use redirector::desired::{node_plan, node_spec};
#[cfg(test)]
use redirector::nft::config::Health;
use redirector::nft::config::{ChainConfig, Config, Families};
use redirector::nft::delta::NodeState;
use redirector::nft::diff::diff;
use redirector::nft::model::Ruleset;
#[cfg(test)]
use redirector::nft::node;
use redirector::nft::{inspector, sidecar};

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

/// [`Outcome::netns_role`] of a target's role.
pub fn role_label(role: &str) -> &'static str {
    match role {
        "node" => "node",
        "inspector" => "inspector",
        _ => "pod",
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

/// The node's plan (a `RedirectPlan` spec), from a manifest directory.
pub fn spec(args: &LocalArgs, dir: &Path) -> Result<RedirectPlanSpec> {
    let manifests = crate::load::manifests(dir)?;
    let netns = pods::netns_annotations(dir)?;
    let failure_modes =
        manifests.security_policies.iter().map(|(name, spec)| (name.clone(), spec.failure_mode)).collect();
    Ok(node_spec(&manifests.engine(), &args.node, &failure_modes, &netns))
}

/// The desired state of every namespace this node programs, from its plan (the `RedirectPlan`
/// spec, which `redirector agent` reads from the apiserver), all at once (the loops keep the
/// node's rendered with [`program::Programmer`]).
#[cfg(test)]
pub fn render(args: &LocalArgs, spec: &RedirectPlanSpec, health: Health) -> Result<Vec<Target>> {
    let (node, mut others) = render_parts(args, spec, &health::Healths::chain(health))?;
    if let Some(node) = node {
        let ruleset = node::node(&node.state.plan, &node.state.sets, &node.cfg, &node.chain);
        others.insert(0, Target { netns: node.netns, role: "node".into(), ruleset, routes: node.routes });
    }
    Ok(others)
}

/// The node netns's chain-mode input, before rendering: [`program::Programmer`] keeps it
/// rendered incrementally.
#[derive(Clone, Debug)]
pub struct NodeInput {
    /// The node netns.
    pub netns: Netns,
    /// The node's plan and address sets.
    pub state: NodeState,
    /// The renderer's configuration.
    pub cfg: Config,
    /// Chain mode's configuration.
    pub chain: ChainConfig,
    /// `ip` rule and route lines that must hold.
    pub routes: Vec<String>,
}

/// The node netns's input (chain placements only) and every other namespace's target.
pub fn render_parts(
    args: &LocalArgs,
    spec: &RedirectPlanSpec,
    healths: &health::Healths,
) -> Result<(Option<NodeInput>, Vec<Target>)> {
    let health = healths.chain;
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
    let mut node = None;
    let mut out = Vec::new();
    if placements.chain {
        let chain = args.chain_config()?;
        let inspector_ns = args
            .inspector_netns
            .as_deref()
            .map(Netns::parse)
            .context("chain mode needs --inspector-netns (the inspector pod's network namespace)")?;
        out.push(Target {
            netns: inspector_ns,
            role: "inspector".into(),
            ruleset: inspector::inspector(&cfg, &chain),
            routes: inspector::inspector_routes(&cfg, &chain),
        });
        node = Some(NodeInput {
            netns: args.node_netns.as_deref().map_or(Netns::Current, Netns::parse),
            state: NodeState { plan: plan.clone(), sets: sets.clone() },
            routes: inspector::node_routes(&chain),
            cfg: cfg.clone(),
            chain,
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
            let cfg = Config { health: healths.sidecar(&pod.pod), ..cfg.clone() };
            let ruleset = if needed { sidecar::sidecar(pod, sets, &cfg, &sc) } else { Ruleset::default() };
            out.push(Target {
                netns: Netns::parse(path),
                role: format!("pod {}", pod.pod),
                ruleset,
                routes: Vec::new(),
            });
        }
    }
    Ok((node, out))
}

/// Brings every target to its desired state: read, diff, apply the difference (the loops do
/// this through [`program::Programmer`]).
#[cfg(test)]
pub fn reconcile(dp: &mut impl Dataplane, targets: &[Target]) -> Result<Vec<Outcome>> {
    let outcomes = targets.iter().map(|t| reconcile_one(dp, &t.netns, &t.role, &t.ruleset, &t.routes)).collect();
    dp.retain(&targets.iter().map(|t| &t.netns).collect::<Vec<_>>());
    outcomes
}

/// Brings one namespace to `ruleset`: read, diff, apply the difference; then its routes.
pub fn reconcile_one(
    dp: &mut impl Dataplane,
    netns: &Netns,
    role: &str,
    ruleset: &Ruleset,
    routes: &[String],
) -> Result<Outcome> {
    let want = observe::stamp(ruleset);
    let kernel = dp.read(netns)?;
    let (old, drift) = observe::previous(&want, &kernel);
    let tx = diff(&old, &want);
    if !tx.is_empty() {
        dp.apply(netns, &tx, &want)?;
    }
    dp.ensure_routes(netns, routes)?;
    Ok(Outcome {
        target: format!("{role} ({netns})"),
        replaced: tx.replaced,
        deleted: tx.deleted,
        element_changes: tx.element_changes,
        drift,
        netns_role: role_label(role),
        counters: kernel
            .iter()
            .flat_map(|(family, seen)| {
                seen.counters.iter().map(move |(name, n)| (format!("{} {name}", family.keyword()), *n))
            })
            .collect(),
    })
}

/// After a reconcile of an unchanged plan (and health), any change applied undid someone
/// else's: each changed namespace is reported as drift.
pub fn mark_drift(outcomes: &mut [Outcome]) {
    for o in outcomes.iter_mut().filter(|o| !o.unchanged() && o.drift.is_empty()) {
        o.drift.push(format!("{}: differed from the unchanged plan", o.target));
    }
}
