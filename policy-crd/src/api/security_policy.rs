//! `SecurityPolicy`: the admin-owned DPI/WAF profile that L7NetworkPolicies name.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A cluster-scoped inspection profile: OWASP CRS settings, custom SecLang, exclusions,
/// an optional allow-list, and limits.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chainwall.dev",
    version = "v1alpha1",
    kind = "SecurityPolicy",
    plural = "securitypolicies",
    shortname = "secpol",
    shortname = "l7sp",
    category = "chainwall",
    derive = "PartialEq",
    derive = "Default",
    status = "SecurityPolicyStatus",
    printcolumn = r#"{"name":"Mode","type":"string","jsonPath":".spec.mode"}"#,
    printcolumn = r#"{"name":"FailureMode","type":"string","jsonPath":".spec.failureMode"}"#,
    printcolumn = r#"{"name":"Paranoia","type":"integer","jsonPath":".spec.crs.paranoiaLevel"}"#,
    printcolumn = r#"{"name":"Policies","type":"integer","jsonPath":".status.referencedBy"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPolicySpec {
    /// `Block` stops attacks; `Detect` logs and counts them but forwards.
    #[serde(default)]
    pub mode: EnforcementMode,
    /// What happens to covered flows when no healthy inspector exists.
    #[serde(default)]
    pub failure_mode: FailureMode,
    /// OWASP Core Rule Set settings.
    #[serde(default)]
    pub crs: CrsSettings,
    /// Extra SecLang rules, each entry one or more directives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_rules: Vec<String>,
    /// Rules or targets switched off, optionally only for some paths or methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub exclusions: Vec<Exclusion>,
    /// When set, only requests matching one of these entries pass; everything else is denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_list: Option<Vec<AllowRule>>,
    /// Body size limits.
    #[serde(default)]
    pub limits: Limits,
    /// Whether response headers and bodies are inspected (CRS phases 3 and 4).
    #[serde(default)]
    pub response_inspection: bool,
}

/// What the controller and the inspectors observed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPolicyStatus {
    /// `Ready` (the rules compiled in the inspectors) and `Degraded`, with reasons such as a
    /// custom rule that does not compile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// L7NetworkPolicies naming this SecurityPolicy.
    #[serde(default)]
    pub referenced_by: i32,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Block or only detect.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
pub enum EnforcementMode {
    /// Log and count, but forward.
    Detect,
    /// Answer attacks with an error status and never forward them.
    #[default]
    Block,
}

/// Fail closed or open when the inspector is gone.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
pub enum FailureMode {
    /// Covered flows pass directly, uninspected, and a bypass counter records it.
    Open,
    /// Covered flows are dropped.
    #[default]
    Closed,
}

/// OWASP CRS tuning, mapped onto `tx.*` variables of `crs-setup.conf`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "self.paranoiaLevel >= 1 && self.paranoiaLevel <= 4", "message": "paranoiaLevel must be 1 to 4"}
]))]
pub struct CrsSettings {
    /// Paranoia level 1 (fewest false positives) to 4.
    #[serde(default = "CrsSettings::default_paranoia")]
    #[schemars(range(min = 1, max = 4))]
    pub paranoia_level: u8,
    /// Inbound anomaly score at which a request is blocked.
    #[serde(default = "CrsSettings::default_inbound")]
    #[schemars(range(min = 1))]
    pub inbound_anomaly_threshold: u32,
    /// Outbound anomaly score at which a response is blocked.
    #[serde(default = "CrsSettings::default_outbound")]
    #[schemars(range(min = 1))]
    pub outbound_anomaly_threshold: u32,
}

impl CrsSettings {
    fn default_paranoia() -> u8 {
        1
    }
    fn default_inbound() -> u32 {
        5
    }
    fn default_outbound() -> u32 {
        4
    }
}

impl Default for CrsSettings {
    fn default() -> Self {
        Self {
            paranoia_level: Self::default_paranoia(),
            inbound_anomaly_threshold: Self::default_inbound(),
            outbound_anomaly_threshold: Self::default_outbound(),
        }
    }
}

/// Switches off rules (by id or tag) or single targets of them, optionally in a scope.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "(has(self.ruleIds) && size(self.ruleIds) > 0) || (has(self.tags) && size(self.tags) > 0)",
     "message": "an exclusion names ruleIds or tags"}
]))]
pub struct Exclusion {
    /// Rule ids, as in `SecRuleRemoveById`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_ids: Vec<u32>,
    /// Rule tags, as in `SecRuleRemoveByTag`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Only these targets (for example `ARGS:password`) are removed from the rules; empty:
    /// the whole rules are removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Path prefixes the exclusion is limited to; empty: every path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Methods the exclusion is limited to; empty: every method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
}

/// One allowed kind of request. Every field that is set must match.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowRule {
    /// Allowed methods; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// Normalised paths: exact (`/login`) or prefix (`/api/`, ending in `/` or `*`); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Allowed `Host` values, without port; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Headers that must be present, with an exact value when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderMatch>,
}

/// A required request header.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct HeaderMatch {
    /// Header name, case-insensitive.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Exact value; absent: any value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// How much of a body is inspected and what happens beyond that.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Request bytes buffered and inspected (`SecRequestBodyLimit`).
    #[serde(default = "Limits::default_request_body")]
    #[schemars(range(min = 1))]
    pub request_body_bytes: u64,
    /// Response bytes buffered and inspected (`SecResponseBodyLimit`).
    #[serde(default = "Limits::default_response_body")]
    #[schemars(range(min = 1))]
    pub response_body_bytes: u64,
    /// What to do with a body over the limit.
    #[serde(default)]
    pub over_limit_action: OverLimitAction,
}

impl Limits {
    fn default_request_body() -> u64 {
        13_107_200
    }
    fn default_response_body() -> u64 {
        524_288
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_body_bytes: Self::default_request_body(),
            response_body_bytes: Self::default_response_body(),
            over_limit_action: OverLimitAction::default(),
        }
    }
}

/// ModSecurity's `SecRequestBodyLimitAction`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
pub enum OverLimitAction {
    /// Refuse the request with 413.
    #[default]
    Reject,
    /// Inspect the first part, forward the rest uninspected.
    ProcessPartial,
}
