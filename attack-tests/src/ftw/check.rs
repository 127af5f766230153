//! Running a test: every stage sent on a fresh connection, its `output` checked (see
//! [`super::output`]): the status, `response_contains` and `expect_error` from the response,
//! rule ids from the inspector's audit line of that transaction (the `x-request-id` of the
//! answer).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use regex::Regex;
use serde::Serialize;

use super::audit::{Record, Tail};
use super::output::{LogRules, Status, judge};
use super::{Named, Stage};
use crate::http;

/// The result of one test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "lowercase")]
pub enum Verdict {
    /// Every stage met its output.
    Pass,
    /// The first stage that did not, and why.
    Fail(String),
    /// Not run, and why.
    Skip(String),
}

/// Sends tests to one address.
#[derive(Debug)]
pub struct Runner {
    /// Where every stage goes.
    pub addr: SocketAddr,
    /// Connect and read timeout per stage.
    pub timeout: Duration,
    /// The inspector's audit log(s).
    pub audit: Tail,
}

impl Runner {
    /// Runs one test.
    pub fn run(&mut self, test: &Named) -> Verdict {
        if !test.enabled {
            return Verdict::Skip("meta.enabled is false".into());
        }
        let mut stages = Vec::new();
        for stage in test.test.stages.iter().filter_map(|s| s.stage()) {
            if let Some(why) = stage.input.unsupported() {
                return Verdict::Skip(why);
            }
            let rules = match stage.output.log_rules() {
                Ok(r) => r,
                Err(e) => return Verdict::Fail(e),
            };
            if (!rules.ids.is_empty() || !rules.patterns.is_empty()) && self.audit.is_empty() {
                return Verdict::Skip("log expectations need --audit-log (or --lab)".into());
            }
            stages.push((stage, rules));
        }
        for (n, (stage, rules)) in stages.iter().enumerate() {
            if let Err(why) = self.stage(stage, rules) {
                return Verdict::Fail(format!("stage {}: {why}", n + 1));
            }
        }
        Verdict::Pass
    }

    fn stage(&mut self, stage: &Stage, rules: &LogRules) -> Result<(), String> {
        let bytes = stage.input.bytes()?;
        let out = &stage.output;
        let response = match (http::exchange(self.addr, &bytes, self.timeout), out.expect_error == Some(true)) {
            (Err(_), true) => return Ok(()),
            (Err(e), false) => return Err(format!("no response: {e}")),
            (Ok(r), true) => return Err(format!("expected an error, got status {}", r.status)),
            (Ok(r), false) => r,
        };
        let ok = match &out.status {
            None => true,
            Some(Status::One(s)) => *s == response.status,
            Some(Status::Any(list)) => list.contains(&response.status),
        };
        if !ok {
            return Err(format!(
                "status {} (expected {:?})",
                response.status,
                out.status.as_ref().map(Status::list).unwrap_or_default()
            ));
        }
        if let Some(pattern) = &out.response_contains {
            let re = Regex::new(pattern).map_err(|e| format!("regex {pattern:?}: {e}"))?;
            if !re.is_match(&String::from_utf8_lossy(&response.body)) {
                return Err(format!("the response body does not match {pattern:?}"));
            }
        }
        if rules.ids.is_empty() && rules.patterns.is_empty() {
            return Ok(());
        }
        let Some(id) = response.header("x-request-id") else {
            return Err(format!("status {} without x-request-id: not answered by the inspector", response.status));
        };
        let wants_a_line = rules.ids.iter().any(|r| r.1) || rules.patterns.iter().any(|p| p.1);
        let record = self.record(id, wants_a_line);
        judge(&record, rules).map_err(|why| format!("{why} (transaction {id}, matched {:?})", record.ids))
    }

    /// The audit record of `id`: none means no rule logged. The inspector writes the line
    /// before it answers; when a line is expected, a late one is still waited for (1 s).
    fn record(&mut self, id: &str, wait: bool) -> Record {
        let deadline = Instant::now() + if wait { Duration::from_secs(1) } else { Duration::ZERO };
        loop {
            if let Some(r) = self.audit.find(id) {
                return r.clone();
            }
            if Instant::now() >= deadline {
                return Record::default();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
