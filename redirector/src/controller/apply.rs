//! The controller's writes, in a fixed order: finalizers added, plans applied (server-side
//! apply, field manager [`MANAGER`]), gone nodes' plans deleted, finalizers removed (only when
//! every plan was written: the policy's grants are gone from the desired state), policy
//! statuses patched (status subresource), Events published. A failed write is reported and
//! the rest goes on; the next pass retries from the new state.

use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Api, Client};
use policy_crd::api::{L7NetworkPolicy, L7NetworkPolicyStatus, RedirectPlan, RedirectPlanSpec};
use policy_crd::flow::PolicyKey;
use serde_json::json;

use super::compute::{Actions, FinalizerPatch, PolicyEvent};
use super::{Error, MANAGER, MAX_PLAN_BYTES};

/// Writes one reconcile's [`Actions`]; returns what failed.
pub async fn apply(client: &Client, recorder: &Recorder, actions: &Actions) -> Vec<Error> {
    let mut errors = Vec::new();
    for patch in &actions.add_finalizers {
        errors.extend(patch_finalizers(client, patch).await.err());
    }
    let mut plans_written = true;
    for spec in &actions.apply_plans {
        if let Err(e) = apply_plan(client, spec).await {
            plans_written = false;
            errors.push(e);
        }
    }
    for node in &actions.delete_plans {
        errors.extend(delete_plan(client, node).await.err());
    }
    if plans_written {
        for patch in &actions.remove_finalizers {
            errors.extend(patch_finalizers(client, patch).await.err());
        }
    }
    for (key, status) in &actions.statuses {
        errors.extend(patch_status(client, key, status).await.err());
    }
    for event in &actions.events {
        errors.extend(publish(recorder, event).await.err());
    }
    for (node, bytes) in &actions.oversize {
        errors.push(Error::PlanTooLarge { node: node.clone(), bytes: *bytes, limit: MAX_PLAN_BYTES });
    }
    errors
}

/// Server-side applies one node's plan (forced: the controller owns every spec field).
pub async fn apply_plan(client: &Client, spec: &RedirectPlanSpec) -> Result<(), Error> {
    let api: Api<RedirectPlan> = Api::all(client.clone());
    let plan = RedirectPlan::new(&spec.node, spec.clone());
    let params = PatchParams::apply(MANAGER).force();
    api.patch(&spec.node, &params, &Patch::Apply(&plan))
        .await
        .map_err(Error::api(format!("apply RedirectPlan {}", spec.node)))?;
    Ok(())
}

/// Deletes a gone node's plan (already gone is fine).
pub async fn delete_plan(client: &Client, node: &str) -> Result<(), Error> {
    let api: Api<RedirectPlan> = Api::all(client.clone());
    match api.delete(node, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(Error::api(format!("delete RedirectPlan {node}"))(e)),
    }
}

/// Writes a policy's finalizer list, guarded by its resourceVersion.
pub async fn patch_finalizers(client: &Client, patch: &FinalizerPatch) -> Result<(), Error> {
    let api: Api<L7NetworkPolicy> = Api::namespaced(client.clone(), &patch.policy.namespace);
    let body = json!({"metadata": {"resourceVersion": patch.resource_version, "finalizers": patch.finalizers}});
    api.patch(&patch.policy.name, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map_err(Error::api(format!("finalizers of L7NetworkPolicy {}", patch.policy)))?;
    Ok(())
}

/// Replaces a policy's status through the status subresource.
pub async fn patch_status(client: &Client, key: &PolicyKey, status: &L7NetworkPolicyStatus) -> Result<(), Error> {
    let api: Api<L7NetworkPolicy> = Api::namespaced(client.clone(), &key.namespace);
    let body = json!({"status": status});
    api.patch_status(&key.name, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map_err(Error::api(format!("status of L7NetworkPolicy {key}")))?;
    Ok(())
}

/// Publishes a Warning Event about a policy.
pub async fn publish(recorder: &Recorder, event: &PolicyEvent) -> Result<(), Error> {
    let ev = Event {
        type_: EventType::Warning,
        reason: event.reason.clone(),
        note: Some(event.note.clone()),
        action: "Reconcile".into(),
        secondary: None,
    };
    let name = event.regarding.name.clone().unwrap_or_default();
    recorder.publish(&ev, &event.regarding).await.map_err(Error::api(format!("event about {name}")))
}
