//! A `SecurityPolicy` rendered as the SecLang configuration an inspector loads: engine mode,
//! CRS paranoia and thresholds, exclusions, the allow-list, limits and custom rules, around
//! the CRS files. Pure: text in, text out; every user string is validated before it is
//! placed in a rule, so a policy cannot inject directives.
//!
//! Rule ids 9_800_000 and up are Chainwall's: one block of 1,000 per profile part.

mod allow;
mod exclusions;
mod quote;

use crate::api::{EnforcementMode, OverLimitAction, SecurityPolicySpec};

/// Where the Core Rule Set lives (Debian: `/etc/modsecurity/crs/crs-setup.conf` and
/// `/usr/share/modsecurity-crs/rules/*.conf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrsPaths {
    /// `crs-setup.conf`.
    pub setup: String,
    /// The rule files, as an `Include` glob.
    pub rules: String,
}

impl Default for CrsPaths {
    fn default() -> Self {
        Self {
            setup: "/etc/modsecurity/crs/crs-setup.conf".into(),
            rules: "/usr/share/modsecurity-crs/rules/*.conf".into(),
        }
    }
}

/// Renders the whole configuration of one SecurityPolicy. Errors list every problem found,
/// each naming the field (`spec.exclusions[0].targets[1]: ...`).
pub fn render(name: &str, spec: &SecurityPolicySpec, crs: &CrsPaths) -> Result<String, Vec<String>> {
    let mut errors = Vec::new();
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("# Chainwall SecurityPolicy {}: generated, do not edit.", quote::comment(name)));
    let engine = match spec.mode {
        EnforcementMode::Block => "On",
        EnforcementMode::Detect => "DetectionOnly",
    };
    line(format!("SecRuleEngine {engine}"));
    line("SecRequestBodyAccess On".into());
    line(format!("SecRequestBodyLimit {}", spec.limits.request_body_bytes));
    line(format!("SecRequestBodyNoFilesLimit {}", spec.limits.request_body_bytes));
    line(format!("SecRequestBodyLimitAction {}", limit_action(spec.limits.over_limit_action)));
    line(format!("SecResponseBodyAccess {}", if spec.response_inspection { "On" } else { "Off" }));
    line("SecResponseBodyMimeType text/plain text/html text/xml application/json".into());
    line(format!("SecResponseBodyLimit {}", spec.limits.response_body_bytes));
    line(format!("SecResponseBodyLimitAction {}", limit_action(spec.limits.over_limit_action)));
    line(body_processor_rules());
    line(format!("Include {}", crs.setup));
    let crs_settings = &spec.crs;
    if !(1..=4).contains(&crs_settings.paranoia_level) {
        errors.push(format!("spec.crs.paranoiaLevel: {} is not 1-4", crs_settings.paranoia_level));
    }
    line(format!(
        "SecAction \"id:9800001,phase:1,pass,nolog,t:none,setvar:tx.paranoia_level={},setvar:tx.inbound_anomaly_score_threshold={},setvar:tx.outbound_anomaly_score_threshold={}\"",
        crs_settings.paranoia_level, crs_settings.inbound_anomaly_threshold, crs_settings.outbound_anomaly_threshold
    ));
    match allow::rules(spec.allow_list.as_deref().unwrap_or_default(), 9_801_000) {
        Ok(text) => line(text),
        Err(e) => errors.extend(e),
    }
    match exclusions::rules(&spec.exclusions, 9_802_000) {
        Ok(text) => line(text),
        Err(e) => errors.extend(e),
    }
    line(format!("Include {}", crs.rules));
    for (i, rules) in spec.custom_rules.iter().enumerate() {
        line(format!("# spec.customRules[{i}]"));
        line(rules.clone());
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn limit_action(a: OverLimitAction) -> &'static str {
    match a {
        OverLimitAction::Reject => "Reject",
        OverLimitAction::ProcessPartial => "ProcessPartial",
    }
}

/// JSON and XML bodies go to their processors, and a body that fails to parse is refused
/// (ModSecurity's recommended base configuration).
fn body_processor_rules() -> String {
    [
        r#"SecRule REQUEST_HEADERS:Content-Type "@rx ^(?:application(?:/soap\+|/)|text/)xml" "id:9800010,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML""#,
        r#"SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:9800011,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON""#,
        r#"SecRule REQBODY_ERROR "!@eq 0" "id:9800012,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.'""#,
    ]
    .join("\n")
}

#[cfg(test)]
mod tests;
