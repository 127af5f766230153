//! A policy's status, from facts: Degraded (its own problems, a missing SecurityPolicy, an
//! oversize plan), Programmed (every node running a selected pod reports the current plan) and
//! Ready (both good). Unchanged conditions keep their `lastTransitionTime`. Pure.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use policy_crd::api::{FailureMode, L7NetworkPolicy, L7NetworkPolicyStatus, RedirectPlan};
use policy_crd::flow::{Engine, PolicyKey};

/// How far one node's dataplane is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// The agent reports the plan's current generation programmed.
    Programmed,
    /// A new plan is being written, or the agent has not reported it yet.
    Pending,
    /// The plan cannot be written, or the agent failed to program it.
    Failed(String),
}

impl NodeState {
    /// What a plan's status says about its current generation.
    pub fn of(plan: &RedirectPlan) -> NodeState {
        let Some(status) = &plan.status else { return NodeState::Pending };
        if status.observed_generation != plan.metadata.generation {
            return NodeState::Pending;
        }
        if let Some(error) = &status.error {
            return NodeState::Failed(error.clone());
        }
        let programmed = status.conditions.iter().any(|c| c.type_ == "Programmed" && c.status == "True");
        if programmed { NodeState::Programmed } else { NodeState::Pending }
    }
}

/// What the status of one policy is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFacts {
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// Pods `podSelector` selects.
    pub selected: usize,
    /// Nodes running a selected pod that has an IP.
    pub nodes: BTreeSet<String>,
    /// The engine's problems with the spec.
    pub errors: Vec<String>,
    /// The referenced SecurityPolicy, when it does not exist.
    pub missing_security_policy: Option<String>,
}

impl PolicyFacts {
    /// The facts of one live policy.
    pub fn gather(
        engine: &Engine,
        policy: &L7NetworkPolicy,
        key: &PolicyKey,
        security: &BTreeMap<String, FailureMode>,
    ) -> PolicyFacts {
        let selected = engine.selected_pods(key);
        let nodes = selected.iter().filter(|p| p.ip.is_some()).filter_map(|p| p.node.clone()).collect();
        let reference = policy.spec.security_policy_ref.as_ref().map(|r| r.name.clone());
        PolicyFacts {
            generation: policy.metadata.generation,
            selected: selected.len(),
            nodes,
            errors: engine.policy_errors(key).to_vec(),
            missing_security_policy: reference.filter(|name| !security.contains_key(name)),
        }
    }
}

fn condition(
    type_: &str,
    good: bool,
    reason: &str,
    message: String,
    facts: &PolicyFacts,
    previous: Option<&L7NetworkPolicyStatus>,
    now: Timestamp,
) -> Condition {
    let status = if good == (type_ != "Degraded") { "True" } else { "False" };
    let before = previous.into_iter().flat_map(|s| &s.conditions).find(|c| c.type_ == type_);
    let since = before.filter(|c| c.status == status).map_or(Time(now), |c| c.last_transition_time.clone());
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        observed_generation: facts.generation,
        last_transition_time: since,
    }
}

/// The status to write.
pub fn policy_status(
    facts: &PolicyFacts,
    states: &BTreeMap<String, NodeState>,
    previous: Option<&L7NetworkPolicyStatus>,
    now: Timestamp,
) -> L7NetworkPolicyStatus {
    let state = |n: &String| states.get(n).cloned().unwrap_or(NodeState::Pending);
    let failed: Vec<String> = facts
        .nodes
        .iter()
        .filter_map(|n| match state(n) {
            NodeState::Failed(e) => Some(format!("{n}: {e}")),
            _ => None,
        })
        .collect();
    let done = facts.nodes.iter().filter(|n| state(n) == NodeState::Programmed).count();
    let total = facts.nodes.len();
    let (degraded, degraded_reason, degraded_message) = if let Some(name) = &facts.missing_security_policy {
        (true, "SecurityPolicyNotFound", format!("SecurityPolicy {name} does not exist: its flows are denied"))
    } else if !facts.errors.is_empty() {
        (true, "InvalidSpec", facts.errors.join("; "))
    } else if !failed.is_empty() {
        (true, "ProgrammingFailed", failed.join("; "))
    } else {
        (false, "AsExpected", String::new())
    };
    let programmed = done == total;
    let (programmed_reason, programmed_message) = match (programmed, failed.is_empty()) {
        (true, _) => ("Programmed", format!("{done} of {total} nodes programmed")),
        (false, true) => ("Pending", format!("{done} of {total} nodes programmed")),
        (false, false) => ("ProgrammingFailed", format!("{done} of {total} nodes programmed")),
    };
    let ready = programmed && !degraded;
    let ready_reason = if ready {
        "Ready"
    } else if degraded {
        degraded_reason
    } else {
        programmed_reason
    };
    let c = |t, good, reason, message| condition(t, good, reason, message, facts, previous, now);
    L7NetworkPolicyStatus {
        conditions: vec![
            c("Ready", ready, ready_reason, if ready { String::new() } else { programmed_message.clone() }),
            c("Programmed", programmed, programmed_reason, programmed_message),
            c("Degraded", !degraded, degraded_reason, degraded_message),
        ],
        selected_pods: i32::try_from(facts.selected).unwrap_or(i32::MAX),
        programmed_nodes: i32::try_from(done).unwrap_or(i32::MAX),
        observed_generation: facts.generation,
    }
}

/// `(reason, note)` of the Event to emit when `status` is newly Degraded, or Degraded for a
/// different reason or message than `previous`.
pub fn degraded_event(
    status: &L7NetworkPolicyStatus,
    previous: Option<&L7NetworkPolicyStatus>,
) -> Option<(String, String)> {
    let degraded = |s: &L7NetworkPolicyStatus| {
        s.conditions
            .iter()
            .find(|c| c.type_ == "Degraded" && c.status == "True")
            .map(|c| (c.reason.clone(), c.message.clone()))
    };
    let now = degraded(status)?;
    if previous.and_then(degraded).as_ref() == Some(&now) {
        return None;
    }
    let mut note = now.1;
    if note.len() > 1000 {
        let cut = (0..=1000).rev().find(|i| note.is_char_boundary(*i)).unwrap_or(0);
        note.truncate(cut);
    }
    Some((now.0, note))
}
