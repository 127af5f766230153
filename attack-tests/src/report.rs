//! The differential report: agreement overall and per CRS rule file, every disagreement, and
//! the requests that could not be compared. Rendered as text or serialized as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::compare::{Case, rule_file};
use crate::conf::EngineMode;
use crate::expect::Expectations;

/// A request left out of the comparison, with the reason.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// Corpus id.
    pub id: String,
    /// Why (nginx rejected it, no audit entry, ...).
    pub reason: String,
}

/// Agreement on the ids of one rule file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileStat {
    /// Rule file name.
    pub file: String,
    /// Requests where either side matched a rule of this file.
    pub requests: usize,
    /// Of those, requests where both matched the same rules of this file.
    pub agree: usize,
    /// Rule hits only our engine had.
    pub only_ours: usize,
    /// Rule hits only ModSecurity had.
    pub only_modsec: usize,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Paranoia level of both peers.
    pub paranoia: u8,
    /// Engine mode of both peers.
    pub engine: EngineMode,
    /// Requests in the corpus (plus gotestwaf).
    pub requests: usize,
    /// Requests compared.
    pub compared: usize,
    /// Requests with the same ids and verdict, over `compared`.
    pub agreement: f64,
    /// Requests with the same verdict, over `compared`.
    pub verdict_agreement: f64,
    /// Sum of |ours ∩ modsec| over sum of |ours ∪ modsec| (rule-hit level).
    pub id_agreement: f64,
    /// Per rule file, sorted by name.
    pub per_file: Vec<FileStat>,
    /// Every request where the peers differ.
    pub disagreements: Vec<Case>,
    /// Requests not compared.
    pub skipped: Vec<Skipped>,
    /// The corpus's expectations against each peer.
    pub expectations: Expectations,
    /// The rule-id checks of go-ftw tests (`--ftw`) against each peer.
    pub ftw: Option<Expectations>,
    /// Every compared request (JSON only).
    pub cases: Vec<Case>,
    /// Seconds the run took.
    pub seconds: f64,
}

impl Report {
    /// Aggregates the compared cases.
    pub fn build(
        paranoia: u8,
        engine: EngineMode,
        requests: usize,
        cases: &[Case],
        skipped: Vec<Skipped>,
        files: &[String],
        expectations: Expectations,
    ) -> Self {
        let ratio = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
        let agree = cases.iter().filter(|c| c.agrees()).count();
        let verdicts = cases.iter().filter(|c| c.ours.verdict == c.modsec.verdict).count();
        let inter: usize = cases.iter().map(|c| c.ours.ids.intersection(&c.modsec.ids).count()).sum();
        let union: usize = cases.iter().map(|c| c.ours.ids.union(&c.modsec.ids).count()).sum();
        let mut per_file: BTreeMap<String, FileStat> = BTreeMap::new();
        for case in cases {
            let mut touched: BTreeMap<String, bool> = BTreeMap::new();
            for id in case.ours.ids.union(&case.modsec.ids) {
                let file = rule_file(*id, files);
                let stat = per_file
                    .entry(file.clone())
                    .or_insert_with(|| FileStat { file: file.clone(), ..FileStat::default() });
                let (o, m) = (case.ours.ids.contains(id), case.modsec.ids.contains(id));
                stat.only_ours += usize::from(o && !m);
                stat.only_modsec += usize::from(m && !o);
                *touched.entry(file).or_insert(true) &= o == m;
            }
            for (file, same) in touched {
                if let Some(stat) = per_file.get_mut(&file) {
                    stat.requests += 1;
                    stat.agree += usize::from(same);
                }
            }
        }
        Self {
            paranoia,
            engine,
            requests,
            compared: cases.len(),
            agreement: ratio(agree, cases.len()),
            verdict_agreement: ratio(verdicts, cases.len()),
            id_agreement: ratio(inter, union),
            per_file: per_file.into_values().collect(),
            disagreements: cases.iter().filter(|c| !c.agrees()).cloned().collect(),
            skipped,
            expectations,
            ftw: None,
            cases: cases.to_vec(),
            seconds: 0.0,
        }
    }

    /// Human-readable rendering.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        let _ = writeln!(s, "differential run: PL{} engine {:?}, {:.1} s", self.paranoia, self.engine, self.seconds);
        let _ = writeln!(s, "requests {} compared {} skipped {}", self.requests, self.compared, self.skipped.len());
        let _ = writeln!(
            s,
            "agreement (same rule ids and verdict): {} of requests; verdicts {}; rule hits {}",
            pct(self.agreement),
            pct(self.verdict_agreement),
            pct(self.id_agreement)
        );
        let e = &self.expectations;
        let _ = writeln!(
            s,
            "corpus expectations met: modsec {}/{}, ours {}/{}",
            e.modsec_met, e.checked, e.ours_met, e.checked
        );
        if let Some(f) = &self.ftw {
            let _ = writeln!(
                s,
                "go-ftw rule checks passed: modsec {}/{}, ours {}/{}",
                f.modsec_met, f.checked, f.ours_met, f.checked
            );
        }
        let _ = writeln!(s, "\n{:<52} {:>8} {:>8} {:>6} {:>9}", "rule file", "requests", "agree", "ours+", "modsec+");
        for f in &self.per_file {
            let agree = pct(if f.requests == 0 { 1.0 } else { f.agree as f64 / f.requests as f64 });
            let _ =
                writeln!(s, "{:<52} {:>8} {:>8} {:>6} {:>9}", f.file, f.requests, agree, f.only_ours, f.only_modsec);
        }
        if !self.disagreements.is_empty() {
            let _ = writeln!(s, "\ndisagreements ({}):", self.disagreements.len());
        }
        for c in &self.disagreements {
            let _ = writeln!(
                s,
                "  {:<28} only ours {:?} only modsec {:?} verdict ours {} modsec {}",
                c.id,
                c.only_ours(),
                c.only_modsec(),
                c.ours.verdict.label(),
                c.modsec.verdict.label()
            );
        }
        if let Some(f) = self.ftw.as_ref().filter(|f| !f.misses.is_empty()) {
            let _ = writeln!(s, "\ngo-ftw checks missed ({}):", f.misses.len());
            for miss in &f.misses {
                let _ = writeln!(s, "  {miss}");
            }
        }
        for k in &self.skipped {
            let _ = writeln!(s, "  skipped {:<20} {}", k.id, k.reason);
        }
        s
    }
}
