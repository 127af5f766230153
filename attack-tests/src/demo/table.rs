//! The demo's report: per attack family, how many requests were sent, blocked (stopped
//! before the origin) and passed (answered by the origin), and which ones contradict the
//! corpus's expectation (the core set: requests with `expect`). Pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One request's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Corpus id.
    pub id: String,
    /// Family (the id's first word; `ok`, `auth` are benign).
    pub family: String,
    /// Where it went (`main-logic`, `user-auth`).
    pub target: String,
    /// `Some(true)`: must be blocked; `Some(false)`: must pass; `None`: not in the core set.
    pub expect_blocked: Option<bool>,
    /// Stopped before the origin (an inspector answer or no answer).
    pub blocked: bool,
    /// What came back (`403`, `200 from main-logic`, `no answer: TimedOut`).
    pub answer: String,
}

/// Whether a family is benign traffic.
pub fn benign(family: &str) -> bool {
    matches!(family, "ok" | "auth")
}

/// The family of a corpus id: its first word.
pub fn family(id: &str) -> String {
    id.split('-').next().unwrap_or(id).to_owned()
}

/// Core-set requests whose outcome contradicts their expectation.
pub fn misses(results: &[Sent]) -> Vec<&Sent> {
    results.iter().filter(|r| r.expect_blocked.is_some_and(|e| e != r.blocked)).collect()
}

/// The table: one row per target and family.
pub fn table(results: &[Sent]) -> String {
    let mut rows: BTreeMap<(&str, bool, &str), [usize; 4]> = BTreeMap::new();
    for r in results {
        let row = rows.entry((&r.target, benign(&r.family), &r.family)).or_default();
        row[0] += 1;
        row[1] += usize::from(r.blocked);
        row[2] += usize::from(!r.blocked);
        row[3] += usize::from(r.expect_blocked.is_some_and(|e| e != r.blocked));
    }
    let mut out =
        format!("{:<12} {:<8} {:>5} {:>8} {:>7} {:>7}\n", "target", "family", "sent", "blocked", "passed", "misses");
    for ((target, is_benign, family), [sent, blocked, passed, missed]) in rows {
        let label = if is_benign { format!("{family}*") } else { family.to_owned() };
        let _ = writeln!(out, "{target:<12} {label:<8} {sent:>5} {blocked:>8} {passed:>7} {missed:>7}");
    }
    out.push_str("* benign: a blocked request is a false positive. misses: requests not as required (benign: pass;\n");
    out.push_str("  attacks: their `expect`), each a failure unless corpus-lab/deviations.yaml lists it\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, expect: Option<bool>, blocked: bool) -> Sent {
        let answer = if blocked { "403" } else { "200" }.to_owned();
        Sent { id: id.into(), family: family(id), target: "t".into(), expect_blocked: expect, blocked, answer }
    }

    #[test]
    fn rows_count_per_family_and_misses_follow_the_core_set() {
        let results = [
            r("sqli-a-1", Some(true), true),
            r("sqli-a-2", Some(true), false),
            r("sqli-a-3", None, false),
            r("ok-get-1", Some(false), true),
            r("ok-get-2", None, true),
        ];
        let text = table(&results);
        assert!(text.contains("t            sqli         3        1       2       1"), "{text}");
        assert!(text.contains("t            ok*          2        2       0       1"), "{text}");
        let ids: Vec<&str> = misses(&results).iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["sqli-a-2", "ok-get-1"]);
    }
}
