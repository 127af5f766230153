//! Phase "inspect": the engine's phases over the [`Canonical`] request and the upstream's
//! response. Everything here is synchronous: the proxy builds the transaction once the body
//! is buffered, and keeps it across the upstream call only when the rule set has response
//! rules ([`needs_response`]).

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
    tx: Transaction<'r>,
    took: Duration,
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

impl<'r> Inspection<'r> {
    /// Phases 1 and 2 over the canonical request.
    pub fn request(tx: Transaction<'r>, req: &Canonical) -> (Self, Option<Interruption>) {
        let started = Instant::now();
        let mut this = Self { tx, took: Duration::ZERO };
        let headers = req.headers.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
        let mut stop =
            this.tx.request_headers(req.method.as_str().as_bytes(), req.target.as_bytes(), req.version, headers);
        if stop.is_none() {
            stop = this.tx.request_body(&req.body);
        }
        this.took += started.elapsed();
        (this, stop)
    }

    /// Phase 3 (status and headers) and phase 4 (`body`, when it is inspected).
    pub fn response(&mut self, status: u16, headers: &HeaderMap, body: Option<&[u8]>) -> Option<Interruption> {
        let started = Instant::now();
        let pairs = headers.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
        let mut stop = self.tx.response_headers(status, "HTTP/1.1", pairs);
        if stop.is_none() {
            stop = self.tx.response_body(body.unwrap_or_default());
        }
        self.took += started.elapsed();
        stop
    }

    /// Phase 5, then the report; the transaction is dropped here.
    pub fn finish(mut self) -> Report {
        let started = Instant::now();
        self.tx.finish();
        let report = Report {
            interruption: self.tx.interruption().cloned(),
            matches: self.tx.matched_rules().iter().filter(|m| m.logged).cloned().collect(),
            anomaly_score: self.tx.tx("anomaly_score"),
            engine: self.tx.engine(),
            took: Duration::ZERO,
        };
        Report { took: self.took + started.elapsed(), ..report }
    }
}
