//! A stage's `output` and how the log part is judged. `log_contains: id "N"` (CRS's usual
//! form) means rule N; any other `log_contains`/`match_regex` is a regex over the audit line
//! (JSON, not ModSecurity's error-log text).

use regex::Regex;
use serde::Deserialize;

use super::audit::Record;

/// go-ftw's `output`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The expected status (v1: a list of acceptable ones).
    #[serde(default)]
    pub status: Option<Status>,
    /// A regex the response body must match.
    #[serde(default)]
    pub response_contains: Option<String>,
    /// Must match the audit line (`id "N"`: rule N must have matched).
    #[serde(default)]
    pub log_contains: Option<String>,
    /// Must not match the audit line (`id "N"`: rule N must not have matched).
    #[serde(default)]
    pub no_log_contains: Option<String>,
    /// Rule-id expectations (v2).
    #[serde(default)]
    pub log: Log,
    /// The request must fail (no response).
    #[serde(default)]
    pub expect_error: Option<bool>,
    /// go-ftw scheduling hints: ignored.
    #[serde(default)]
    pub retry_once: Option<bool>,
    /// go-ftw scheduling hints: ignored.
    #[serde(default)]
    pub isolated: Option<bool>,
}

/// One status or a list of acceptable ones.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Status {
    /// Exactly this one.
    One(u16),
    /// Any of these.
    Any(Vec<u16>),
}

/// `output.log`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// Rules that must have matched.
    #[serde(default)]
    pub expect_ids: Vec<u64>,
    /// Rules that must not have matched.
    #[serde(default)]
    pub no_expect_ids: Vec<u64>,
    /// A regex the audit line must match.
    #[serde(default)]
    pub match_regex: Option<String>,
    /// A regex the audit line must not match.
    #[serde(default)]
    pub no_match_regex: Option<String>,
}

/// What the log of one stage must (`true`) or must not (`false`) show.
#[derive(Debug, Default)]
pub struct LogRules {
    /// Rule ids.
    pub ids: Vec<(u64, bool)>,
    /// Regexes over the audit line.
    pub patterns: Vec<(Regex, bool)>,
}

impl Output {
    /// The log expectations, regexes compiled.
    pub fn log_rules(&self) -> Result<LogRules, String> {
        let mut rules = LogRules::default();
        rules.ids.extend(self.log.expect_ids.iter().map(|&id| (id, true)));
        rules.ids.extend(self.log.no_expect_ids.iter().map(|&id| (id, false)));
        let texts = [
            (&self.log_contains, true),
            (&self.log.match_regex, true),
            (&self.no_log_contains, false),
            (&self.log.no_match_regex, false),
        ];
        for (text, must) in texts.into_iter().filter_map(|(t, m)| Some((t.as_deref()?, m))) {
            match rule_id_in(text) {
                Some(id) => rules.ids.push((id, must)),
                None => rules.patterns.push((Regex::new(text).map_err(|e| format!("regex {text:?}: {e}"))?, must)),
            }
        }
        Ok(rules)
    }
}

/// `id "942100"` (and `id:942100`, `id \"942100\"`): the rule id a CRS log pattern names.
fn rule_id_in(pattern: &str) -> Option<u64> {
    let rest = pattern.trim().strip_prefix("id")?;
    let digits = rest.trim_start_matches([' ', ':', '=', '"', '\\']);
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    let tail = digits[end..].trim_matches(['"', '\\', ' ']);
    (end > 0 && tail.is_empty()).then(|| digits[..end].parse().ok()).flatten()
}

impl Status {
    /// The acceptable statuses.
    pub fn list(&self) -> Vec<u16> {
        match self {
            Status::One(s) => vec![*s],
            Status::Any(l) => l.clone(),
        }
    }
}

/// Whether `record` meets `rules`; else what differed.
pub fn judge(record: &Record, rules: &LogRules) -> Result<(), String> {
    for &(id, must) in &rules.ids {
        if record.ids.contains(&id) != must {
            return Err(format!("rule {id} {}", if must { "did not match" } else { "matched" }));
        }
    }
    for (re, must) in &rules.patterns {
        if re.is_match(&record.line) != *must {
            return Err(format!(
                "the audit line {} {:?}",
                if *must { "does not match" } else { "matches" },
                re.as_str()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_log_patterns_name_rule_ids() {
        assert_eq!(rule_id_in(r#"id "942100""#), Some(942100));
        assert_eq!(rule_id_in(r#"id \"920350\""#), Some(920350));
        assert_eq!(rule_id_in("id:941100"), Some(941100));
        assert_eq!(rule_id_in(r#"id "94.*""#), None);
        assert_eq!(rule_id_in("Matched phrase"), None);
    }

    #[test]
    fn the_log_is_judged_both_ways() {
        let output = Output {
            log: Log { expect_ids: vec![942100], no_expect_ids: vec![920350], ..Log::default() },
            log_contains: Some("attack-sqli".into()),
            ..Output::default()
        };
        let rules = output.log_rules().expect("valid");
        let hit = Record { ids: [942100, 949110].into(), line: r#"{"tags":["attack-sqli"]}"#.into() };
        assert_eq!(judge(&hit, &rules), Ok(()));
        assert!(judge(&Record::default(), &rules).is_err());
        let both = Record { ids: [942100, 920350].into(), ..hit };
        assert_eq!(judge(&both, &rules), Err("rule 920350 matched".into()));
    }
}
