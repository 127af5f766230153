//! Test fixtures: a small cluster (namespace `shop`, pods `web` on node-a and `client` on
//! node-b, a policy covering web's port 8080 with SecurityPolicy `strict`) and [`written`],
//! what the apiserver holds after a pass's actions.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use policy_crd::api::{L7NetworkPolicy, RedirectPlan, RedirectPlanStatus, SecurityPolicy};
use serde_json::{Value, json};

use super::compute::Actions;
use super::observe::Observed;

pub(super) fn obj<T: serde::de::DeserializeOwned>(v: Value) -> Arc<T> {
    Arc::new(serde_json::from_value(v).unwrap())
}

pub(super) fn node(name: &str) -> Arc<Node> {
    obj(json!({"metadata": {"name": name}}))
}

pub(super) fn pod(name: &str, app: &str, node: &str, ip: &str) -> Arc<Pod> {
    obj(json!({
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "ports": [{"containerPort": 8080, "name": "http"}]}]},
        "status": {"podIP": ip, "phase": "Running"}
    }))
}

pub(super) fn policy(name: &str, spec: Value) -> Arc<L7NetworkPolicy> {
    obj(json!({
        "apiVersion": "chainwall.dev/v1alpha1", "kind": "L7NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop", "generation": 1, "resourceVersion": "7", "uid": "u-1"},
        "spec": spec
    }))
}

pub(super) fn web_policy() -> Arc<L7NetworkPolicy> {
    policy(
        "web",
        json!({"podSelector": {"matchLabels": {"app": "web"}},
               "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}], "ports": [{"port": 8080}]}],
               "securityPolicyRef": {"name": "strict"}}),
    )
}

pub(super) fn cluster() -> Observed {
    Observed {
        namespaces: vec![obj(json!({"metadata": {"name": "shop"}}))],
        pods: vec![pod("web", "web", "node-a", "10.0.0.2"), pod("client", "client", "node-b", "10.0.0.3")],
        nodes: vec![node("node-a"), node("node-b")],
        policies: vec![web_policy()],
        security_policies: vec![obj::<SecurityPolicy>(json!({"metadata": {"name": "strict"}, "spec": {}}))],
        plans: Vec::new(),
    }
}

pub(super) fn now() -> Timestamp {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

/// What the apiserver holds after `actions` are written, with each agent reporting `agents`.
pub(super) fn written(mut observed: Observed, actions: &Actions, agents: Option<Result<(), &str>>) -> Observed {
    for spec in &actions.apply_plans {
        let mut plan = RedirectPlan::new(&spec.node, spec.clone());
        let old = observed.plans.iter().find(|p| p.metadata.name.as_deref() == Some(&spec.node));
        plan.metadata.generation = Some(old.and_then(|p| p.metadata.generation).unwrap_or(0) + 1);
        observed.plans.retain(|p| p.metadata.name.as_deref() != Some(&spec.node));
        observed.plans.push(Arc::new(plan));
    }
    observed.plans.retain(|p| !actions.delete_plans.contains(p.metadata.name.as_ref().unwrap()));
    if let Some(result) = agents {
        observed.plans = observed.plans.iter().map(|p| Arc::new(reported(p, result))).collect();
    }
    let mut policies = Vec::new();
    for p in &observed.policies {
        let mut p = (**p).clone();
        let key = (p.metadata.namespace.clone().unwrap(), p.metadata.name.clone().unwrap());
        for patch in actions.add_finalizers.iter().chain(&actions.remove_finalizers) {
            if (patch.policy.namespace.clone(), patch.policy.name.clone()) == key {
                p.metadata.finalizers = Some(patch.finalizers.clone());
            }
        }
        for (k, status) in &actions.statuses {
            if (k.namespace.clone(), k.name.clone()) == key {
                p.status = Some(status.clone());
            }
        }
        let gone = p.metadata.deletion_timestamp.is_some() && p.metadata.finalizers.as_ref().is_none_or(Vec::is_empty);
        if !gone {
            policies.push(Arc::new(p));
        }
    }
    observed.policies = policies;
    observed
}

fn reported(plan: &RedirectPlan, result: Result<(), &str>) -> RedirectPlan {
    let mut plan = plan.clone();
    let previous = plan.status.clone();
    plan.status = Some(crate_status(plan.metadata.generation, result, previous.as_ref()));
    plan
}

fn crate_status(
    generation: Option<i64>,
    result: Result<(), &str>,
    previous: Option<&RedirectPlanStatus>,
) -> RedirectPlanStatus {
    let mut status = previous.cloned().unwrap_or_default();
    status.observed_generation = generation;
    status.error = result.err().map(str::to_owned);
    status.conditions = vec![Condition {
        type_: "Programmed".into(),
        status: if result.is_ok() { "True" } else { "False" }.into(),
        reason: "Test".into(),
        message: String::new(),
        observed_generation: generation,
        last_transition_time: Time(now()),
    }];
    status
}
