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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn each_unprogrammed_grant_is_named_once_per_mode() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples");
        let (plan, _) = crate::load::manifests(&dir).unwrap().engine().node_plan("node-a");
        assert_eq!(lines(&plan, Placements::BOTH), Vec::<String>::new());
        let chain = lines(&plan, Placements::CHAIN);
        assert_eq!(chain.len(), 1, "{chain:?}");
        assert!(chain[0].starts_with("pod shop/user-auth-") && chain[0].contains("placement Sidecar"), "{chain:?}");
        let sidecar = lines(&plan, Placements::SIDECAR);
        assert!(sidecar.iter().any(|l| l.starts_with("pod shop/frontend-") && l.contains("placement Chain")));
        assert!(sidecar.iter().all(|l| !l.contains("placement Sidecar")), "{sidecar:?}");
    }
}
