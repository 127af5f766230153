//! One L7NetworkPolicy, validated into the form the engine evaluates.

use std::collections::BTreeSet;

use crate::api::{InspectionMode, L7NetworkPolicySpec, Peer, Port};

use super::model::PolicyKey;
use super::peers::PeerMatch;
use super::ports::PortMatch;
use super::selector::Selector;

/// A policy after validation. Invalid parts match nothing and are listed in `errors`.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    /// `namespace/name`.
    pub key: PolicyKey,
    /// Pods it applies to; `None` when `podSelector` is invalid (then it selects nothing).
    pub selector: Option<Selector>,
    /// Ingress rules, when the policy isolates ingress.
    pub ingress: Option<Vec<Rule>>,
    /// Egress rules, when the policy isolates egress.
    pub egress: Option<Vec<Rule>>,
    /// The SecurityPolicy its allowed flows are inspected with.
    pub security_policy: Option<String>,
    /// Where that inspection runs.
    pub mode: InspectionMode,
    /// What is wrong with the spec, one entry per problem, as `field: reason`.
    pub errors: Vec<String>,
}

/// One rule: any of `peers` on any of `ports`.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    /// `None`: every peer. Invalid peers are dropped (so they match nothing).
    pub peers: Option<Vec<PeerMatch>>,
    /// `None`: every port. Invalid ports are dropped.
    pub ports: Option<Vec<PortMatch>>,
}

impl CompiledPolicy {
    /// Validates `spec`. `security_policies` are the names that exist: a policy naming any
    /// other keeps isolating its pods but allows nothing (fail closed) until the name exists.
    pub fn compile(key: PolicyKey, spec: &L7NetworkPolicySpec, security_policies: &BTreeSet<String>) -> Self {
        let mut errors = Vec::new();
        let selector =
            Selector::compile(&spec.pod_selector).map_err(|e| errors.push(format!("spec.podSelector: {e}"))).ok();
        let (isolate_ingress, isolate_egress) = policy_types(spec, &mut errors);
        let ns = key.namespace.clone();
        let mut ingress = isolate_ingress.then(|| {
            let rules = spec.ingress.iter().flatten().enumerate();
            rules
                .map(|(i, r)| {
                    rule(&format!("spec.ingress[{i}]"), "from", r.from.as_deref(), r.ports.as_deref(), &ns, &mut errors)
                })
                .collect()
        });
        let mut egress = isolate_egress.then(|| {
            let rules = spec.egress.iter().flatten().enumerate();
            rules
                .map(|(i, r)| {
                    rule(&format!("spec.egress[{i}]"), "to", r.to.as_deref(), r.ports.as_deref(), &ns, &mut errors)
                })
                .collect()
        });
        let security_policy = spec.security_policy_ref.as_ref().map(|r| r.name.clone());
        if let Some(name) = &security_policy
            && !security_policies.contains(name)
        {
            errors.push(format!(
                "spec.securityPolicyRef: SecurityPolicy {name:?} not found; the policy allows nothing until it exists"
            ));
            ingress = ingress.map(|_| Vec::new());
            egress = egress.map(|_| Vec::new());
        }
        let mode = spec.inspection.as_ref().map(|i| i.mode).unwrap_or_default();
        Self { key, selector, ingress, egress, security_policy, mode, errors }
    }
}

/// `policyTypes`, or the apiserver's default (`SetDefaults_NetworkPolicy`) when it is absent
/// or empty: Ingress always, Egress iff `egress` has at least one rule.
fn policy_types(spec: &L7NetworkPolicySpec, errors: &mut Vec<String>) -> (bool, bool) {
    let Some(types) = spec.policy_types.as_ref().filter(|t| !t.is_empty()) else {
        return (true, spec.egress.as_ref().is_some_and(|e| !e.is_empty()));
    };
    let (mut ingress, mut egress) = (false, false);
    for (i, t) in types.iter().enumerate() {
        match t.as_str() {
            "Ingress" => ingress = true,
            "Egress" => egress = true,
            other => errors.push(format!("spec.policyTypes[{i}]: unknown type {other:?}")),
        }
    }
    (ingress, egress)
}

fn rule(
    path: &str,
    peers_field: &str,
    peers: Option<&[Peer]>,
    ports: Option<&[Port]>,
    ns: &str,
    errors: &mut Vec<String>,
) -> Rule {
    let peers = peers.filter(|p| !p.is_empty()).map(|peers| {
        let compiled = peers.iter().enumerate().map(|(i, p)| {
            PeerMatch::compile(p, ns).map_err(|e| errors.push(format!("{path}.{peers_field}[{i}]: {e}")))
        });
        compiled.filter_map(Result::ok).collect()
    });
    let ports = ports.filter(|p| !p.is_empty()).map(|ports| {
        let compiled = ports
            .iter()
            .enumerate()
            .map(|(i, p)| PortMatch::compile(p).map_err(|e| errors.push(format!("{path}.ports[{i}]: {e}"))));
        compiled.filter_map(Result::ok).collect()
    });
    Rule { peers, ports }
}
