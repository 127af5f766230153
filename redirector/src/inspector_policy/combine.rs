//! Two or more SecurityPolicies covering one destination. policy-crd's rule is that every
//! covering policy applies and the strictest result wins; the inspector maps a destination to
//! one policy, so the policies are combined into one named `a+b` (sorted; `+` is not valid in
//! a Kubernetes name, so it never collides) whose spec is at least as strict as each part:
//!
//! - `mode` Block if any is Block; `failureMode` Closed if any is Closed;
//! - the highest paranoia level, the lowest anomaly thresholds and body limits,
//!   `overLimitAction` Reject if any rejects, `responseInspection` if any inspects;
//! - every custom rule of every part (the inspector refuses duplicate rule ids);
//! - only the exclusions that every part has (an exclusion of one must not weaken another);
//! - the allow-list: the one part that has one, or the entries common to all parts that
//!   have one (narrower than requiring each list separately, so never weaker; no common entry
//!   leaves an empty list, which denies every request).

use policy_crd::api::{EnforcementMode, FailureMode, OverLimitAction, SecurityPolicySpec};

/// The name and spec of the combination of `parts` (sorted by name, at least one).
pub fn combine(parts: &[(&String, &SecurityPolicySpec)]) -> (String, SecurityPolicySpec) {
    let Some(((first_name, first), rest)) = parts.split_first() else {
        return (String::new(), SecurityPolicySpec::default());
    };
    if rest.is_empty() {
        return ((*first_name).clone(), (*first).clone());
    }
    let name = parts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("+");
    let mut out = (*first).clone();
    for (_, spec) in rest {
        if spec.mode == EnforcementMode::Block {
            out.mode = EnforcementMode::Block;
        }
        if spec.failure_mode == FailureMode::Closed {
            out.failure_mode = FailureMode::Closed;
        }
        out.crs.paranoia_level = out.crs.paranoia_level.max(spec.crs.paranoia_level);
        out.crs.inbound_anomaly_threshold = out.crs.inbound_anomaly_threshold.min(spec.crs.inbound_anomaly_threshold);
        out.crs.outbound_anomaly_threshold =
            out.crs.outbound_anomaly_threshold.min(spec.crs.outbound_anomaly_threshold);
        out.limits.request_body_bytes = out.limits.request_body_bytes.min(spec.limits.request_body_bytes);
        out.limits.response_body_bytes = out.limits.response_body_bytes.min(spec.limits.response_body_bytes);
        if spec.limits.over_limit_action == OverLimitAction::Reject {
            out.limits.over_limit_action = OverLimitAction::Reject;
        }
        out.response_inspection |= spec.response_inspection;
        for rule in &spec.custom_rules {
            if !out.custom_rules.contains(rule) {
                out.custom_rules.push(rule.clone());
            }
        }
        out.exclusions.retain(|e| spec.exclusions.contains(e));
        out.allow_list = match (out.allow_list.take(), &spec.allow_list) {
            (None, other) => other.clone(),
            (mine, None) => mine,
            (Some(mut mine), Some(other)) => {
                mine.retain(|entry| other.contains(entry));
                Some(mine)
            }
        };
    }
    (name, out)
}
