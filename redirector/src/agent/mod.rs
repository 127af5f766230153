//! `redirector agent`: one per node. Watches the RedirectPlan named after its node and
//! programs it with `local`'s dataplane code ([`crate::local::render`] then
//! [`crate::local::reconcile`]): per namespace, read the kernel, diff, apply only the
//! difference as one `nft -f` transaction. It repeats every interval (drift is restored, the
//! inspector's `/readyz` switches failure modes) and reports back in the plan's status
//! ([`status::after`]).
//!
//! Never a flush: before the first plan is read nothing is touched, and a deleted plan leaves
//! the last one programmed (the controller deletes plans only of nodes that are gone).
//!
//! The inspector's policy file (`--inspector-policy`): the RedirectPlan carries failure
//! modes, not SecurityPolicy specs, so the agent also watches SecurityPolicies
//! ([`policies`]) and writes the file after each successful reconcile.
//!
//! Chain mode with `--inspector-selector` finds the node's inspector pod ([`inspector_pod`])
//! instead of taking its flags. `--metrics-listen` serves [`crate::local::metrics`].

pub mod inspector_pod;
pub mod netns;
pub mod policies;
mod run;
pub mod status;
#[cfg(test)]
mod tests;

use clap::Args;

use crate::local::LocalArgs;

/// Flags of `redirector agent`: `local`'s dataplane flags, without `--manifests` (the plan
/// comes from the apiserver). `--once` programs the first plan read, then exits.
#[derive(Clone, Debug, Args)]
#[command(mut_arg("manifests", |a| a.required(false).default_value("-").hide(true)))]
pub struct AgentArgs {
    /// The dataplane settings, shared with `local`.
    #[command(flatten)]
    pub dataplane: LocalArgs,
    /// Sidecar mode: find the netns of pods the plan names none for (no `chainwall.dev/netns`
    /// annotation) by their IP, among `/run/netns` and the node's processes (needs `hostPID`).
    #[arg(long, env = "REDIRECTOR_DISCOVER_NETNS")]
    pub discover_netns: bool,
    /// Chain mode: find the node's inspector pod by this label selector (among the pods on
    /// `--node`) instead of the `--inspector-netns/-veth/-mac/-ip` flags; its `/readyz` is its
    /// container port named `admin` unless `--inspector-readyz` is given.
    #[arg(long, env = "REDIRECTOR_INSPECTOR_SELECTOR")]
    pub inspector_selector: Option<String>,
}

pub use run::run;
