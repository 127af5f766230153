//! `redirector local`: the agent's pipeline with no apiserver. Manifests from a directory →
//! the node's plan → rulesets ([`redirector::nft`]) → per namespace, what the kernel holds is
//! read ([`dataplane::Dataplane::read`]), diffed, and only the difference applied as one
//! `nft -f` transaction. Never a flush: a restart with an unchanged plan applies nothing.
//!
//! Pods name their network namespace with the annotation `chainwall.dev/netns` (a name under
//! `/run/netns`, or an absolute path such as `/proc/<pid>/ns/net`); see [`pods`].

pub mod args;
pub mod dataplane;
pub mod health;
pub mod observe;
pub mod pods;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use redirector::nft::config::{Config, Families, Health};
use redirector::nft::diff::diff;
use redirector::nft::model::Ruleset;
use redirector::nft::{inspector, node, sidecar};

pub use args::{LocalArgs, Mode};
use dataplane::{Dataplane, Netns, Nft};

/// What one namespace must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Where.
    pub netns: Netns,
    /// What for, in log lines (`node`, `inspector`, `pod shop/x`).
    pub role: String,
    /// The Chainwall tables.
    pub ruleset: Ruleset,
    /// `ip` rule and route lines that must hold.
    pub routes: Vec<String>,
}

/// What one reconcile did in one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The target's role and netns.
    pub target: String,
    /// Tables defined or replaced whole.
    pub replaced: Vec<String>,
    /// Tables deleted.
    pub deleted: Vec<String>,
    /// Set elements added plus deleted.
    pub element_changes: usize,
    /// Tables someone else changed (restored now).
    pub drift: Vec<String>,
}

impl Outcome {
    /// Whether nothing was applied.
    pub fn unchanged(&self) -> bool {
        self.replaced.is_empty() && self.deleted.is_empty() && self.element_changes == 0
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.unchanged() {
            return write!(f, "{}: unchanged", self.target);
        }
        write!(
            f,
            "{}: applied (replaced {:?}, deleted {:?}, {} element changes)",
            self.target, self.replaced, self.deleted, self.element_changes
        )?;
        for line in &self.drift {
            write!(f, "; drift restored: {line}")?;
        }
        Ok(())
    }
}

/// The desired state of every namespace this node programs.
pub fn targets(args: &LocalArgs, dir: &Path, health: Health) -> Result<Vec<Target>> {
    let manifests = crate::load::manifests(dir)?;
    let netns = pods::netns_annotations(dir)?;
    let failure_modes =
        manifests.security_policies.iter().map(|(name, spec)| (name.clone(), spec.failure_mode)).collect();
    let cfg = Config { families: Families::V4, failure_modes, health };
    let (plan, sets) = manifests.engine().node_plan(&args.node);
    let mut out = Vec::new();
    match args.mode {
        Mode::Chain => {
            let chain = args.chain_config()?;
            let inspector_ns = args
                .inspector_netns
                .as_deref()
                .map(Netns::parse)
                .context("chain mode needs --inspector-netns (the inspector pod's network namespace)")?;
            let node_ns = args.node_netns.as_deref().map_or(Netns::Current, Netns::parse);
            out.push(Target {
                netns: node_ns,
                role: "node".into(),
                ruleset: node::node(&plan, &sets, &cfg, &chain),
                routes: inspector::node_routes(&chain),
            });
            out.push(Target {
                netns: inspector_ns,
                role: "inspector".into(),
                ruleset: inspector::inspector(&cfg, &chain),
                routes: inspector::inspector_routes(&cfg, &chain),
            });
        }
        Mode::Sidecar => {
            let sc = args.sidecar_config()?;
            for pod in &plan.pods {
                let Some(path) = netns.get(&pod.pod) else {
                    eprintln!("redirector: pod {} has no chainwall.dev/netns annotation: not programmed", pod.pod);
                    continue;
                };
                out.push(Target {
                    netns: Netns::parse(path),
                    role: format!("pod {}", pod.pod),
                    ruleset: sidecar::sidecar(pod, &sets, &cfg, &sc),
                    routes: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

/// Brings every target to its desired state: read, diff, apply the difference.
pub fn reconcile(dp: &mut impl Dataplane, targets: &[Target]) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for target in targets {
        let want = observe::stamp(&target.ruleset);
        let kernel = dp.read(&target.netns)?;
        let (old, drift) = observe::previous(&want, &kernel);
        let tx = diff(&old, &want);
        if !tx.is_empty() {
            dp.apply(&target.netns, &tx.text, &want)?;
        }
        dp.ensure_routes(&target.netns, &target.routes)?;
        outcomes.push(Outcome {
            target: format!("{} ({})", target.role, target.netns),
            replaced: tx.replaced,
            deleted: tx.deleted,
            element_changes: tx.element_changes,
            drift,
        });
    }
    Ok(outcomes)
}

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

/// `redirector local`.
pub fn run(args: &LocalArgs) -> Result<ExitCode> {
    args.validate()?;
    let readyz = args.inspector_readyz.as_deref().map(health::Readyz::parse).transpose()?;
    if readyz.is_none() && args.mode == Mode::Chain {
        eprintln!("redirector: no --inspector-readyz: the inspector is assumed healthy (no failure-mode switch)");
    }
    let probe = |r: &health::Readyz| r.probe(Duration::from_millis(args.interval_ms.clamp(100, 1000)));
    let mut health = readyz.as_ref().map_or(Health::Healthy, probe);
    let mut dp = Nft;
    let mut seen = newest(&args.manifests);
    let mut desired = targets(args, &args.manifests, health)?;
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
                Ok(next) => desired = next,
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
