//! Phase "inspect": the engine's phases over the [`Canonical`] request and the upstream's
//! response. Everything here is synchronous: the proxy builds the transaction once the body
//! is buffered, and keeps it across the upstream call only when the rule set has response
//! rules ([`needs_response`]). A rule set without any rule ([`has_rules`]) builds no
//! transaction at all: nothing could match, set a variable or stop it, so its report is
//! known in advance (no interruption, no match, no anomaly score).

use std::time::{Duration, Instant};

use http::HeaderMap;
use inspector_engine::ruleset::{Item, RuleSet};
use inspector_engine::seclang::EngineMode;
use inspector_engine::tx::{Interruption, MatchedRule, Transaction};

use crate::request::Canonical;

/// What the engine concluded about a transaction, once it is finished.
#[derive(Debug, Clone)]
pub struct Report {
    /// The interruption, if a rule stopped the transaction.
    pub interruption: Option<Interruption>,
    /// Every logged match.
    pub matches: Vec<MatchedRule>,
    /// `TX:anomaly_score` (CRS), when set.
    pub anomaly_score: Option<String>,
    pub engine: EngineMode,
    /// Time spent in the engine.
    pub took: Duration,
}

/// A transaction under inspection, with the engine time spent so far.
#[derive(Debug)]
pub struct Inspection<'r> {
    /// `None` when the rule set has no rule to run.
    tx: Option<Transaction<'r>>,
    engine: EngineMode,
    took: Duration,
}

/// Whether the rule set has any rule (markers and settings alone run nothing).
pub fn has_rules(rules: &RuleSet) -> bool {
    rules.phases.iter().flatten().any(|i| matches!(i, Item::Rule(_)))
}

/// Whether the rule set has phase 3 or 4 rules, so the transaction must wait for the response.
pub fn needs_response(rules: &RuleSet) -> bool {
    rules.phases[2..4].iter().flatten().any(|i| matches!(i, Item::Rule(_)))
}

/// Whether phase 4 sees a response body with this content type.
pub fn inspects_response_body(rules: &RuleSet, headers: &HeaderMap) -> bool {
    let s = &rules.settings;
    let ct = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let ct = ct.split(';').next().unwrap_or_default().trim();
    s.response_body_access && s.response_mime_types.iter().any(|t| t.eq_ignore_ascii_case(ct))
}

impl Report {
    /// The severity and category of a block, for the metric labels: the interrupting rule's
    /// severity, else the highest among the logged matches; the first `attack-*` tag other
    /// than `attack-generic` among the interrupting rule then the other matches (CRS's
    /// blocking rule 949110 is only `attack-generic`: the category comes from the rules that
    /// raised the score), else `attack-generic`, else `-`. Tags come from the loaded rules
    /// (bounded); odd ones (not `[a-z0-9-]`, over 40 bytes) are skipped.
    pub fn class(&self) -> (Option<u8>, &str) {
        let stop = self.interruption.as_ref().map(|i| i.rule_id);
        let decider = self.matches.iter().find(|m| Some(m.id) == stop);
        let highest = self.matches.iter().filter_map(|m| m.severity).min();
        let severity = decider.and_then(|m| m.severity).or(highest);
        let tags = decider.into_iter().chain(&self.matches).flat_map(|m| &m.tags);
        let attack = |t: &&String| {
            t.starts_with("attack-")
                && t.len() <= 40
                && t.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        };
        let mut attacks = tags.filter(attack);
        let first = attacks.clone().find(|t| t.as_str() != "attack-generic");
        let category = first.or_else(|| attacks.next()).map_or("-", String::as_str);
        (severity, category)
    }
}

impl<'r> Inspection<'r> {
    /// Phases 1 and 2 over the canonical request.
    pub fn request(tx: Transaction<'r>, req: &Canonical) -> (Self, Option<Interruption>) {
        let started = Instant::now();
        let mut this = Self { engine: tx.engine(), tx: Some(tx), took: Duration::ZERO };
        let stop = this.tx.as_mut().and_then(|tx| {
            let fields = req.headers.iter().chain(req.hop.iter());
            let headers = fields.map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
            let stop = tx.request_headers(req.method.as_str().as_bytes(), req.target.as_bytes(), req.version, headers);
            stop.or_else(|| tx.request_body(&req.body))
        });
        this.took += started.elapsed();
        (this, stop)
    }

    /// The inspection of a rule set without rules (see [`has_rules`]): no transaction.
    pub fn without_rules(rules: &RuleSet) -> Self {
        Self { tx: None, engine: rules.settings.engine, took: Duration::ZERO }
    }

    /// Phase 3 (status and headers) and phase 4 (`body`, when it is inspected).
    pub fn response(&mut self, status: u16, headers: &HeaderMap, body: Option<&[u8]>) -> Option<Interruption> {
        let started = Instant::now();
        let stop = self.tx.as_mut().and_then(|tx| {
            let pairs = headers.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
            let stop = tx.response_headers(status, "HTTP/1.1", pairs);
            stop.or_else(|| tx.response_body(body.unwrap_or_default()))
        });
        self.took += started.elapsed();
        stop
    }

    /// Phase 5, then the report; the transaction is dropped here.
    pub fn finish(self) -> Report {
        let Some(mut tx) = self.tx else {
            let nothing = Report {
                interruption: None,
                matches: Vec::new(),
                anomaly_score: None,
                engine: self.engine,
                took: self.took,
            };
            return nothing;
        };
        let started = Instant::now();
        tx.finish();
        let report = Report {
            interruption: tx.interruption().cloned(),
            matches: tx.matched_rules().iter().filter(|m| m.logged).cloned().collect(),
            anomaly_score: tx.tx("anomaly_score"),
            engine: tx.engine(),
            took: Duration::ZERO,
        };
        Report { took: self.took + started.elapsed(), ..report }
    }
}

#[cfg(test)]
mod tests {
    use inspector_engine::seclang::EngineMode;
    use inspector_engine::tx::{InterruptAction, Interruption, MatchedRule};

    use super::{Duration, Report};

    fn matched(id: u64, severity: Option<u8>, tags: &[&str]) -> MatchedRule {
        let tags = tags.iter().map(|t| (*t).to_owned()).collect();
        MatchedRule { id, phase: 2, msg: String::new(), data: String::new(), severity, tags, logged: true }
    }

    fn report(stop: Option<u64>, matches: Vec<MatchedRule>) -> Report {
        let interruption = stop.map(|rule_id| Interruption { rule_id, status: 403, action: InterruptAction::Deny });
        Report { interruption, matches, anomaly_score: None, engine: EngineMode::On, took: Duration::ZERO }
    }

    #[test]
    fn the_class_of_a_block_comes_from_the_decider_and_the_rules_that_scored() {
        // CRS: 942100 scores (attack-sqli), 949110 blocks (attack-generic, CRITICAL).
        let crs = report(
            Some(949_110),
            vec![
                matched(942_100, Some(2), &["application-multi", "attack-sqli"]),
                matched(949_110, Some(2), &["attack-generic"]),
            ],
        );
        assert_eq!(crs.class(), (Some(2), "attack-sqli"));
        let generic = report(Some(7), vec![matched(7, None, &["attack-generic"]), matched(8, Some(4), &[])]);
        assert_eq!(generic.class(), (Some(4), "attack-generic"), "the highest severity among the matches");
        let odd = report(Some(9), vec![matched(9, Some(3), &["attack-Weird Tag", "attack-xss"])]);
        assert_eq!(odd.class(), (Some(3), "attack-xss"), "odd tags are skipped");
        assert_eq!(report(Some(0), vec![]).class(), (None, "-"));
    }
}
