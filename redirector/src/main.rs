//! `redirector`: computes which pod-to-pod flows Chainwall policies cover and steers them
//! through an inspector. Today: `plan`, the offline query tool over manifest files, and
//! `local`, which programs this machine's nftables from manifest files.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan_cmd::run(&args),
        Command::Local(args) => local::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("redirector: {e:#}");
            ExitCode::FAILURE
        }
    }
}
