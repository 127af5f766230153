//! `redirector`: computes which pod-to-pod flows Chainwall policies cover and steers them
//! through an inspector: `plan` (offline queries over manifest files), `local` (this machine's
//! nftables from manifest files), `controller` (per-node RedirectPlans from the cluster) and
//! `agent` (this node's nftables from its RedirectPlan).

mod agent;
mod load;
mod local;
mod plan_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Chainwall redirector.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute the flow plan offline from manifest files, or answer probes against it.
    ///
    /// DIR holds Namespace, Pod, L7NetworkPolicy and SecurityPolicy YAML or JSON (files
    /// ending in .yaml, .yml or .json, read recursively; multi-document files and `kind: List`
    /// allowed). Without --query, prints the whole plan as JSON. With --query FILE (a YAML or
    /// JSON list of `{from: ns/pod, to: ns/pod, protocol: TCP, port: 80}`), prints one JSON
    /// object per probe with its verdict (inspect | allow | deny), the policies that allow it
    /// and the SecurityPolicies applied.
    ///
    /// Exit status: 0 on success; 1 when a manifest or probe cannot be read or names an
    /// unknown pod; 3 when a probe carries `expect` and the verdict differs.
    Plan(plan_cmd::PlanArgs),
    /// Program this machine's nftables from manifest files, with no apiserver.
    ///
    /// Loads DIR as `plan` does, computes --node's plan and renders it for --mode: chain
    /// (the node netns steers covered flows to the inspector pod, which TPROXYs them) or
    /// sidecar (each local pod annotated `chainwall.dev/netns` redirects covered ports to its
    /// sidecar). In every namespace it reads the Chainwall tables the kernel holds and applies
    /// only the difference, as one atomic `nft -f` transaction: a restart never flushes.
    /// Without --once it keeps polling DIR and restores drift. Prints one line per namespace.
    Local(Box<local::LocalArgs>),
    /// Publish every node's desired state as a RedirectPlan, from the cluster's objects.
    ///
    /// Watches L7NetworkPolicy, SecurityPolicy, Pod, Namespace and Node (kubeconfig or
    /// in-cluster config). While it holds the Lease, it computes each node's plan with the
    /// flow engine, server-side applies the RedirectPlans that changed, deletes those of gone
    /// nodes, and sets the policies' status conditions, finalizers and Events.
    Controller(redirector::controller::ControllerArgs),
    /// Program this node's nftables from its RedirectPlan, and report back in its status.
    ///
    /// Takes the dataplane flags of `local` (without --manifests); reads the RedirectPlan named
    /// --node. Diff-only like `local`: a restart never flushes, and before the first plan is
    /// read nothing is touched.
    Agent(Box<agent::AgentArgs>),
}

/// Runs an async subcommand to its end (an error, or forever).
fn tokio_main(task: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(task)?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan_cmd::run(&args),
        Command::Local(args) => local::run(&args),
        Command::Controller(args) => tokio_main(redirector::controller::run(&args)),
        Command::Agent(args) => tokio_main(agent::run(&args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("redirector: {e:#}");
            ExitCode::FAILURE
        }
    }
}
