//! Rule parts: variables (selectors, regexes, exclusions, counts), operators (negation,
//! default `@rx`), actions (quotes, commas, canonical names) and config directive values.
#![allow(clippy::unwrap_used)]

use inspector_engine::seclang::{
    ActionSpec, Collection as C, DirectiveKind as K, EngineMode, IdRange, LimitAction, Selector, VariableSpec,
    parse_actions, parse_operator, parse_str, parse_variables, phase_number,
};

fn v(count: bool, exclude: bool, collection: C, selector: Option<Selector>) -> VariableSpec {
    VariableSpec { count, exclude, collection, selector }
}
fn key(k: &str) -> Option<Selector> {
    Some(Selector::Key(k.into()))
}
fn re(r: &str) -> Option<Selector> {
    Some(Selector::Regex(r.into()))
}

#[test]
fn variables() {
    let cases: Vec<(&str, Vec<VariableSpec>)> = vec![
        ("ARGS", vec![v(false, false, C::Args, None)]),
        ("args", vec![v(false, false, C::Args, None)]),
        ("ARGS:Foo", vec![v(false, false, C::Args, key("Foo"))]),
        ("TX.foo", vec![v(false, false, C::Tx, key("foo"))]),
        ("&ARGS", vec![v(true, false, C::Args, None)]),
        ("&TX:x|!ARGS:y", vec![v(true, false, C::Tx, key("x")), v(false, true, C::Args, key("y"))]),
        ("ARGS:/^foo/", vec![v(false, false, C::Args, re("^foo"))]),
        (
            "ARGS:/^a{1,2}$/|ARGS_NAMES",
            vec![v(false, false, C::Args, re("^a{1,2}$")), v(false, false, C::ArgsNames, None)],
        ),
        ("ARGS:'/a|b/'|XML", vec![v(false, false, C::Args, re("a|b")), v(false, false, C::Xml, None)]),
        ("ARGS:'a b'", vec![v(false, false, C::Args, key("a b"))]),
        ("!REQUEST_COOKIES:/__utm/", vec![v(false, true, C::RequestCookies, re("__utm"))]),
        ("XML:/*", vec![v(false, false, C::Xml, key("/*"))]),
        ("XML:/a/b/|ARGS", vec![v(false, false, C::Xml, key("/a/b/")), v(false, false, C::Args, None)]),
        ("REQUEST_HEADERS:/x/y", vec![v(false, false, C::RequestHeaders, key("/x/y"))]),
        ("ARGS,ARGS_NAMES", vec![v(false, false, C::Args, None), v(false, false, C::ArgsNames, None)]),
        ("REQUEST_HEADERS:User-Agent", vec![v(false, false, C::RequestHeaders, key("User-Agent"))]),
        ("MULTIPART_SEMICOLON_MISSING", vec![v(false, false, C::MultipartMissingSemicolon, None)]),
        (
            "REQBODY_ERROR|REQUEST_LINE",
            vec![v(false, false, C::ReqbodyError, None), v(false, false, C::RequestLine, None)],
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_variables(input).unwrap(), expected, "{input}");
    }
    for bad in ["", "ARGS|", "NOPE", "ARGS:", "REQUEST_METHOD:x", "ARGS:'a", "ARGS foo", "&"] {
        assert!(parse_variables(bad).is_err(), "{bad:?} should fail");
    }
}

#[test]
fn variable_names_round_trip() {
    for c in C::ALL {
        assert_eq!(C::from_name(c.name()), Some(*c));
        assert_eq!(C::from_name(&c.name().to_lowercase()), Some(*c));
    }
    assert_eq!(v(true, true, C::Tx, re("a")).to_string(), "!&TX:/a/");
}

#[test]
fn operators() {
    let cases = [
        ("@rx ^a b$", false, "rx", "^a b$"),
        ("^a b$", false, "rx", "^a b$"),
        ("!@eq 0", true, "eq", "0"),
        ("!foo", true, "rx", "foo"),
        ("@detectSQLi", false, "detectSQLi", ""),
        ("@pm a  b ", false, "pm", "a  b "),
        ("@ge %{tx.threshold}", false, "ge", "%{tx.threshold}"),
        (r#"@rx a\"b"#, false, "rx", r#"a\"b"#),
        ("", false, "rx", ""),
    ];
    for (input, negated, name, param) in cases {
        let op = parse_operator(input);
        assert_eq!((op.negated, op.name.as_str(), op.param.as_str()), (negated, name, param), "{input}");
    }
}

fn a(name: &str, value: Option<&str>) -> ActionSpec {
    ActionSpec { name: name.into(), value: value.map(String::from) }
}

#[test]
fn actions() {
    let cases: Vec<(&str, Vec<ActionSpec>)> = vec![
        ("id:1,phase:2,deny", vec![a("id", Some("1")), a("phase", Some("2")), a("deny", None)]),
        ("id:'7', PHASE:request", vec![a("id", Some("7")), a("phase", Some("request"))]),
        ("msg:'a, b: c',pass", vec![a("msg", Some("a, b: c")), a("pass", None)]),
        ("setvar:'tx.a=1',setvar:tx.b=+%{tx.c}", vec![a("setvar", Some("tx.a=1")), a("setvar", Some("tx.b=+%{tx.c}"))]),
        ("t:none,t:urlDecodeUni", vec![a("t", Some("none")), a("t", Some("urlDecodeUni"))]),
        (r"msg:'it\'s, here'", vec![a("msg", Some(r"it\'s, here"))]),
        ("logdata:it's", vec![a("logdata", Some("it's"))]),
        ("skipafter:END,multimatch", vec![a("skipAfter", Some("END")), a("multiMatch", None)]),
        ("ctl:ruleRemoveTargetById=1;ARGS:x", vec![a("ctl", Some("ruleRemoveTargetById=1;ARGS:x"))]),
        ("id:1,\n    block,", vec![a("id", Some("1")), a("block", None)]),
        ("", vec![]),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_actions(input).unwrap(), expected, "{input}");
    }
    for bad in ["nope", "id", "id:x", "id:0", "phase:6", "phase:0", "msg:'open", "t"] {
        assert!(parse_actions(bad).is_err(), "{bad:?} should fail");
    }
    assert_eq!(["1", "5", "Request", "response", "LOGGING"].map(phase_number), [1, 5, 2, 4, 5].map(Some));
}

fn kinds(text: &str) -> Vec<K> {
    parse_str("t.conf", text).unwrap().directives.into_iter().map(|d| d.kind).collect()
}

#[test]
fn config_directives() {
    let cases: Vec<(&str, K)> = vec![
        ("SecRuleEngine DetectionOnly", K::RuleEngine(EngineMode::DetectionOnly)),
        ("secruleengine off", K::RuleEngine(EngineMode::Off)),
        ("SecRequestBodyAccess On", K::RequestBodyAccess(true)),
        ("SecResponseBodyAccess Off", K::ResponseBodyAccess(false)),
        ("SecRequestBodyLimit 13107200", K::RequestBodyLimit(13_107_200)),
        ("SecRequestBodyNoFilesLimit 131072", K::RequestBodyNoFilesLimit(131_072)),
        ("SecRequestBodyLimitAction Reject", K::RequestBodyLimitAction(LimitAction::Reject)),
        ("SecResponseBodyLimit 524288", K::ResponseBodyLimit(524_288)),
        ("SecResponseBodyLimitAction ProcessPartial", K::ResponseBodyLimitAction(LimitAction::ProcessPartial)),
        (
            "SecResponseBodyMimeType text/plain \"text/html text/xml\"",
            K::ResponseBodyMimeType(vec!["text/plain".into(), "text/html".into(), "text/xml".into()]),
        ),
        ("SecResponseBodyMimeTypesClear", K::ResponseBodyMimeTypesClear),
        (
            "SecRuleRemoveById 1 5-9 \"10,11\"",
            K::RuleRemoveById(vec![
                IdRange { start: 1, end: 1 },
                IdRange { start: 5, end: 9 },
                IdRange { start: 10, end: 10 },
                IdRange { start: 11, end: 11 },
            ]),
        ),
        ("SecRuleRemoveByTag \"attack-sqli\"", K::RuleRemoveByTag("attack-sqli".into())),
        ("SecRuleRemoveByMsg \"a b\"", K::RuleRemoveByMsg("a b".into())),
        (
            "SecRuleUpdateTargetById 942100 \"!ARGS:foo\"",
            K::RuleUpdateTargetById {
                ids: vec![IdRange { start: 942_100, end: 942_100 }],
                targets: vec![v(false, true, C::Args, key("foo"))],
                replaced: None,
            },
        ),
        (
            "SecRuleUpdateTargetById 1 ARGS_GET REQUEST_URI",
            K::RuleUpdateTargetById {
                ids: vec![IdRange { start: 1, end: 1 }],
                targets: vec![v(false, false, C::ArgsGet, None)],
                replaced: Some(v(false, false, C::RequestUri, None)),
            },
        ),
        (
            "SecRuleUpdateTargetByTag attack-xss !ARGS:x",
            K::RuleUpdateTargetByTag { tag: "attack-xss".into(), targets: vec![v(false, true, C::Args, key("x"))] },
        ),
        (
            "SecRuleUpdateTargetByMsg \"m\" ARGS",
            K::RuleUpdateTargetByMsg { msg: "m".into(), targets: vec![v(false, false, C::Args, None)] },
        ),
        (
            "SecRuleUpdateActionById 3 \"pass,nolog\"",
            K::RuleUpdateActionById { id: 3, actions: vec![a("pass", None), a("nolog", None)] },
        ),
        ("SecArgumentSeparator ;", K::ArgumentSeparator(b';')),
        ("SecCollectionTimeout 600", K::CollectionTimeout(600)),
        ("SecComponentSignature \"OWASP_CRS/3.3.4\"", K::ComponentSignature("OWASP_CRS/3.3.4".into())),
        ("SecMarker \"END-X\"", K::Marker("END-X".into())),
        (
            "SecDefaultAction \"phase:2,log,pass\"",
            K::DefaultAction(vec![a("phase", Some("2")), a("log", None), a("pass", None)]),
        ),
        ("secauditlog /var/log/x", K::Ignored { name: "SecAuditLog", args: vec!["/var/log/x".into()] }),
        ("SecPcreMatchLimit 1000", K::Ignored { name: "SecPcreMatchLimit", args: vec!["1000".into()] }),
    ];
    for (input, expected) in cases {
        assert_eq!(kinds(input), vec![expected], "{input}");
    }
}

#[test]
fn rules_and_actions_directives() {
    let config =
        parse_str("t.conf", "SecAction \"id:9,nolog\"\nSecRule ARGS \"@rx a\" \"id:10,chain\"\nSecRule ARGS b\n")
            .unwrap();
    let lines: Vec<usize> = config.directives.iter().map(|d| d.line).collect();
    assert_eq!(lines, [1, 2, 3]);
    assert_eq!(config.rules().count(), 3);
    assert_eq!(config.ignored().count(), 0);
    match &config.directives[2].kind {
        K::Rule(rule) => {
            assert_eq!(rule.id(), None);
            assert_eq!((rule.operator.name.as_str(), rule.operator.param.as_str()), ("rx", "b"));
            assert!(rule.actions.is_empty());
        }
        other => panic!("{other:?}"),
    }
}
