//! A node agent's passes over its plan, remembered between passes. The node netns's
//! chain-mode tables are kept rendered by [`Rendered`]: a new plan that only moves pods in
//! and out of existing sets becomes the set-element updates between the two, applied with no
//! read of the kernel (the node holds what the last pass left, or the batch is refused and
//! the pass falls back to the full read-diff-apply). Every other namespace is reconciled
//! whole when its ruleset changed, and left alone when the last pass programmed the same.
//! A `check` pass (drift), a structural change or a failure reads and diffs everything.

use anyhow::Result;
use policy_crd::api::RedirectPlanSpec;
use redirector::nft::incremental::Rendered;
use redirector::nft::model::Ruleset;

use super::dataplane::{Dataplane, Netns};
use super::health::Healths;
use super::{LocalArgs, NodeInput, Outcome, Target, reconcile_one, render_parts, role_label};

/// The node's rendered tables, where they go, and whether the kernel holds them.
#[derive(Debug)]
struct Node {
    netns: Netns,
    routes: Vec<String>,
    rendered: Rendered,
    /// The last pass left the kernel holding `rendered`'s ruleset.
    trusted: bool,
}

/// At least every this many passes read the kernel, even while the plan keeps changing: drift
/// is restored on a busy node too.
pub const CHECK_EVERY: usize = 10;

/// The dataplane and what the passes remember.
#[derive(Debug)]
pub struct Programmer<D> {
    dp: D,
    node: Option<Node>,
    /// Passes since the last one that read the kernel.
    unchecked: usize,
    /// The other namespaces' targets, and whether the last pass left each programmed.
    others: Vec<(Target, bool)>,
}

impl<D: Dataplane> Programmer<D> {
    /// Nothing remembered yet: the first pass reconciles every namespace whole.
    pub fn new(dp: D) -> Self {
        Self { dp, node: None, unchecked: 0, others: Vec::new() }
    }

    /// One pass over `spec`. `check`: read the kernel everywhere (restores drift) even when the
    /// node's change is element-only; every [`CHECK_EVERY`]th pass checks anyway.
    pub fn pass(
        &mut self,
        args: &LocalArgs,
        spec: &RedirectPlanSpec,
        healths: &Healths,
        check: bool,
    ) -> Result<Vec<Outcome>> {
        let check = check || self.unchecked + 1 >= CHECK_EVERY;
        self.unchecked = if check { 0 } else { self.unchecked + 1 };
        let (input, others) = render_parts(args, spec, healths)?;
        let mut outcomes = Vec::new();
        match input {
            Some(input) => outcomes.push(self.node_pass(input, check)?),
            None => self.node = None,
        }
        let mut kept = Vec::new();
        let mut failure = None;
        for target in others {
            let same = self.others.iter().any(|(t, trusted)| *trusted && t == &target);
            let result = if same && !check {
                Ok(unchanged(&target.netns, &target.role))
            } else {
                reconcile_one(&mut self.dp, &target.netns, &target.role, &target.ruleset, &target.routes)
            };
            kept.push((target, result.is_ok()));
            match result {
                Ok(outcome) => outcomes.push(outcome),
                Err(e) => _ = failure.get_or_insert(e),
            }
        }
        self.others = kept;
        let node = self.node.as_ref().map(|n| &n.netns);
        self.dp.retain(&node.into_iter().chain(self.others.iter().map(|(t, _)| &t.netns)).collect::<Vec<_>>());
        failure.map_or(Ok(outcomes), Err)
    }

    /// Every namespace's desired ruleset as of the last pass.
    pub fn rulesets(&self) -> impl Iterator<Item = &Ruleset> {
        self.node.iter().map(|n| n.rendered.ruleset()).chain(self.others.iter().map(|(t, _)| &t.ruleset))
    }

    /// The dataplane (tests look at their fake).
    #[cfg(test)]
    pub fn dataplane(&mut self) -> &mut D {
        &mut self.dp
    }

    fn node_pass(&mut self, input: NodeInput, check: bool) -> Result<Outcome> {
        let NodeInput { netns, state, cfg, chain, routes } = input;
        let kept = self.node.take().filter(|n| n.netns == netns && n.rendered.config() == (&cfg, &chain));
        let (mut node, fast) = match kept {
            Some(mut node) => {
                let tx = node.rendered.apply(&node.rendered.state().delta_to(&state));
                let fast = (node.trusted && !check && tx.elements_only()).then_some(tx);
                (node, fast)
            }
            None => {
                (Node { netns, routes: Vec::new(), rendered: Rendered::new(state, cfg, chain), trusted: false }, None)
            }
        };
        node.routes = routes;
        let outcome = match fast {
            Some(tx) if tx.is_empty() => Ok(self.fast_outcome(&node.netns, 0)),
            Some(tx) => match self.dp.apply(&node.netns, &tx, node.rendered.ruleset()) {
                Ok(()) => Ok(self.fast_outcome(&node.netns, tx.element_changes)),
                Err(e) => {
                    eprintln!("redirector: {e:#}; reading the node's tables again");
                    self.full(&node)
                }
            },
            None => self.full(&node),
        };
        node.trusted = outcome.is_ok();
        self.node = Some(node);
        outcome
    }

    fn full(&mut self, node: &Node) -> Result<Outcome> {
        reconcile_one(&mut self.dp, &node.netns, "node", node.rendered.ruleset(), &node.routes)
    }

    fn fast_outcome(&self, netns: &Netns, element_changes: usize) -> Outcome {
        Outcome { element_changes, ..unchanged(netns, "node") }
    }
}

/// What a pass reports for a namespace it did not need to read.
fn unchanged(netns: &Netns, role: &str) -> Outcome {
    Outcome {
        target: format!("{role} ({netns})"),
        replaced: Vec::new(),
        deleted: Vec::new(),
        element_changes: 0,
        drift: Vec::new(),
        netns_role: role_label(role),
        counters: Default::default(),
    }
}
