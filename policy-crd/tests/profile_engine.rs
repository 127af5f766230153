//! SecurityPolicies rendered by `profile::render`, loaded by the real engine over Debian's
//! CRS: the mode, paranoia level, exclusions, allow-list and custom rules do what the policy
//! says.
#![allow(clippy::unwrap_used, clippy::field_reassign_with_default)]

use std::path::Path;

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::{FsSource, parse};
use inspector_engine::tx::Connection;
use policy_crd::api::{AllowRule, EnforcementMode, Exclusion, SecurityPolicySpec};
use policy_crd::profile::{CrsPaths, render};

fn load(spec: &SecurityPolicySpec) -> RuleSet {
    assert!(Path::new("/usr/share/modsecurity-crs/rules").is_dir(), "apt-get install modsecurity-crs");
    let text = render("test", spec, &CrsPaths::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profile.conf");
    std::fs::write(&file, &text).unwrap();
    let config = parse(&file, &FsSource).unwrap_or_else(|e| panic!("{e}\n{text}"));
    ruleset::compile(&config, &|p| std::fs::read_to_string(p).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// (status when blocked, logged rule ids)
fn send(rules: &RuleSet, method: &str, target: &str) -> (Option<u16>, Vec<u64>) {
    let conn = Connection { client: "10.0.0.1:1000".parse().unwrap(), server: "10.0.0.2:80".parse().unwrap() };
    let mut tx = rules.transaction(conn, "p".into());
    let headers: [(&[u8], &[u8]); 3] =
        [(b"Host", b"shop.example"), (b"User-Agent", b"Mozilla/5.0"), (b"Accept", b"*/*")];
    let mut stop = tx.request_headers(method.as_bytes(), target.as_bytes(), "1.1", headers);
    if stop.is_none() {
        stop = tx.request_body(b"");
    }
    tx.finish();
    (stop.map(|i| i.status), tx.matched_rules().iter().filter(|m| m.logged).map(|m| m.id).collect())
}

const SQLI: &str = "?id=1%27%20or%20%271%27%3D%271";

#[test]
fn block_and_detect_modes() {
    let block = load(&SecurityPolicySpec::default());
    assert_eq!(send(&block, "GET", &format!("/item{SQLI}")).0, Some(403));
    assert_eq!(send(&block, "GET", "/item?id=42").0, None);
    let detect = load(&SecurityPolicySpec { mode: EnforcementMode::Detect, ..SecurityPolicySpec::default() });
    let (stop, ids) = send(&detect, "GET", &format!("/item{SQLI}"));
    assert_eq!(stop, None);
    assert!(ids.contains(&942100) && ids.contains(&949110), "{ids:?}");
}

#[test]
fn paranoia_level_enables_stricter_rules() {
    let target = "/item?q=a%27b%27c%27d%27e%27f%27g%27h%27i%27j%27k%27l%27m%27n";
    let pl1 = load(&SecurityPolicySpec::default());
    let mut strict = SecurityPolicySpec::default();
    strict.crs.paranoia_level = 2;
    let pl2 = load(&strict);
    assert!(!send(&pl1, "GET", target).1.contains(&942430));
    assert!(send(&pl2, "GET", target).1.contains(&942430), "{:?}", send(&pl2, "GET", target).1);
}

#[test]
fn scoped_exclusions_apply_only_to_their_paths() {
    let mut spec = SecurityPolicySpec::default();
    spec.exclusions =
        vec![Exclusion { tags: vec!["attack-sqli".into()], paths: vec!["/search".into()], ..Exclusion::default() }];
    let rules = load(&spec);
    assert_eq!(send(&rules, "GET", &format!("/search{SQLI}")).0, None);
    assert_eq!(send(&rules, "GET", &format!("/item{SQLI}")).0, Some(403));
}

#[test]
fn allow_list_denies_everything_else() {
    let mut spec = SecurityPolicySpec::default();
    spec.allow_list = Some(vec![AllowRule {
        methods: vec!["GET".into()],
        paths: vec!["/api/".into()],
        hosts: vec!["shop.example".into()],
        ..AllowRule::default()
    }]);
    let rules = load(&spec);
    let denied_by_allow_list = |method, target| {
        let (stop, ids) = send(&rules, method, target);
        stop == Some(403) && ids.iter().any(|id| (9_801_000..9_802_000).contains(id))
    };
    assert_eq!(send(&rules, "GET", "/api/items?page=2"), (None, vec![]));
    assert!(denied_by_allow_list("DELETE", "/api/items"));
    assert!(denied_by_allow_list("GET", "/admin"));
    assert!(denied_by_allow_list("GET", "/api/../admin"), "paths are normalised first");
}

#[test]
fn custom_rules_are_loaded() {
    let mut spec = SecurityPolicySpec::default();
    spec.custom_rules = vec!["SecRule ARGS:debug \"@streq 1\" \"id:10001,phase:1,deny,status:403,log\"".into()];
    let rules = load(&spec);
    let (stop, ids) = send(&rules, "GET", "/x?debug=1");
    assert_eq!((stop, ids.contains(&10001)), (Some(403), true));
}
