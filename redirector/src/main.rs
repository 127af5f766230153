//! `redirector`: computes which pod-to-pod flows Chainwall policies cover and steers them
//! through an inspector. Today: `plan`, the offline query tool over manifest files.

mod load;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan_cmd::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("redirector: {e:#}");
            ExitCode::FAILURE
        }
    }
}
