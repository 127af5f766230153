//! The corpus's own expectations (`expect: {blocked, rules}`), checked against each peer.
//! Informational: the differential figure compares the peers with each other; this shows
//! how far CRS itself (on either peer) is from what the corpus author expected.

use std::collections::HashMap;

use serde::Serialize;

use crate::compare::{Case, Side, Verdict};
use crate::corpus::Expect;

/// How many expectations each peer met, and the misses.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Expectations {
    /// Requests with an `expect`.
    pub checked: usize,
    /// Met by ModSecurity.
    pub modsec_met: usize,
    /// Met by our engine.
    pub ours_met: usize,
    /// `id: who missed` for every miss.
    pub misses: Vec<String>,
}

fn meets(side: &Side, expect: &Expect) -> bool {
    let blocked = matches!(side.verdict, Verdict::Block(_));
    blocked == expect.blocked && expect.rules.iter().all(|r| side.ids.contains(r))
}

impl Expectations {
    /// Checks every compared case that has an expectation.
    pub fn check(cases: &[Case], expects: &HashMap<String, Expect>) -> Self {
        Self::tally(cases, |case| {
            let expect = expects.get(&case.id)?;
            let wanted = format!("blocked={} rules={:?}", expect.blocked, expect.rules);
            Some((meets(&case.modsec, expect), meets(&case.ours, expect), wanted))
        })
    }

    /// Counts the cases `judge` knows: whether ModSecurity and we meet the expectation, and
    /// the expectation's description for a miss (`id: who (expected ...)`).
    pub fn tally(cases: &[Case], judge: impl Fn(&Case) -> Option<(bool, bool, String)>) -> Self {
        let mut out = Self::default();
        for case in cases {
            let Some((m, o, wanted)) = judge(case) else { continue };
            out.checked += 1;
            out.modsec_met += usize::from(m);
            out.ours_met += usize::from(o);
            let who = match (m, o) {
                (true, true) => continue,
                (false, false) => "both",
                (false, true) => "modsec",
                (true, false) => "ours",
            };
            out.misses.push(format!("{}: {who} (expected {wanted})", case.id));
        }
        out
    }
}
