//! The node plan regrouped by policy: which local pods each policy isolates, and its grants.
//! Pods a policy selects share its grants, so a policy becomes one set of local pods plus one
//! rule per grant. When named ports resolve differently on some pods, those pods form a second
//! variant (`pods.<policy>/ingress.2`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use policy_crd::flow::{Direction, Grant, NodePlan};

use super::grants::Allow;

/// One policy's grants on one side, and the local pods they apply to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// `namespace/name` of the policy.
    pub policy: String,
    /// Ingress or egress.
    pub dir: Direction,
    /// Unique within the node: `<policy>/ingress`, then `.2`, `.3` for further variants.
    pub base: String,
    /// The grants, sorted.
    pub allows: Vec<Allow>,
    /// Local pod addresses.
    pub members: BTreeSet<IpAddr>,
}

/// The node plan, regrouped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grouped {
    /// Local pods isolated for ingress.
    pub isolated_ingress: BTreeSet<IpAddr>,
    /// Local pods isolated for egress.
    pub isolated_egress: BTreeSet<IpAddr>,
    /// Ingress variants, then egress variants, each sorted by policy.
    pub variants: Vec<Variant>,
}

/// The word used in names and comments.
pub fn dir_word(dir: Direction) -> &'static str {
    match dir {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

/// Regroups a node plan; pods in `sidecarless` have their sidecar-placed grants marked (so
/// they form a variant of their own).
pub fn group(plan: &NodePlan, sidecarless: &BTreeSet<IpAddr>) -> Grouped {
    let mut out = Grouped::default();
    type ByPolicy = BTreeMap<String, BTreeMap<Vec<Allow>, BTreeSet<IpAddr>>>;
    let mut sides: [ByPolicy; 2] = [BTreeMap::new(), BTreeMap::new()];
    for pod in &plan.pods {
        let both = [(&pod.ingress, &mut out.isolated_ingress), (&pod.egress, &mut out.isolated_egress)];
        for ((grants, isolated), by_policy) in both.into_iter().zip(sides.iter_mut()) {
            let Some(grants) = grants else { continue };
            isolated.insert(pod.ip);
            for (policy, allows) in by_policy_of(grants, sidecarless.contains(&pod.ip)) {
                by_policy.entry(policy).or_default().entry(allows).or_default().insert(pod.ip);
            }
        }
    }
    for (dir, by_policy) in [Direction::Ingress, Direction::Egress].into_iter().zip(sides) {
        for (policy, variants) in by_policy {
            for (index, (allows, members)) in variants.into_iter().enumerate() {
                let suffix = if index == 0 { String::new() } else { format!(".{}", index + 1) };
                let base = format!("{policy}/{}{suffix}", dir_word(dir));
                out.variants.push(Variant { policy: policy.clone(), dir, base, allows, members });
            }
        }
    }
    out
}

/// A pod's grants on one side, by policy, sorted and deduplicated.
pub fn by_policy_of(grants: &[Grant], sidecarless: bool) -> BTreeMap<String, Vec<Allow>> {
    let mut out: BTreeMap<String, BTreeSet<Allow>> = BTreeMap::new();
    for grant in grants {
        out.entry(grant.policy.clone()).or_default().insert(Allow::of_pod(grant, sidecarless));
    }
    out.into_iter().map(|(policy, allows)| (policy, allows.into_iter().collect())).collect()
}
