//! go-ftw tests as differential input (`differential --ftw PATH`): every stage becomes a
//! request that both peers see, and its rule-id expectations (`log.expect_ids`,
//! `no_expect_ids`, `log_contains: id "N"`) are judged on each peer's matched rule ids.
//! That answers "does our engine pass at least as many of these tests as ModSecurity?" for
//! any suite, such as a checkout of the CRS regression tests.
//!
//! Statuses and regexes over log text are not judged (the peers log in different formats,
//! and the differential runs in detection mode). A stage that cannot be sent as a plain
//! request (`encoded_request`, no header autocompletion, a version other than HTTP/1.0 or
//! 1.1, a binary body) is left out with the reason.

use std::collections::{BTreeMap, HashMap};

use super::Named;
use super::wire::Input;
use crate::compare::{Case, Side};
use crate::corpus::Request;
use crate::expect::Expectations;

/// Rule ids that must (`true`) or must not (`false`) match, by request id.
pub type RuleChecks = HashMap<String, Vec<(u64, bool)>>;

/// The requests of a suite, their checks, and what was left out.
#[derive(Debug, Default)]
pub struct Suite {
    /// One request per stage.
    pub requests: Vec<Request>,
    /// The stages' rule-id checks.
    pub checks: RuleChecks,
    /// `name: why` for every test or stage left out.
    pub left_out: Vec<String>,
}

/// Turns loaded tests into requests, named `TEST` (or `TEST/N` for stage N of several).
pub fn suite(tests: &[Named]) -> Suite {
    let mut out = Suite::default();
    // Names are not unique across files (a v1 title may repeat another file's name): the
    // second `N` becomes `N#2`, so each request keeps its own checks.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for test in tests {
        let count = seen.entry(test.name.as_str()).or_default();
        *count += 1;
        let name = if *count == 1 { test.name.clone() } else { format!("{}#{count}", test.name) };
        if !test.enabled {
            out.left_out.push(format!("{name}: meta.enabled is false"));
            continue;
        }
        let stages: Vec<_> = test.test.stages.iter().filter_map(|s| s.stage()).collect();
        for (n, stage) in stages.iter().enumerate() {
            let id = if stages.len() == 1 { name.clone() } else { format!("{name}/{}", n + 1) };
            let request = match request(&id, &stage.input) {
                Ok(r) => r,
                Err(why) => {
                    out.left_out.push(format!("{id}: {why}"));
                    continue;
                }
            };
            match stage.output.log_rules() {
                Ok(rules) if !rules.ids.is_empty() => {
                    out.checks.insert(id, rules.ids);
                }
                Ok(_) => {}
                Err(e) => out.left_out.push(format!("{id}: {e}")),
            }
            out.requests.push(request);
        }
    }
    out
}

fn request(id: &str, input: &Input) -> Result<Request, String> {
    if let Some(why) = input.unsupported() {
        return Err(why);
    }
    if input.encoded_request.is_some() {
        return Err("encoded_request (raw bytes; `attack-tests ftw` sends those)".into());
    }
    if input.autocomplete_headers == Some(false) {
        return Err("autocomplete_headers is false (exact framing; `attack-tests ftw` sends those)".into());
    }
    let version = match input.version.as_deref() {
        None | Some("HTTP/1.1") => None,
        Some("HTTP/1.0") => Some("1.0".to_string()),
        Some(other) => return Err(format!("version {other:?} (the differential speaks HTTP/1.0 and 1.1)")),
    };
    let body = String::from_utf8(input.body()?).map_err(|_| "encoded_data is not UTF-8 text".to_string())?;
    let headers: BTreeMap<String, String> = input.headers.iter().map(|(k, v)| (k.clone(), v.text())).collect();
    Ok(Request {
        id: id.to_string(),
        method: input.method.clone().unwrap_or_else(|| "GET".into()),
        uri: input.uri.clone().unwrap_or_else(|| "/".into()),
        headers,
        body,
        expect: None,
        bare: true,
        version,
    })
}

/// How many checked stages each peer passes, and every miss (`id: who (expected N !M)`).
pub fn check(cases: &[Case], checks: &RuleChecks) -> Expectations {
    let passes = |side: &Side, rules: &[(u64, bool)]| rules.iter().all(|&(id, must)| side.ids.contains(&id) == must);
    Expectations::tally(cases, |case| {
        let rules = checks.get(&case.id)?;
        let wanted: Vec<String> =
            rules.iter().map(|(id, must)| format!("{}{id}", if *must { "" } else { "!" })).collect();
        Some((passes(&case.modsec, rules), passes(&case.ours, rules), wanted.join(" ")))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::compare::Verdict;

    /// The tests of `yaml`, loaded from a file of their own (`name`: one per test, as tests
    /// run in parallel).
    fn named(name: &str, yaml: &str) -> Vec<Named> {
        let dir = std::env::temp_dir().join(format!("ftw-diff-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("t.yaml");
        std::fs::write(&file, yaml).expect("write");
        let tests = super::super::load(&file).expect("valid");
        let _ = std::fs::remove_dir_all(&dir);
        tests
    }

    const SUITE: &str = r#"
rule_id: 942100
tests:
  - test_id: 1
    stages:
      - input: {method: POST, uri: "/", headers: {Host: localhost}, data: "a=1' or '1'='1"}
        output: {log: {expect_ids: [942100]}}
  - test_id: 2
    stages:
      - input: {uri: "/?q=hello", headers: {Host: localhost}}
        output: {no_log_contains: 'id "942100"'}
  - test_id: 3
    stages:
      - input: {encoded_request: "R0VUIC8gSFRUUC8xLjENCg0K"}
        output: {status: 400}
  - test_id: 4
    stages:
      - input: {uri: "/", version: "HTTP/1.0"}
        output: {log: {expect_ids: [920280]}}
  - test_id: 5
    stages:
      - input: {uri: "/", version: "HTTP/0.9"}
        output: {status: 400}
"#;

    #[test]
    fn stages_become_bare_requests_with_their_rule_checks() {
        let suite = suite(&named("bare", SUITE));
        let ids: Vec<&str> = suite.requests.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["942100-1", "942100-2", "942100-4"]);
        assert_eq!(suite.requests[2].http_version(), "1.0");
        assert_eq!(suite.requests[0].http_version(), "1.1");
        assert!(suite.requests.iter().all(|r| r.bare));
        let wire = suite.requests[1].wire_headers(&[]);
        assert_eq!(wire, [("Host".to_string(), "localhost".to_string())], "no default headers added");
        assert_eq!(suite.checks["942100-1"], [(942100, true)]);
        assert_eq!(suite.checks["942100-2"], [(942100, false)]);
        assert_eq!(suite.left_out.len(), 2);
        assert!(suite.left_out[0].starts_with("942100-3: encoded_request"), "{:?}", suite.left_out);
        assert!(suite.left_out[1].starts_with("942100-5: version \"HTTP/0.9\""), "{:?}", suite.left_out);
    }

    #[test]
    fn a_repeated_name_gets_a_number() {
        let twice = format!("{SUITE}  - test_id: 1\n    stages:\n      - input: {{uri: /again}}\n");
        let suite = suite(&named("twice", &twice));
        let ids: Vec<&str> = suite.requests.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["942100-1", "942100-2", "942100-4", "942100-1#2"]);
        assert_eq!(suite.checks["942100-1"], [(942100, true)], "the first keeps its checks");
    }

    #[test]
    fn each_peer_is_judged_on_its_own_ids() {
        let suite = suite(&named("judged", SUITE));
        let side = |ids: &[u64]| {
            let ids: BTreeSet<u64> = ids.iter().copied().collect();
            Side::new(&ids, Verdict::from_ids(&ids))
        };
        let cases = vec![
            Case { id: "942100-1".into(), modsec: side(&[942100]), ours: side(&[]) },
            Case { id: "942100-2".into(), modsec: side(&[942100]), ours: side(&[]) },
        ];
        let tally = check(&cases, &suite.checks);
        assert_eq!((tally.checked, tally.modsec_met, tally.ours_met), (2, 1, 1));
        assert_eq!(tally.misses, ["942100-1: ours (expected 942100)", "942100-2: modsec (expected !942100)"]);
    }
}
