//! The real thing: Debian's OWASP CRS 3.3.4 behind our base config (tests/data/base.conf)
//! parses without error, every rule has an id, and known rules parse as written.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use inspector_engine::seclang::{Collection, Config, DirectiveKind, FsSource, RuleSpec, Selector, VariableSpec, parse};

const CRS_RULES: &str = "/usr/share/modsecurity-crs/rules";

fn load() -> Config {
    assert!(
        Path::new(CRS_RULES).is_dir() && Path::new("/etc/modsecurity/crs/crs-setup.conf").is_file(),
        "OWASP CRS is missing ({CRS_RULES}): run `apt-get install modsecurity-crs`"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/base.conf");
    match parse(&root, &FsSource) {
        Ok(config) => config,
        Err(e) => panic!("CRS does not parse: {e}"),
    }
}

fn rule(config: &Config, id: u64) -> &RuleSpec {
    let found = config.directives.iter().find_map(|d| match &d.kind {
        DirectiveKind::Rule(rule) if rule.id() == Some(id) => Some(rule),
        _ => None,
    });
    found.unwrap_or_else(|| panic!("rule {id} not found"))
}

fn var(collection: Collection, selector: Option<Selector>) -> VariableSpec {
    VariableSpec { count: false, exclude: false, collection, selector }
}

fn key(k: &str) -> Option<Selector> {
    Some(Selector::Key(k.to_string()))
}

fn action<'a>(rule: &'a RuleSpec, name: &str) -> Vec<&'a str> {
    rule.actions.iter().filter(|a| a.name == name).map(|a| a.value.as_deref().unwrap_or("")).collect()
}

/// Counts `SecRule`/`SecAction` directive lines by a cruder method than the parser.
fn crude_count(config: &Config) -> usize {
    let mut count = 0;
    for file in &config.files {
        let text = std::fs::read_to_string(file).unwrap();
        count += text
            .lines()
            .filter(|l| l.trim_start().starts_with("SecRule ") || l.trim_start().starts_with("SecAction"))
            .count();
    }
    count
}

#[test]
fn crs_parses_with_ids_everywhere() {
    let config = load();
    let rules = config.rules().count();
    let chained =
        config.directives.iter().filter(|d| matches!(&d.kind, DirectiveKind::Rule(r) if r.id().is_none())).count();
    let ignored: Vec<String> = config.ignored().map(|d| format!("{:?} at {}", d.kind, d.location())).collect();
    println!(
        "CRS: {} files, {} directives, {rules} SecRule/SecAction ({chained} chained followers), {} ignored",
        config.files.len(),
        config.directives.len(),
        ignored.len()
    );
    for line in &ignored {
        println!("ignored: {line}");
    }
    assert!(config.files.len() >= 30, "expected the CRS rule files, read {:?}", config.files);
    assert_eq!(rules, crude_count(&config), "parser and line count disagree");
    assert!(rules > 500, "only {rules} rules: CRS incomplete?");

    // Every rule has an id, except the followers of a chain (whose previous rule has `chain`).
    let mut previous_chains = false;
    for d in &config.directives {
        let actions = match &d.kind {
            DirectiveKind::Rule(r) => &r.actions,
            DirectiveKind::Action(a) => a,
            _ => continue,
        };
        let has_id = actions.iter().any(|a| a.name == "id");
        assert_eq!(has_id, !previous_chains, "{}: id presence wrong", d.location());
        previous_chains = actions.iter().any(|a| a.name == "chain");
    }
}

#[test]
fn known_crs_rules_parse_as_written() {
    let config = load();

    let r = rule(&config, 942100);
    let exclude_utm = VariableSpec {
        exclude: true,
        selector: Some(Selector::Regex("__utm".into())),
        ..var(Collection::RequestCookies, None)
    };
    let expected = vec![
        var(Collection::RequestCookies, None),
        exclude_utm,
        var(Collection::RequestCookiesNames, None),
        var(Collection::RequestHeaders, key("User-Agent")),
        var(Collection::RequestHeaders, key("Referer")),
        var(Collection::ArgsNames, None),
        var(Collection::Args, None),
        var(Collection::Xml, key("/*")),
    ];
    assert_eq!(r.variables, expected);
    assert_eq!((r.operator.negated, r.operator.name.as_str(), r.operator.param.as_str()), (false, "detectSQLi", ""));
    assert_eq!(action(r, "t"), ["none", "utf8toUnicode", "urlDecodeUni", "removeNulls"]);
    assert_eq!(action(r, "phase"), ["2"]);
    assert_eq!(action(r, "msg"), ["SQL Injection Attack Detected via libinjection"]);
    assert_eq!(action(r, "logdata"), ["Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}"]);
    assert_eq!(action(r, "tag").len(), 8);
    assert_eq!(action(r, "setvar")[0], "tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}");
    assert_eq!(action(r, "multiMatch"), [""]);
    assert_eq!(action(r, "severity"), ["CRITICAL"]);

    let r = rule(&config, 920350);
    assert_eq!(r.variables, vec![var(Collection::RequestHeaders, key("Host"))]);
    assert_eq!((r.operator.name.as_str(), r.operator.param.as_str()), ("rx", r"^[\d.:]+$"));
    assert_eq!(action(r, "block"), [""]);
    assert_eq!(action(r, "logdata"), ["%{MATCHED_VAR}"]);

    let r = rule(&config, 949110);
    assert_eq!(r.variables, vec![var(Collection::Tx, key("ANOMALY_SCORE"))]);
    assert_eq!((r.operator.name.as_str(), r.operator.param.as_str()), ("ge", "%{tx.inbound_anomaly_score_threshold}"));
    assert_eq!(action(r, "deny"), [""]);
    assert_eq!(action(r, "msg"), ["Inbound Anomaly Score Exceeded (Total Score: %{TX.ANOMALY_SCORE})"]);

    // Our base config: a negated operator and a quoted id.
    let r = rule(&config, 200002);
    assert_eq!((r.operator.negated, r.operator.name.as_str(), r.operator.param.as_str()), (true, "eq", "0"));
    assert_eq!(action(r, "status"), ["400"]);
}
