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
//! The inspector's policy file: `local` writes it from its manifests (`--inspector-policy`).
//! The RedirectPlan carries failure modes, not SecurityPolicy specs, so the agent does not
//! write it yet; the hook is the `programmed` step in [`run`], where the plan and the
//! SecurityPolicies (which the agent's RBAC may read) would be handed to that writer.

pub mod netns;
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
}

pub use run::run;
