use super::{CrsPaths, render};
use crate::api::{AllowRule, EnforcementMode, Exclusion, HeaderMatch, SecurityPolicySpec};

fn spec() -> SecurityPolicySpec {
    SecurityPolicySpec::default()
}

#[test]
fn mode_paranoia_and_limits_become_directives() {
    let mut s = spec();
    s.mode = EnforcementMode::Detect;
    s.crs.paranoia_level = 3;
    s.crs.inbound_anomaly_threshold = 10;
    s.response_inspection = true;
    let text = render("web", &s, &CrsPaths::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(text.contains("SecRuleEngine DetectionOnly\n"));
    assert!(text.contains("setvar:tx.paranoia_level=3,setvar:tx.inbound_anomaly_score_threshold=10"));
    assert!(text.contains("SecResponseBodyAccess On\n"));
    let setup = text.find("Include /etc/modsecurity/crs/crs-setup.conf").unwrap_or(usize::MAX);
    let ours = text.find("id:9800001").unwrap_or(0);
    let rules = text.find("Include /usr/share/modsecurity-crs/rules/*.conf").unwrap_or(0);
    assert!(setup < ours && ours < rules, "setup, then our settings, then the rules:\n{text}");
}

#[test]
fn exclusions_render_unscoped_and_scoped() {
    let mut s = spec();
    s.exclusions = vec![
        Exclusion { rule_ids: vec![942100, 942200], ..Exclusion::default() },
        Exclusion { tags: vec!["attack-xss".into()], targets: vec!["ARGS:comment".into()], ..Exclusion::default() },
        Exclusion {
            rule_ids: vec![942100],
            targets: vec!["ARGS:password".into()],
            paths: vec!["/login".into()],
            methods: vec!["POST".into()],
            ..Exclusion::default()
        },
    ];
    let text = render("web", &s, &CrsPaths::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(text.contains("SecRuleRemoveById 942100 942200\n"), "{text}");
    assert!(text.contains("SecRuleUpdateTargetByTag \"attack-xss\" \"!ARGS:comment\"\n"), "{text}");
    assert!(text.contains("SecRule REQUEST_FILENAME \"@rx ^/login\" \"id:9802002,phase:1,pass,nolog,t:none,chain\""));
    assert!(text.contains(
        "SecRule REQUEST_METHOD \"@rx ^(?:POST)$\" \"t:none,ctl:ruleRemoveTargetById=942100;ARGS:password\""
    ));
}

#[test]
fn allow_list_renders_an_or_of_ands_and_a_final_deny() {
    let mut s = spec();
    s.allow_list = Some(vec![AllowRule {
        methods: vec!["GET".into()],
        paths: vec!["/api/".into(), "/health".into()],
        hosts: vec!["Shop.example".into()],
        headers: vec![HeaderMatch { name: "X-Tenant".into(), value: Some("a.b".into()) }],
    }]);
    let text = render("web", &s, &CrsPaths::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(text.contains(r#"REQUEST_FILENAME "!@rx ^(?:/api/|/health$)""#), "{text}");
    assert!(text.contains(r#"SERVER_NAME "!@rx ^(?:shop\.example)$""#), "{text}");
    assert!(text.contains(r#"REQUEST_HEADERS:X-Tenant "!@rx ^a\.b$""#), "{text}");
    assert!(text.contains("setvar:tx.chainwall_allowed=0"), "{text}");
    assert!(text.contains("SecRule TX:chainwall_allowed \"@eq 0\""), "{text}");
}

#[test]
fn strings_that_could_inject_directives_are_errors_naming_the_field() {
    let mut s = spec();
    s.crs.paranoia_level = 7;
    s.exclusions = vec![
        Exclusion { rule_ids: vec![1], paths: vec!["/a\" \"id:1,deny".into()], ..Exclusion::default() },
        Exclusion { tags: vec!["x'y".into()], ..Exclusion::default() },
        Exclusion::default(),
    ];
    s.allow_list = Some(vec![AllowRule {
        headers: vec![HeaderMatch { name: "Bad Name".into(), value: None }],
        ..AllowRule::default()
    }]);
    let errors = render("web", &s, &CrsPaths::default()).expect_err("invalid");
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    assert!(has("spec.crs.paranoiaLevel: 7"), "{errors:?}");
    assert!(has("spec.exclusions[0].paths[0]"), "{errors:?}");
    assert!(has("spec.exclusions[1].tags[0]"), "{errors:?}");
    assert!(has("spec.exclusions[2]: names neither ruleIds nor tags"), "{errors:?}");
    assert!(has("spec.allowList[0].headers[0].name"), "{errors:?}");
}
