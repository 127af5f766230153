//! Every `@rx`, `@pm` and `@pmFromFile` of Debian's CRS 3.3.4 compiles, most `@rx` on the
//! linear-time `regex` tier, and a few CRS rules catch known attacks (canaries proving the
//! operators really work on CRS patterns). Needs `apt-get install modsecurity-crs`.

mod operator_support;

use std::collections::BTreeMap;

use inspector_engine::operator::{OpContext, Tier};
use operator_support::{compile_in, crs_dir, crs_operators, eval};

#[test]
fn every_crs_pattern_operator_compiles() {
    let dir = crs_dir();
    let ops = crs_operators();
    let mut tiers: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut fancy = Vec::new();
    for op in ops.iter().filter(|o| matches!(o.name.as_str(), "rx" | "pm" | "pmFromFile" | "pmf")) {
        match compile_in(&op.name, &op.param, &dir) {
            Ok(compiled) => {
                let key = match compiled.tier() {
                    Some(Tier::Fancy) => {
                        fancy.push(op.id.clone());
                        "rx: fancy-regex".to_owned()
                    }
                    Some(t) => format!("rx: {t:?}"),
                    None => op.name.clone(),
                };
                *tiers.entry(key).or_default() += 1;
            }
            Err(e) => failures.push(format!("{} {} @{}: {e}", op.file, op.id, op.name)),
        }
    }
    println!("CRS operators by tier: {tiers:?}");
    println!("fancy-regex rules: {fancy:?}");
    assert!(failures.is_empty(), "{} operators failed to compile:\n{}", failures.len(), failures.join("\n"));
    let regex = tiers.get("rx: Regex").copied().unwrap_or(0);
    let fancy_count = tiers.get("rx: fancy-regex").copied().unwrap_or(0);
    let dynamic = tiers.get("rx: Dynamic").copied().unwrap_or(0);
    assert!(regex + fancy_count + dynamic >= 265, "expected about 280 @rx in CRS 3.3.4, got {tiers:?}");
    assert!(regex * 100 >= (regex + fancy_count) * 95, "regex tier should serve >= 95% of static @rx: {tiers:?}");
    assert_eq!(tiers.get("pmFromFile").copied().unwrap_or(0), 19, "{tiers:?}");
}

#[test]
fn every_operator_crs_uses_is_known() {
    // @rbl and @geoLookup compile to operators that find nothing: the inspector makes no DNS
    // queries and loads no GeoIP database (ModSecurity's result when those lookups fail).
    let never_match = ["rbl", "geoLookup"];
    for op in crs_operators() {
        let compiled = compile_in(&op.name, &op.param, &crs_dir())
            .unwrap_or_else(|e| panic!("{} {} @{} {:?}: {e}", op.file, op.id, op.name, op.param));
        if never_match.contains(&op.name.as_str()) {
            let expand = |s: &str| s.to_owned();
            let mut ctx = OpContext { expand: &expand, captures: None };
            assert!(!compiled.evaluate(b"1.2.3.4", &mut ctx), "@{} must not match", op.name);
        }
    }
}

#[test]
fn crs_data_files_load_with_phrases() {
    let dir = crs_dir();
    for entry in std::fs::read_dir(&dir).expect("CRS dir").filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".data") {
            continue;
        }
        let op = compile_in("pmFromFile", &name, &dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let prefilter = op.prefilter().unwrap_or_else(|| panic!("{name}: no phrases"));
        assert!(!prefilter.literals.is_empty(), "{name}");
        assert!(prefilter.literals.iter().all(|l| !l.starts_with(b"#")), "{name}: comment kept as a phrase");
    }
}

/// (rule id, input, expected match)
const CANARIES: &[(&str, &str, bool)] = &[
    ("942100", "1' or '1'='1", true),
    ("942100", "hello world", false),
    ("941100", "<script>alert(1)</script>", true),
    ("941100", "just text", false),
    ("941110", "<script>alert(1)</script>", true),
    ("930100", "/%2e%2e/%2e%2e/etc/passwd", true),
    ("930110", "../../etc/passwd", true),
    ("930110", "/index.html", false),
    ("930120", "etc/passwd", true),
    ("932160", "/bin/bash -c id", true),
    ("920170", "GET", true),
    ("920170", "POST", false),
    ("942130", "1' or 1=1", true),
    ("933160", "system('id');", true),
];

#[test]
fn crs_canaries() {
    let dir = crs_dir();
    let ops = crs_operators();
    for &(id, input, expected) in CANARIES {
        let op = ops.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("rule {id} not in CRS"));
        let compiled = compile_in(&op.name, &op.param, &dir).unwrap_or_else(|e| panic!("{id}: {e}"));
        let (matched, caps) = eval(compiled.as_ref(), input.as_bytes());
        assert_eq!(matched, expected, "rule {id} @{} on {input:?} (captures {caps:?})", op.name);
        if id == "942100" && expected {
            assert!(!caps.first().is_some_and(Vec::is_empty), "detectSQLi captures the fingerprint: {caps:?}");
        }
    }
}
