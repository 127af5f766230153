//! The verdict for one flow, evaluated straight from the NetworkPolicy rules.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::api::{EnforcementMode, FailureMode, InspectionMode};

use super::engine::Engine;
use super::model::{Pod, PodKey, PolicyKey, Protocol};
use super::peers::PeerMatch;
use super::policy::{CompiledPolicy, Rule};

/// A flow to decide: from a source pod to a destination pod's port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Source pod.
    pub from: PodKey,
    /// Destination pod.
    pub to: PodKey,
    /// L4 protocol.
    pub protocol: Protocol,
    /// Destination port.
    pub port: u16,
}

/// What happens to a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Allowed, and covered by a policy naming a SecurityPolicy: it goes through an inspector.
    Inspect,
    /// Allowed and not covered: it passes untouched.
    Allow,
    /// The source is isolated for egress or the destination for ingress, and no rule allows it.
    Deny,
}

/// A verdict with its reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// The destination side.
    pub ingress: SideDecision,
    /// The source side.
    pub egress: SideDecision,
    /// Every policy whose rule allows the flow (both sides), sorted.
    pub policies: Vec<String>,
    /// The SecurityPolicies that all apply to the flow, sorted.
    pub security_policies: Vec<String>,
    /// How the SecurityPolicies combine, when the verdict is `inspect`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Inspection>,
}

/// One side of the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SideDecision {
    /// Whether some policy with this `policyType` selects the pod.
    pub isolated: bool,
    /// Whether this side lets the flow through.
    pub allowed: bool,
    /// Policies whose rules allow it.
    pub allowed_by: Vec<String>,
}

/// The combined inspection for a flow several SecurityPolicies cover. Each SecurityPolicy is
/// evaluated on its own and the strictest result wins, so `mode` is `Block` if any of them
/// blocks, `failureMode` is `Closed` if any of them is closed, and the inspector sits in the
/// destination pod (`Sidecar`) if any covering policy asks for that.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    /// Where the inspector runs.
    pub placement: InspectionMode,
    /// Block if any SecurityPolicy blocks.
    pub mode: EnforcementMode,
    /// Closed if any SecurityPolicy fails closed.
    pub failure_mode: FailureMode,
}

/// Why a probe could not be answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A probe names a pod the engine does not know.
    #[error("unknown pod {0}")]
    UnknownPod(PodKey),
}

impl Engine {
    /// Decides one flow.
    pub fn query(&self, probe: &Probe) -> Result<Decision, QueryError> {
        let (src, src_group) = self.pods.get(&probe.from).ok_or_else(|| QueryError::UnknownPod(probe.from.clone()))?;
        let (dst, dst_group) = self.pods.get(&probe.to).ok_or_else(|| QueryError::UnknownPod(probe.to.clone()))?;
        let selecting = |group| self.selecting.get(group).into_iter().flatten().map(|k| &self.policies[k]);
        let ingress =
            side(selecting(dst_group), |p| p.ingress.as_deref(), |rule| self.rule_allows(rule, src, dst, probe));
        let egress =
            side(selecting(src_group), |p| p.egress.as_deref(), |rule| self.rule_allows(rule, dst, dst, probe));
        let allowing: BTreeSet<&PolicyKey> = ingress.1.iter().chain(&egress.1).copied().collect();
        let covering: Vec<&CompiledPolicy> =
            allowing.iter().map(|k| &self.policies[*k]).filter(|p| p.security_policy.is_some()).collect();
        let security_policies: BTreeSet<String> = covering.iter().filter_map(|p| p.security_policy.clone()).collect();
        let allowed = ingress.0.allowed && egress.0.allowed;
        let verdict = match (allowed, security_policies.is_empty()) {
            (false, _) => Verdict::Deny,
            (true, true) => Verdict::Allow,
            (true, false) => Verdict::Inspect,
        };
        let inspection = (verdict == Verdict::Inspect).then(|| self.combine(&covering, &security_policies));
        Ok(Decision {
            verdict,
            ingress: ingress.0,
            egress: egress.0,
            policies: allowing.iter().map(|k| k.to_string()).collect(),
            security_policies: security_policies.into_iter().collect(),
            inspection,
        })
    }

    /// Whether `rule` lets `peer` (the other end) reach `destination` on the probe's port.
    fn rule_allows(&self, rule: &Rule, peer: &Pod, destination: &Pod, probe: &Probe) -> bool {
        let ports_ok = match &rule.ports {
            None => true,
            Some(ports) => ports.iter().any(|p| p.matches(probe.protocol, probe.port, destination)),
        };
        ports_ok && self.peer_listed(rule, peer)
    }

    fn peer_listed(&self, rule: &Rule, peer: &Pod) -> bool {
        let Some(peers) = &rule.peers else { return true };
        let group = self.pods.get(&peer.key()).map(|(_, g)| *g);
        peers.iter().any(|p| match p {
            PeerMatch::Block(block) => peer.ip.is_some_and(|ip| block.contains(ip)),
            PeerMatch::Pods { .. } => group.is_some_and(|g| self.peer_admits_group(p, g)),
        })
    }

    fn combine(&self, covering: &[&CompiledPolicy], names: &BTreeSet<String>) -> Inspection {
        let specs: Vec<_> = names.iter().filter_map(|n| self.security_policies.get(n)).collect();
        let sidecar = covering.iter().any(|p| p.mode == InspectionMode::Sidecar);
        Inspection {
            placement: if sidecar { InspectionMode::Sidecar } else { InspectionMode::Chain },
            mode: specs.iter().map(|s| s.mode).max().unwrap_or_default(),
            failure_mode: specs.iter().map(|s| s.failure_mode).max().unwrap_or_default(),
        }
    }
}

/// One side: isolated when some selecting policy has rules for it; allowed when not isolated or
/// when a rule allows. Returns the decision and the allowing policies.
fn side<'a>(
    selecting: impl Iterator<Item = &'a CompiledPolicy>,
    rules_of: impl Fn(&'a CompiledPolicy) -> Option<&'a [Rule]>,
    allows: impl Fn(&Rule) -> bool,
) -> (SideDecision, Vec<&'a PolicyKey>) {
    let mut isolated = false;
    let mut allowed_by = Vec::new();
    for policy in selecting {
        let Some(rules) = rules_of(policy) else { continue };
        isolated = true;
        if rules.iter().any(&allows) {
            allowed_by.push(&policy.key);
        }
    }
    let decision = SideDecision {
        isolated,
        allowed: !isolated || !allowed_by.is_empty(),
        allowed_by: allowed_by.iter().map(|k| k.to_string()).collect(),
    };
    (decision, allowed_by)
}
