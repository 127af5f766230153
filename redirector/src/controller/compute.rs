//! The controller's decisions, as a pure function of the [`Observed`] state: which plans to
//! write or delete, which policy statuses, finalizers and Events change. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::jiff::Timestamp;
use kube::{Resource, ResourceExt};
use policy_crd::api::{FailureMode, L7NetworkPolicy, L7NetworkPolicyStatus, RedirectPlanSpec};
use policy_crd::flow::{Engine, Namespace, PolicyKey};
use policy_crd::manifests::pod_input;

use super::observe::Observed;
use super::status::{NodeState, PolicyFacts, policy_status};
use super::{FINALIZER, MAX_PLAN_BYTES};
use crate::desired::{NETNS_ANNOTATION, node_spec, spec_bytes};

/// A finalizer list to write, guarded by the resourceVersion it was computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizerPatch {
    /// The policy.
    pub policy: PolicyKey,
    /// The version read (a concurrent change makes the patch fail with 409, not clobber it).
    pub resource_version: Option<String>,
    /// The whole new list.
    pub finalizers: Vec<String>,
}

/// A Warning Event about one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyEvent {
    /// The policy.
    pub regarding: ObjectReference,
    /// `PascalCase` reason (the Degraded condition's).
    pub reason: String,
    /// What is wrong (at most 1 KiB).
    pub note: String,
}

/// Everything one reconcile writes, in the order [`super::apply`] writes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actions {
    /// Live policies that lack the finalizer.
    pub add_finalizers: Vec<FinalizerPatch>,
    /// Plans whose spec differs from the apiserver's (server-side applied).
    pub apply_plans: Vec<RedirectPlanSpec>,
    /// Plans of nodes that are gone.
    pub delete_plans: Vec<String>,
    /// Deleted policies whose grants no plan carries once `apply_plans` is written.
    pub remove_finalizers: Vec<FinalizerPatch>,
    /// Policy statuses that differ from the apiserver's.
    pub statuses: Vec<(PolicyKey, L7NetworkPolicyStatus)>,
    /// Warning Events (a policy newly Degraded, or for a new reason).
    pub events: Vec<PolicyEvent>,
    /// Every node's plan size in bytes (for metrics), over the limit or not.
    pub plan_bytes: BTreeMap<String, usize>,
    /// Plans over [`MAX_PLAN_BYTES`]: not written.
    pub oversize: BTreeMap<String, usize>,
    /// Pods left out of the plan, with why (a bad `podIP` or port).
    pub skipped_pods: Vec<String>,
}

impl Actions {
    /// Whether nothing is written.
    pub fn is_empty(&self) -> bool {
        self.add_finalizers.is_empty()
            && self.apply_plans.is_empty()
            && self.delete_plans.is_empty()
            && self.remove_finalizers.is_empty()
            && self.statuses.is_empty()
            && self.events.is_empty()
    }
}

fn key(policy: &L7NetworkPolicy) -> PolicyKey {
    PolicyKey { namespace: policy.namespace().unwrap_or_default(), name: policy.name_any() }
}

fn deleting(policy: &L7NetworkPolicy) -> bool {
    policy.meta().deletion_timestamp.is_some()
}

/// The engine's pods and their netns annotations; pods that cannot be read go to `skipped`.
fn pod_inputs(
    observed: &Observed,
    skipped: &mut Vec<String>,
) -> (Vec<policy_crd::flow::Pod>, BTreeMap<String, String>) {
    let mut pods = Vec::new();
    let mut netns = BTreeMap::new();
    for pod in &observed.pods {
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) {
            continue; // its IP may already belong to another pod
        }
        match pod_input(pod) {
            Ok(input) => {
                if let Some(ns) = pod.annotations().get(NETNS_ANNOTATION) {
                    netns.insert(input.key().to_string(), ns.clone());
                }
                pods.push(input);
            }
            Err(e) => skipped.push(format!("{}/{}: {e}", pod.namespace().unwrap_or_default(), pod.name_any())),
        }
    }
    (pods, netns)
}

/// Observe → compute: what the apiserver must be told.
pub fn compute(observed: &Observed, now: Timestamp) -> Actions {
    let mut actions = Actions::default();
    let (pods, netns) = pod_inputs(observed, &mut actions.skipped_pods);
    let namespaces = observed.namespaces.iter().map(|n| Namespace { name: n.name_any(), labels: n.labels().clone() });
    let policies = observed.policies.iter().filter(|p| !deleting(p)).map(|p| (key(p), p.spec.clone()));
    let security = observed.security_policies.iter().map(|s| (s.name_any(), s.spec.clone()));
    let engine = Engine::new(namespaces, pods, policies, security);
    let failure_modes: BTreeMap<String, FailureMode> =
        observed.security_policies.iter().map(|s| (s.name_any(), s.spec.failure_mode)).collect();

    let existing: BTreeMap<String, &policy_crd::api::RedirectPlan> =
        observed.plans.iter().map(|p| (p.name_any(), p.as_ref())).collect();
    let nodes: BTreeSet<String> = observed.nodes.iter().map(|n| n.name_any()).collect();
    let mut states = BTreeMap::new();
    for node in &nodes {
        let spec = node_spec(&engine, node, &failure_modes, &netns);
        let bytes = spec_bytes(&spec);
        actions.plan_bytes.insert(node.clone(), bytes);
        let current = existing.get(node);
        let state = if bytes > MAX_PLAN_BYTES {
            actions.oversize.insert(node.clone(), bytes);
            NodeState::Failed(format!("plan of {bytes} bytes is over the {MAX_PLAN_BYTES}-byte limit"))
        } else if current.is_none_or(|p| p.spec != spec) {
            actions.apply_plans.push(spec);
            NodeState::Pending
        } else {
            current.map_or(NodeState::Pending, |p| NodeState::of(p))
        };
        states.insert(node.clone(), state);
    }
    actions.delete_plans = existing.keys().filter(|n| !nodes.contains(*n)).cloned().collect();

    for policy in &observed.policies {
        let policy_key = key(policy);
        let finalizers = policy.finalizers();
        let has = finalizers.iter().any(|f| f == FINALIZER);
        let patch = |list: Vec<String>| FinalizerPatch {
            policy: policy_key.clone(),
            resource_version: policy.resource_version(),
            finalizers: list,
        };
        if deleting(policy) {
            if has && actions.oversize.is_empty() {
                actions.remove_finalizers.push(patch(finalizers.iter().filter(|f| *f != FINALIZER).cloned().collect()));
            }
            continue;
        }
        if !has {
            actions.add_finalizers.push(patch(finalizers.iter().cloned().chain([FINALIZER.to_owned()]).collect()));
        }
        let facts = PolicyFacts::gather(&engine, policy, &policy_key, &failure_modes);
        let previous = policy.status.as_ref();
        let status = policy_status(&facts, &states, previous, now);
        if let Some(event) = super::status::degraded_event(&status, previous) {
            let regarding = policy.object_ref(&());
            actions.events.push(PolicyEvent { regarding, reason: event.0, note: event.1 });
        }
        if previous != Some(&status) {
            actions.statuses.push((policy_key, status));
        }
    }
    actions
}
