//! The label sets of the metrics, and the bounded values they take.

use prometheus_client::encoding::EncodeLabelSet;

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
    /// Inspected and allowed, but the upstream failed (502) or was too slow (504).
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
pub(super) struct VerdictLabels {
    pub(super) policy: String,
    pub(super) namespace: String,
    pub(super) verdict: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct BlockLabels {
    pub(super) policy: String,
    pub(super) namespace: String,
    pub(super) rule_id: String,
    pub(super) severity: &'static str,
    pub(super) category: String,
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
pub(super) struct PolicyReasonLabels {
    pub(super) policy: String,
    pub(super) reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PolicyActionLabels {
    pub(super) policy: String,
    pub(super) action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ResultLabels {
    pub(super) result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ReasonLabels {
    pub(super) reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RuleLabels {
    pub(super) rule_id: String,
}
