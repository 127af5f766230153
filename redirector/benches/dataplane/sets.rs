//! The design under test: the synthetic cluster (policy-crd's generator), by default scheduled
//! on one node so that every pod address lands in that node's chain-mode ruleset, rendered by
//! `redirector::nft` and programmed into a namespace of our own. A pod change goes the agent's
//! way: the controller's policy-crd `Delta` gives the new plan; the agent derives the delta
//! from the plan it holds (`NodeState::delta_to`), `Rendered::apply` turns it into element
//! updates (checked to be the fast path), and they go to the kernel as one netlink batch.

use std::time::{Duration, Instant};

use policy_crd::flow::Engine;
use policy_crd::synthetic::{self, Cluster, Size};
use redirector::nft::config::{ChainConfig, Config};
use redirector::nft::delta::NodeState;
use redirector::nft::diff::diff;
use redirector::nft::incremental::Rendered;
use redirector::nft::model::Ruleset;

use crate::netns::Netns;

/// The node whose ruleset is programmed.
const NODE: &str = "node-0";

/// A cluster programmed into a namespace.
#[derive(Debug)]
pub struct Programmed {
    /// Its size.
    pub size: Size,
    engine: Engine,
    rendered: Rendered,
    /// The first programming: engine + plan, render + index + diff, `nft -f`.
    pub times: [Duration; 3],
    /// Set elements and rules in the ruleset.
    pub elements: usize,
    /// Rules.
    pub rules: usize,
}

/// One pod added or removed: the controller's delta, the agent's computation, the kernel.
#[derive(Clone, Copy, Debug)]
pub struct Update {
    /// policy-crd's engine delta (the controller's work, not in the total).
    pub engine: Duration,
    /// The agent: `delta_to` (old plan → new plan) → `Rendered::apply`.
    pub compute: Duration,
    /// The element batch over netlink.
    pub kernel: Duration,
}

/// `pods` pods in `pods / 100` namespaces under `policies` policies, over `nodes` nodes (the
/// ruleset measured is `node-0`'s).
pub fn size(pods: usize, policies: usize, nodes: usize) -> Size {
    Size { pods, namespaces: (pods / 100).max(1), policies, nodes: nodes.max(1) }
}

fn config() -> (Config, ChainConfig) {
    (Config::chain_v4(), ChainConfig::example())
}

/// Builds the cluster and programs it from scratch into `ns` (which holds nothing yet).
pub fn program(size: Size, ns: &Netns) -> Result<Programmed, String> {
    let start = Instant::now();
    let Cluster { namespaces, pods, policies, security_policies } = synthetic::cluster(&size);
    let engine = Engine::new(namespaces, pods, policies, security_policies);
    let (plan, sets) = engine.node_plan(NODE);
    let planned = start.elapsed();
    let start = Instant::now();
    let (cfg, chain) = config();
    let rendered = Rendered::new(NodeState { plan, sets }, cfg, chain);
    let tx = diff(&Ruleset::default(), rendered.ruleset());
    let render = start.elapsed();
    let kernel = ns.nft(&tx.text)?;
    let tables = &rendered.ruleset().tables;
    let elements = tables.iter().flat_map(|t| &t.sets).map(|s| s.elements.len()).sum();
    let rules = tables.iter().flat_map(|t| &t.chains).map(|c| c.rules.len()).sum();
    Ok(Programmed { size, engine, rendered, times: [planned, render, kernel], elements, rules })
}

impl Programmed {
    /// Adds a pod scheduled on `node-0` (labelled like its neighbours, so it joins existing
    /// sets), then removes it again: two updates, each checked to be element-only.
    pub fn add_remove(&mut self, round: usize, ns: &Netns) -> Result<[Update; 2], String> {
        let pod = synthetic::pod(&self.size, self.size.pods + round * self.size.nodes);
        let key = pod.key();
        let added = self.step(ns, |engine| engine.upsert_pod(pod))?;
        let removed = self.step(ns, |engine| engine.remove_pod(&key))?;
        Ok([added, removed])
    }

    /// One change the agent's way: the controller's engine computes the delta (timed apart),
    /// the agent is handed the new plan and derives the delta from the one it holds
    /// (`NodeState::delta_to`), `Rendered::apply` turns it into element updates, and they go
    /// to the kernel over netlink.
    fn step(
        &mut self,
        ns: &Netns,
        change: impl FnOnce(&mut Engine) -> policy_crd::flow::Delta,
    ) -> Result<Update, String> {
        let start = Instant::now();
        let delta = change(&mut self.engine);
        let engine = start.elapsed();
        let next = self.rendered.state().apply(&delta); // the new plan, as the watch delivers it
        let start = Instant::now();
        let renders = self.rendered.counts().renders;
        let derived = self.rendered.state().delta_to(&next);
        let tx = self.rendered.apply(&derived);
        let compute = start.elapsed();
        if !tx.elements_only() || tx.element_changes == 0 {
            return Err(format!(
                "a pod change was not a set-element update (replaced {:?}, {} element changes)",
                tx.replaced, tx.element_changes
            ));
        }
        if self.rendered.counts().renders != renders {
            return Err("a pod change took the full render, not the incremental path".into());
        }
        let kernel = ns.apply(&tx)?;
        Ok(Update { engine, compute, kernel })
    }
}
