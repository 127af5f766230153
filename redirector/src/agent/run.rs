//! The agent loop: a watch on the node's RedirectPlan feeds the latest plan; every change and
//! every interval, probe the inspector, render, reconcile (blocking: `nft`/`ip` processes) and
//! report the status when it changed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use kube::api::{Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use policy_crd::api::{RedirectPlan, RedirectPlanSpec};
use redirector::nft::config::Health;
use tokio::sync::watch;

use super::AgentArgs;
use super::policies::Policies;
use super::{inspector_pod, netns, status};
use crate::local::dataplane::Nft;
use crate::local::health::Healths;
use crate::local::metrics::NodeMetrics;
use crate::local::program::Programmer;
use crate::local::{health, mark_drift, policy_file};

/// Writes the plan's status when it differs from what the apiserver holds.
pub async fn report(
    api: &Api<RedirectPlan>,
    plan: &RedirectPlan,
    next: &policy_crd::api::RedirectPlanStatus,
) -> Result<()> {
    if plan.status.as_ref() == Some(next) {
        return Ok(());
    }
    let node = plan.spec.node.clone();
    api.patch_status(&node, &PatchParams::default(), &Patch::Merge(status::patch_body(next)))
        .await
        .with_context(|| format!("cannot write the status of RedirectPlan {node}"))?;
    Ok(())
}

/// Writes the inspector's policy file from the plan and the SecurityPolicies (when listed).
async fn hand_policy(path: &std::path::Path, spec: &RedirectPlanSpec, policies: &Policies, wait: Duration) {
    let Some(specs) = policies.snapshot(wait).await else {
        eprintln!("redirector agent: SecurityPolicies not listed yet: inspector policy not written");
        return;
    };
    let plan = redirector::desired::node_plan(spec);
    if let Err(e) = policy_file::hand(path, &plan, &spec.address_sets, &[], &specs) {
        eprintln!("redirector agent: inspector policy not written: {e:#}");
    }
}

/// `redirector agent`.
pub async fn run(args: &AgentArgs) -> Result<()> {
    let local = args.dataplane.clone();
    let placements = local.mode.placements();
    if placements.chain && args.inspector_selector.is_none() {
        local.chain_config()?.validate()?;
    }
    if placements.sidecar {
        local.sidecar_config()?.validate()?;
    }
    if local.node.is_empty() {
        bail!("--node is empty");
    }
    local.inspector_readyz.as_deref().map(health::Readyz::parse).transpose()?;
    let client = Client::try_default().await.context("no kubeconfig and not in a cluster")?;
    let inspector_pods = match (&args.inspector_selector, placements.chain) {
        (Some(selector), true) => Some(inspector_pod::watch(client.clone(), &local.node, selector)),
        _ => None,
    };
    let mut located = None;
    let policies = local.inspector_policy.as_ref().map(|_| Policies::watch(client.clone()));
    let api: Api<RedirectPlan> = Api::all(client);
    let (latest, mut changed) = watch::channel::<Option<Arc<RedirectPlan>>>(None);
    let config = watcher::Config::default().fields(&format!("metadata.name={}", local.node));
    let stream = watcher(api.clone(), config).default_backoff().applied_objects();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(plan) => _ = latest.send(Some(Arc::new(plan))),
                Err(e) => eprintln!("redirector agent: watch: {e} (retrying)"),
            }
        }
    });
    let interval = Duration::from_millis(local.interval_ms.max(100));
    let probe_timeout = Duration::from_millis(local.interval_ms.clamp(100, 1000));
    let mut last_healths: Option<Healths> = None;
    let mut finder = netns::Finder::default();
    let metrics = local.metrics_listen.map(NodeMetrics::serve).transpose()?.unwrap_or_default();
    let mut last_input = None;
    let mut programmer = Some(Programmer::new(Nft::default()));
    loop {
        if let Ok(Err(_)) = tokio::time::timeout(interval, changed.changed()).await {
            tokio::time::sleep(interval).await; // the watch task ended: keep restoring drift
        }
        let Some(plan) = changed.borrow_and_update().clone() else { continue };
        let found = if args.discover_netns || inspector_pods.is_some() {
            let mut scanner = std::mem::take(&mut finder);
            let (scanner, found) = tokio::task::spawn_blocking(move || {
                let found = scanner.scan();
                (scanner, found)
            })
            .await?;
            finder = scanner;
            found
        } else {
            Default::default()
        };
        let local = match &inspector_pods {
            Some(pods) => {
                let wait = if local.once { Duration::from_secs(10) } else { interval };
                match inspector_pod::resolve(&local, pods, &found, wait, located.as_ref()).await {
                    Ok(next) => located.insert(next).clone(),
                    Err(e) => {
                        eprintln!("redirector agent: {e:#}");
                        if local.once {
                            bail!("{e:#}");
                        }
                        continue;
                    }
                }
            }
            None => local.clone(),
        };
        let mut spec = plan.spec.clone();
        if args.discover_netns {
            for pod in spec.pods.iter().filter(|p| !plan.spec.netns.contains_key(&p.pod)) {
                if let Some(path) = found.get(&pod.ip) {
                    spec.netns.insert(pod.pod.clone(), path.clone());
                }
            }
        }
        let readyz = local.inspector_readyz.as_deref().map(health::Readyz::parse).transpose()?;
        let sidecar_readyz = local.sidecar_readyz.as_deref().map(health::Readyz::parse).transpose()?;
        let probe_spec = (sidecar_readyz.is_some() && placements.sidecar).then(|| spec.clone());
        let healths = tokio::task::spawn_blocking(move || {
            let mut healths = Healths::chain(readyz.map_or(Health::Healthy, |r| r.probe(probe_timeout)));
            if let (Some(r), Some(spec)) = (sidecar_readyz, probe_spec) {
                healths.probe_sidecars(&r, &spec, probe_timeout);
            }
            healths
        })
        .await?;
        if last_healths.is_none() && local.inspector_readyz.is_some() {
            println!("inspector health: {:?}", healths.chain);
        }
        let before = last_healths.clone().unwrap_or_else(|| Healths::chain(healths.chain));
        for line in healths.changes(&before) {
            println!("{line}");
        }
        last_healths = Some(healths.clone());
        metrics.health(healths.chain);
        let unchanged_input = last_input.as_ref() == Some(&(spec.clone(), healths.clone()));
        last_input = Some((spec.clone(), healths.clone()));
        // An unchanged plan is checked against the kernel: drift is restored within one interval.
        let mut taken = programmer.take();
        let pass_local = local.clone();
        let (back, mut result) = tokio::task::spawn_blocking(move || {
            let mut programmer = taken.take().unwrap_or_else(|| Programmer::new(Nft::default()));
            let result = programmer.pass(&pass_local, &spec, &healths, unchanged_input);
            (programmer, result)
        })
        .await?;
        metrics.plan(back.rulesets());
        programmer = Some(back);
        if let (Ok(outcomes), true) = (&mut result, unchanged_input) {
            mark_drift(outcomes);
        }
        metrics.reconciled(&result);
        let result = match result {
            Ok(outcomes) => {
                outcomes.iter().filter(|o| !o.unchanged()).for_each(|o| println!("{o}"));
                if let (Some(path), Some(policies)) = (&local.inspector_policy, &policies) {
                    let wait = if local.once { Duration::from_secs(10) } else { interval };
                    hand_policy(path, &plan.spec, policies, wait).await;
                }
                Ok(())
            }
            Err(e) => {
                eprintln!("redirector agent: {e:#}");
                Err(format!("{e:#}"))
            }
        };
        let generation = plan.metadata.generation;
        let next = status::after(
            generation,
            plan.spec.pods.len(),
            result,
            plan.status.as_ref(),
            k8s_openapi::jiff::Timestamp::now(),
        );
        if let Err(e) = report(&api, &plan, &next).await {
            eprintln!("redirector agent: {e:#}");
        }
        if local.once {
            return Ok(());
        }
    }
}
