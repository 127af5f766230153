//! The `redirector local` loop: reconcile once, then (without `--once`) poll the manifest
//! directory's modification time and the inspector's `/readyz` every interval, re-render when
//! either changed, and reconcile every time, so that drift is restored within one interval.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use redirector::nft::config::Health;

use super::dataplane::Nft;
use super::health::Healths;
use super::metrics::NodeMetrics;
use super::program::Programmer;
use super::{LocalArgs, Outcome, health, mark_drift, policy_file, spec};

/// The newest modification time under `dir` (the directory itself included).
fn newest(dir: &Path) -> SystemTime {
    let mut latest = std::fs::metadata(dir).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let time = if path.is_dir() {
                newest(&path)
            } else {
                entry.metadata().and_then(|m| m.modified()).unwrap_or(latest)
            };
            latest = latest.max(time);
        }
    }
    latest
}

/// Writes `--inspector-policy` (when given and changed) from the manifests' plan.
fn hand_policy(args: &LocalArgs) -> Result<()> {
    let Some(path) = &args.inspector_policy else { return Ok(()) };
    let m = crate::load::manifests(&args.manifests)?;
    let (plan, sets) = m.engine().node_plan(&args.node);
    policy_file::hand(path, &plan, &sets, &m.pods, &m.security_policies)
}

/// `redirector local`.
pub fn run(args: &LocalArgs) -> Result<ExitCode> {
    args.validate()?;
    let readyz = args.inspector_readyz.as_deref().map(health::Readyz::parse).transpose()?;
    if readyz.is_none() && args.mode.placements().chain {
        eprintln!("redirector: no --inspector-readyz: the inspector is assumed healthy (no failure-mode switch)");
    }
    let sidecar_readyz = args.sidecar_readyz.as_deref().map(health::Readyz::parse).transpose()?;
    if sidecar_readyz.is_none() && args.mode.placements().sidecar {
        eprintln!("redirector: no --sidecar-readyz: sidecars are assumed healthy (no failure-mode switch)");
    }
    let timeout = Duration::from_millis(args.interval_ms.clamp(100, 1000));
    let probe = |spec: &policy_crd::api::RedirectPlanSpec| {
        let mut healths = Healths::chain(readyz.as_ref().map_or(Health::Healthy, |r| r.probe(timeout)));
        if let (Some(r), true) = (&sidecar_readyz, args.mode.placements().sidecar) {
            healths.probe_sidecars(r, spec, timeout);
        }
        healths
    };
    let metrics = args.metrics_listen.map(NodeMetrics::serve).transpose()?.unwrap_or_default();
    let mut programmer = Programmer::new(Nft::default());
    let mut seen = newest(&args.manifests);
    let mut desired = spec(args, &args.manifests)?;
    let mut healths = probe(&desired);
    metrics.health(healths.chain);
    hand_policy(args)?;
    let print = |outcomes: &[Outcome], quiet: bool| {
        for o in outcomes.iter().filter(|o| !quiet || !o.unchanged()) {
            println!("{o}");
        }
    };
    if readyz.is_some() {
        println!("inspector health: {:?}", healths.chain);
    }
    for line in healths.changes(&Healths::chain(healths.chain)) {
        println!("{line}");
    }
    let first = programmer.pass(args, &desired, &healths, true);
    metrics.plan(programmer.rulesets());
    metrics.reconciled(&first);
    print(&first?, false);
    if args.once {
        return Ok(ExitCode::SUCCESS);
    }
    let mut last_error = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(args.interval_ms));
        let now = newest(&args.manifests);
        let was = std::mem::replace(&mut healths, probe(&desired));
        let reloaded = now != seen || healths != was;
        for line in healths.changes(&was) {
            println!("{line}");
        }
        metrics.health(healths.chain);
        if now != seen {
            seen = now;
            match spec(args, &args.manifests) {
                Ok(next) => {
                    desired = next;
                    if let Err(e) = hand_policy(args) {
                        eprintln!("redirector: inspector policy not written: {e:#}");
                    }
                }
                Err(e) => {
                    eprintln!("redirector: manifests not applied, keeping the last good plan: {e:#}");
                    continue;
                }
            }
        }
        // An unchanged plan is checked against the kernel: drift is restored within one interval.
        let mut result = programmer.pass(args, &desired, &healths, !reloaded);
        metrics.plan(programmer.rulesets());
        if let (Ok(outcomes), false) = (&mut result, reloaded) {
            mark_drift(outcomes);
        }
        metrics.reconciled(&result);
        match result {
            Ok(outcomes) => {
                last_error.clear();
                print(&outcomes, true);
            }
            Err(e) => {
                let text = format!("{e:#}");
                if text != last_error {
                    eprintln!("redirector: {text}");
                    last_error = text;
                }
            }
        }
    }
}
