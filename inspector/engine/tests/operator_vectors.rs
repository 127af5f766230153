//! Table-driven operator vectors from `tests/data/operator/vectors.tsv`: every operator,
//! with empty inputs, non-UTF-8 bytes and macro parameters.

mod operator_support;

use inspector_engine::operator::NAMES;
use operator_support::{compile, eval, unescape};

const VECTORS: &str = include_str!("data/operator/vectors.tsv");

#[test]
fn operator_vectors() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, line) in VECTORS.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(fields.len() >= 4, "vectors.tsv:{}: needs 4 fields: {line:?}", n + 1);
        let (name, param, input, expected) = (fields[0], fields[1], unescape(fields[2]), fields[3] == "1");
        count += 1;
        let op = match compile(name, param) {
            Ok(op) => op,
            Err(e) => {
                failures.push(format!("vectors.tsv:{}: @{name} {param:?}: compile error {e}", n + 1));
                continue;
            }
        };
        let (matched, caps) = eval(op.as_ref(), &input);
        if matched != expected {
            failures.push(format!(
                "vectors.tsv:{}: @{name} {param:?} on {:?}: got {matched}, want {expected}",
                n + 1,
                String::from_utf8_lossy(&input)
            ));
        }
        if let Some(want) = fields.get(4) {
            let want = unescape(want);
            if caps.first() != Some(&want) {
                failures.push(format!("vectors.tsv:{}: @{name} {param:?}: capture 0 {caps:?}, want {want:?}", n + 1));
            }
        }
    }
    println!("{count} operator vectors");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_name_is_covered_by_a_vector() {
    let unsupported = ["rbl", "geoLookup", "inspectFile"];
    let aliases = ["pmf", "pmFromFile", "ipMatchF", "ipMatchFromFile"];
    for name in NAMES.iter().filter(|n| !unsupported.contains(n) && !aliases.contains(n)) {
        let prefix = format!("{name}\t");
        assert!(VECTORS.lines().any(|l| l.starts_with(&prefix)), "no vector for @{name}");
    }
}

#[test]
fn unsupported_and_unknown_operators_are_errors() {
    // @rbl and @geoLookup compile to no-match operators (see operator_crs.rs).
    for (name, needle) in [("inspectFile", "not supported"), ("nope", "unknown")] {
        let err = compile(name, "x").expect_err(name);
        assert!(err.contains(needle), "@{name}: {err}");
    }
}

#[test]
fn bad_parameters_are_load_errors() {
    for (name, param) in [
        ("rx", "(unclosed"),
        ("rx", "a{2,1}"),
        ("validateByteRange", "10-5"),
        ("validateByteRange", "300"),
        ("validateByteRange", "x"),
        ("ipMatch", "300.1.1.1"),
        ("ipMatch", "10.0.0.0/33"),
        ("ipMatch", "1:2:3"),
        ("pm", "a\\qb"),
        ("verifyCC", "(x"),
    ] {
        assert!(compile(name, param).is_err(), "@{name} {param:?} should not compile");
    }
}
