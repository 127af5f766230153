//! What the agent reports on its RedirectPlan: the generation it programmed (or failed to),
//! a `Programmed` condition, when, and the error. Unchanged facts keep their times, so a
//! steady state writes nothing. Pure.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use policy_crd::api::RedirectPlanStatus;

/// The status after programming `generation` (`Err`: why it failed).
pub fn after(
    generation: Option<i64>,
    pods: usize,
    result: Result<(), String>,
    previous: Option<&RedirectPlanStatus>,
    now: Timestamp,
) -> RedirectPlanStatus {
    let ok = result.is_ok();
    let same_generation = previous.is_some_and(|p| p.observed_generation == generation);
    let was_ok = previous.is_some_and(|p| p.error.is_none() && p.programmed_time.is_some());
    let programmed_time = match (ok, same_generation && was_ok) {
        (true, true) => previous.and_then(|p| p.programmed_time.clone()),
        (true, false) => Some(Time(now)),
        (false, _) => previous.and_then(|p| p.programmed_time.clone()),
    };
    let status = if ok { "True" } else { "False" };
    let before = previous.into_iter().flat_map(|p| &p.conditions).find(|c| c.type_ == "Programmed");
    let since = before.filter(|c| c.status == status).map_or(Time(now), |c| c.last_transition_time.clone());
    let (reason, message) = match &result {
        Ok(()) => ("Programmed", format!("generation {} programmed", generation.unwrap_or(0))),
        Err(e) => ("ProgrammingFailed", e.clone()),
    };
    RedirectPlanStatus {
        conditions: vec![Condition {
            type_: "Programmed".into(),
            status: status.into(),
            reason: reason.into(),
            message,
            observed_generation: generation,
            last_transition_time: since,
        }],
        observed_generation: generation,
        programmed_time,
        error: result.err(),
        pods: i32::try_from(pods).unwrap_or(i32::MAX),
    }
}

/// The status as a merge patch body: `error: null` is written out, so an old error is cleared.
pub fn patch_body(status: &RedirectPlanStatus) -> serde_json::Value {
    let mut value = serde_json::to_value(status).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.entry("error").or_insert(serde_json::Value::Null);
    }
    serde_json::json!({ "status": value })
}
