//! Comparing the two peers per request: the set of matched rule ids (rules that log) and the
//! verdict.
//!
//! Excluded ids: RESPONSE-980-CORRELATION (980xxx) is phase-5 bookkeeping declared
//! `noauditlog`, so ModSecurity never writes it to the audit log's part H while our engine
//! lists it as a logging match. Nothing else is excluded.

use std::collections::BTreeSet;

use serde::Serialize;

/// Rules whose match is a blocking decision in the CRS 3.3.4 anomaly-scoring setup (plus the
/// base config's body-parse rule 200002).
pub const BLOCKING: &[u64] = &[949110, 949111, 959100, 959101, 200002, 901001, 901450];

/// Whether an id is left out of the comparison (see the module docs).
pub fn excluded(id: u64) -> bool {
    (980_000..981_000).contains(&id)
}

/// The verdict of one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Passed.
    Pass,
    /// Blocked by this rule (0: by a status without a known blocking rule).
    Block(u64),
}

impl Verdict {
    /// The first blocking rule among `ids`, if any.
    pub fn from_ids(ids: &BTreeSet<u64>) -> Self {
        BLOCKING.iter().find(|b| ids.contains(b)).map_or(Verdict::Pass, |&b| Verdict::Block(b))
    }

    /// Short form for text output.
    pub fn label(self) -> String {
        match self {
            Verdict::Pass => "pass".into(),
            Verdict::Block(id) => format!("block({id})"),
        }
    }
}

/// One side's result for one request, after exclusions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    /// Matched rule ids that log, excluded ids removed.
    pub ids: BTreeSet<u64>,
    /// Verdict.
    pub verdict: Verdict,
}

impl Side {
    /// Builds a side from raw ids, dropping excluded ones.
    pub fn new(ids: &BTreeSet<u64>, verdict: Verdict) -> Self {
        Self { ids: ids.iter().copied().filter(|&id| !excluded(id)).collect(), verdict }
    }
}

/// Both sides for one request.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// Corpus id.
    pub id: String,
    /// ModSecurity's side.
    pub modsec: Side,
    /// Our engine's side.
    pub ours: Side,
}

impl Case {
    /// Same ids and same verdict.
    pub fn agrees(&self) -> bool {
        self.modsec == self.ours
    }

    /// Ids only our engine matched.
    pub fn only_ours(&self) -> Vec<u64> {
        self.ours.ids.difference(&self.modsec.ids).copied().collect()
    }

    /// Ids only ModSecurity matched.
    pub fn only_modsec(&self) -> Vec<u64> {
        self.modsec.ids.difference(&self.ours.ids).copied().collect()
    }
}

/// The CRS rule file an id belongs to, from the id range (942xxx ->
/// `REQUEST-942-...`, 9001xxx -> `REQUEST-903.9001-...`), given the rule files' names.
pub fn rule_file(id: u64, files: &[String]) -> String {
    let prefix = match id {
        200_000..=200_999 => return "main.conf (base config)".into(),
        900_000..=900_999 => return "crs-setup.conf".into(),
        1_000_000..=9_999_999 => format!("-903.{}-", id / 1000),
        _ => format!("-{}-", id / 1000),
    };
    files.iter().find(|f| f.contains(&prefix)).cloned().unwrap_or_else(|| format!("other ({}xxx)", id / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_their_rule_files() {
        let files =
            vec!["REQUEST-903.9001-DRUPAL-EXCLUSION-RULES.conf".to_string(), "REQUEST-942-SQLI.conf".to_string()];
        assert_eq!(rule_file(942100, &files), "REQUEST-942-SQLI.conf");
        assert_eq!(rule_file(9001180, &files), "REQUEST-903.9001-DRUPAL-EXCLUSION-RULES.conf");
        assert_eq!(rule_file(200002, &files), "main.conf (base config)");
        assert_eq!(rule_file(123456, &files), "other (123xxx)");
    }

    #[test]
    fn the_verdict_is_the_first_blocking_rule() {
        let ids: BTreeSet<u64> = [942100, 949110, 980130].into();
        assert_eq!(Verdict::from_ids(&ids), Verdict::Block(949110));
        assert_eq!(Side::new(&ids, Verdict::Pass).ids, [942100, 949110].into());
    }
}
