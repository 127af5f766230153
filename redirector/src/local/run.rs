//! The `redirector local` loop: reconcile once, then (without `--once`) poll the manifest
//! directory's modification time and the inspector's `/readyz` every interval, re-render when
//! either changed, and reconcile every time, so that drift is restored within one interval.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use redirector::inspector_policy::{self, Options};
use redirector::nft::config::Health;

use super::dataplane::Nft;
use super::{LocalArgs, Outcome, health, reconcile, targets};

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

/// Write each flow's `namespace` (the inspector labels its metrics and audit with it).
const FLOW_NAMESPACE: bool = true;

/// Writes `--inspector-policy` (when given and changed) from the manifests' plan.
fn hand_policy(args: &LocalArgs) -> Result<()> {
    let Some(path) = &args.inspector_policy else { return Ok(()) };
    let m = crate::load::manifests(&args.manifests)?;
    let (plan, sets) = m.engine().node_plan(&args.node);
    let options = Options { namespace: FLOW_NAMESPACE };
    let computed = inspector_policy::compute(&plan, &sets, &m.pods, &m.security_policies, options);
    for warning in &computed.warnings {
        eprintln!("redirector: inspector policy: {warning}");
    }
    let text = inspector_policy::render(&computed.file).map_err(anyhow::Error::msg)?;
    if inspector_policy::file::write_if_changed(path, &text).with_context(|| format!("writing {}", path.display()))? {
        println!("inspector policy: wrote {} ({} flows)", path.display(), computed.file.flows.len());
    }
    Ok(())
}

/// `redirector local`.
pub fn run(args: &LocalArgs) -> Result<ExitCode> {
    args.validate()?;
    let readyz = args.inspector_readyz.as_deref().map(health::Readyz::parse).transpose()?;
    if readyz.is_none() && args.mode.placements().chain {
        eprintln!("redirector: no --inspector-readyz: the inspector is assumed healthy (no failure-mode switch)");
    }
    let probe = |r: &health::Readyz| r.probe(Duration::from_millis(args.interval_ms.clamp(100, 1000)));
    let mut health = readyz.as_ref().map_or(Health::Healthy, probe);
    let mut dp = Nft;
    let mut seen = newest(&args.manifests);
    let mut desired = targets(args, &args.manifests, health)?;
    hand_policy(args)?;
    let print = |outcomes: &[Outcome], quiet: bool| {
        for o in outcomes.iter().filter(|o| !quiet || !o.unchanged()) {
            println!("{o}");
        }
    };
    if readyz.is_some() {
        println!("inspector health: {health:?}");
    }
    print(&reconcile(&mut dp, &desired)?, false);
    if args.once {
        return Ok(ExitCode::SUCCESS);
    }
    let mut last_error = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(args.interval_ms));
        let now = newest(&args.manifests);
        let was = health;
        health = readyz.as_ref().map_or(Health::Healthy, probe);
        let reloaded = now != seen || health != was;
        if health != was {
            println!("inspector health: {health:?}");
        }
        if reloaded {
            seen = now;
            match targets(args, &args.manifests, health) {
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
        // Also re-checks an unchanged plan: drift is restored within one interval.
        match reconcile(&mut dp, &desired) {
            Ok(mut outcomes) => {
                last_error.clear();
                if !reloaded {
                    // The plan did not change, so any change is someone else's undone.
                    for o in outcomes.iter_mut().filter(|o| !o.unchanged() && o.drift.is_empty()) {
                        o.drift.push(format!("{}: differed from the unchanged plan", o.target));
                    }
                }
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
