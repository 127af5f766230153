//! Prometheus metrics (prometheus-client, OpenMetrics text).
//!
//! Labels are bounded: `verdict` is one of [`Outcome::label`], `policy` a configured
//! SecurityPolicy name (`-` with plain `--rules`), `namespace` a namespace the flow map
//! names (`-` when unknown), `rule_id` always an id of a loaded rule set (anything else
//! would be counted as `other`), `severity` one of the eight syslog names or `-`, and
//! `category` an `attack-*` tag of a loaded rule or `-` (see [`crate::inspect::Report::class`]).

use std::collections::BTreeSet;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The OpenMetrics content type served at /metrics.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a transaction ended, as counted by `chainwall_requests_total{verdict}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Forwarded with no logged match.
    Pass,
    /// Forwarded with logged matches (DetectionOnly, or non-blocking rules).
    Detect,
    /// Stopped by a rule.
    Block,
    /// Refused by a limit before inspection (413, 431, 503) or a malformed request.
    Reject,
    /// Inspected and allowed, but the upstream failed (502).
    UpstreamError,
}

impl Outcome {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Detect => "detect",
            Self::Block => "block",
            Self::Reject => "reject",
            Self::UpstreamError => "upstream_error",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    policy: String,
    namespace: String,
    verdict: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BlockLabels {
    policy: String,
    namespace: String,
    rule_id: String,
    severity: &'static str,
    category: String,
}

/// Where a transaction was inspected: its policy and its destination's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    pub policy: &'a str,
    pub namespace: &'a str,
}

/// The syslog severity names of `severity:0..7` (`-`: none).
pub fn severity_name(severity: Option<u8>) -> &'static str {
    const NAMES: [&str; 8] = ["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"];
    severity.and_then(|s| NAMES.get(usize::from(s)).copied()).unwrap_or("-")
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyReasonLabels {
    policy: String,
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyActionLabels {
    policy: String,
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule_id: String,
}

/// Every metric of the proxy.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<VerdictLabels, Counter>,
    blocked: Family<BlockLabels, Counter>,
    matches: Family<RuleLabels, Counter>,
    duration: Histogram,
    upstream_errors: Counter,
    rules_loaded: Gauge,
    reloads: Family<ResultLabels, Counter>,
    flows_refused: Family<ReasonLabels, Counter>,
    over_limit: Family<PolicyActionLabels, Counter>,
    bypass: Family<PolicyReasonLabels, Counter>,
    ready: Gauge,
    /// Every rule id ever loaded (reloads only add: the label stays bounded by the rule sets).
    known_ids: RwLock<BTreeSet<u64>>,
}

impl Metrics {
    /// Registers the metrics; `known_ids` bounds the `rule_id` label.
    pub fn new(known_ids: BTreeSet<u64>) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<VerdictLabels, Counter>::default();
        let blocked = Family::<BlockLabels, Counter>::default();
        let matches = Family::<RuleLabels, Counter>::default();
        let duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        let upstream_errors = Counter::default();
        let rules_loaded = Gauge::default();
        registry.register("chainwall_requests", "Transactions by verdict", requests.clone());
        registry.register("chainwall_blocked", "Transactions blocked, by deciding rule", blocked.clone());
        registry.register("chainwall_rule_matches", "Logged rule matches, by rule", matches.clone());
        registry.register(
            "chainwall_inspection_duration_seconds",
            "Time spent in the rule engine per transaction",
            duration.clone(),
        );
        registry.register(
            "chainwall_upstream_errors",
            "Upstream connection or protocol errors",
            upstream_errors.clone(),
        );
        registry.register("chainwall_rules_loaded", "Rules in the loaded rule set", rules_loaded.clone());
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register("chainwall_config_reloads", "Policy reloads, by result", reloads.clone());
        for result in ["success", "error"] {
            let _ = reloads.get_or_create(&ResultLabels { result });
        }
        let flows_refused = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "chainwall_flows_refused",
            "Transparent-mode flows refused: no original destination, loop, no policy for the destination",
            flows_refused.clone(),
        );
        for reason in ["no_original_dst", "loop", "no_policy"] {
            let _ = flows_refused.get_or_create(&ReasonLabels { reason });
        }
        let over_limit = Family::<PolicyActionLabels, Counter>::default();
        registry.register(
            "chainwall_body_over_limit",
            "Request bodies over the policy's inspected limit, by action (reject: 413; process_partial: prefix inspected)",
            over_limit.clone(),
        );
        let bypass = Family::<PolicyReasonLabels, Counter>::default();
        registry.register(
            "chainwall_bypass",
            "Requests forwarded without full inspection, by reason (body_prefix: only the body's prefix was inspected)",
            bypass.clone(),
        );
        let ready = Gauge::default();
        registry.register("chainwall_ready", "1 when /readyz answers ready (set at each scrape)", ready.clone());
        rules_loaded.set(i64::try_from(known_ids.len()).unwrap_or(i64::MAX));
        let known_ids = RwLock::new(known_ids);
        Self {
            registry,
            requests,
            blocked,
            matches,
            duration,
            upstream_errors,
            rules_loaded,
            reloads,
            flows_refused,
            over_limit,
            bypass,
            ready,
            known_ids,
        }
    }

    /// Counts a reload; a successful one brings the ids of the new rule set.
    pub fn reloaded(&self, ids: Option<&BTreeSet<u64>>) {
        let result = if ids.is_some() { "success" } else { "error" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
        if let Some(ids) = ids {
            self.rules_loaded.set(i64::try_from(ids.len()).unwrap_or(i64::MAX));
            self.known_ids.write().unwrap_or_else(PoisonError::into_inner).extend(ids);
        }
    }

    fn rule(&self, id: u64) -> RuleLabels {
        let known = self.known_ids.read().unwrap_or_else(PoisonError::into_inner).contains(&id);
        let rule_id = if known { id.to_string() } else { "other".into() };
        RuleLabels { rule_id }
    }

    /// Counts one transaction in `scope` (a configured policy and namespace: bounded).
    pub fn request(&self, scope: Scope<'_>, outcome: Outcome) {
        let Scope { policy, namespace } = scope;
        let labels = VerdictLabels { policy: policy.into(), namespace: namespace.into(), verdict: outcome.label() };
        self.requests.get_or_create(&labels).inc();
    }

    /// Counts a block by `rule_id` in `scope`; `class` is the severity and category of the
    /// block ([`crate::inspect::Report::class`]).
    pub fn blocked(&self, scope: Scope<'_>, rule_id: u64, class: (Option<u8>, &str)) {
        let RuleLabels { rule_id } = self.rule(rule_id);
        let Scope { policy, namespace } = scope;
        let (severity, category) = (severity_name(class.0), class.1.to_owned());
        let labels = BlockLabels { policy: policy.into(), namespace: namespace.into(), rule_id, severity, category };
        self.blocked.get_or_create(&labels).inc();
    }

    /// Counts a body over the limit; `action` is `reject` or `process_partial`.
    pub fn body_over_limit(&self, scope: Scope<'_>, action: &'static str) {
        self.over_limit.get_or_create(&PolicyActionLabels { policy: scope.policy.into(), action }).inc();
    }

    /// Counts a request forwarded without full inspection; `reason` is `body_prefix`.
    pub fn bypass(&self, scope: Scope<'_>, reason: &'static str) {
        self.bypass.get_or_create(&PolicyReasonLabels { policy: scope.policy.into(), reason }).inc();
    }

    /// Counts a logged match of `rule_id`.
    pub fn rule_match(&self, rule_id: u64) {
        self.matches.get_or_create(&self.rule(rule_id)).inc();
    }

    /// Records the engine's time for one transaction.
    pub fn inspection(&self, took: Duration) {
        self.duration.observe(took.as_secs_f64());
    }

    /// Counts an upstream failure.
    pub fn upstream_error(&self) {
        self.upstream_errors.inc();
    }

    /// Counts a refused flow; `reason` is one of `no_original_dst`, `loop`, `no_policy`.
    pub fn flow_refused(&self, reason: &'static str) {
        self.flows_refused.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Sets `chainwall_ready`.
    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// The rules-loaded gauge's value.
    pub fn rules_loaded(&self) -> i64 {
        self.rules_loaded.get()
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
