//! Covered grants whose placement this node is not programmed to inspect. The renderer drops
//! their flows ([`redirector::nft::health::unplaced`], counted as `failed_closed`); here they
//! are reported on stderr, once per pod and grant for the life of the process (the agent
//! re-renders every interval).

use std::collections::BTreeSet;
use std::sync::Mutex;

use policy_crd::api::InspectionMode;
use policy_crd::flow::{LocalPod, NodePlan};
use redirector::nft::config::Placements;

static REPORTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Whether the pod has an ingress grant its own sidecar must inspect.
pub fn sidecar_placed(pod: &LocalPod) -> bool {
    pod.ingress.iter().flatten().any(|g| g.inspect.as_ref().is_some_and(|i| i.placement == InspectionMode::Sidecar))
}

/// One line per pod grant whose placement `placements` leaves out.
pub fn lines(plan: &NodePlan, placements: Placements) -> Vec<String> {
    let mut out = Vec::new();
    for pod in &plan.pods {
        for (dir, grants) in [("ingress", &pod.ingress), ("egress", &pod.egress)] {
            for grant in grants.iter().flatten() {
                let Some(inspect) = &grant.inspect else { continue };
                if placements.inspects(inspect.placement == InspectionMode::Sidecar) {
                    continue;
                }
                out.push(format!(
                    "pod {} {dir} grant of {} (inspected by {}): placement {:?} is not programmed on this node \
                     (--mode): its flows are dropped (counted as failed_closed)",
                    pod.pod, grant.policy, inspect.security_policy, inspect.placement
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Prints the lines not printed before.
pub fn report(plan: &NodePlan, placements: Placements) {
    let Ok(mut reported) = REPORTED.lock() else { return };
    for line in lines(plan, placements) {
        if reported.insert(line.clone()) {
            eprintln!("redirector: {line}");
        }
    }
}
