//! `redirector plan`: the offline plan and probe tool.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use policy_crd::flow::{Decision, Engine, Verdict};
use policy_crd::manifests::{ProbeSpec, parse_probes};
use serde::Serialize;

use crate::load;

/// Arguments of `redirector plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Directory of Namespace, Pod, L7NetworkPolicy and SecurityPolicy manifests.
    #[arg(long, value_name = "DIR", env = "REDIRECTOR_MANIFESTS")]
    manifests: PathBuf,
    /// YAML or JSON list of probes to answer instead of printing the whole plan.
    #[arg(long, value_name = "FILE", env = "REDIRECTOR_QUERY")]
    query: Option<PathBuf>,
}

/// One probe's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProbeAnswer {
    from: String,
    to: String,
    protocol: String,
    port: u16,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs the command and prints JSON to stdout; warnings go to stderr.
pub fn run(args: &PlanArgs) -> Result<ExitCode> {
    let manifests = load::manifests(&args.manifests)?;
    for skipped in &manifests.skipped {
        eprintln!("redirector: skipped {skipped}: not an input of the plan");
    }
    let engine = manifests.engine();
    let plan = engine.plan();
    for (policy, errors) in &plan.errors {
        for error in errors {
            eprintln!("redirector: L7NetworkPolicy {policy}: {error}");
        }
    }
    let Some(query) = &args.query else {
        println!("{}", serde_json::to_string_pretty(&plan)?);
        return Ok(ExitCode::SUCCESS);
    };
    let text = std::fs::read_to_string(query).with_context(|| format!("cannot read {}", query.display()))?;
    let probes = parse_probes(&text).map_err(|e| anyhow::anyhow!("{}: {e}", query.display()))?;
    let answers: Vec<ProbeAnswer> = probes.into_iter().map(|p| answer(&engine, p)).collect();
    println!("{}", serde_json::to_string_pretty(&answers)?);
    let failed = answers.iter().filter(|a| a.error.is_some()).count();
    let mismatched =
        answers.iter().filter(|a| matches!((&a.decision, a.expect), (Some(d), Some(e)) if d.verdict != e)).count();
    if failed > 0 {
        eprintln!("redirector: {failed} probe(s) could not be answered");
        return Ok(ExitCode::FAILURE);
    }
    if mismatched > 0 {
        eprintln!("redirector: {mismatched} probe(s) differ from their expected verdict");
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

fn answer(engine: &Engine, spec: ProbeSpec) -> ProbeAnswer {
    let decision = spec.probe().and_then(|p| engine.query(&p).map_err(|e| e.to_string()));
    let (decision, error) = match decision {
        Ok(d) => (Some(d), None),
        Err(e) => (None, Some(e)),
    };
    ProbeAnswer {
        from: spec.from,
        to: spec.to,
        protocol: spec.protocol,
        port: spec.port,
        decision,
        expect: spec.expect,
        error,
    }
}
