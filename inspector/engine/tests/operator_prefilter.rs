//! The `@rx` prefilter never rejects an input the regex matches: proptest generates inputs
//! from every CRS pattern (anchors and word boundaries dropped from the generator; only
//! inputs the real regex matches are checked), surrounded by random bytes.

mod operator_support;

use inspector_engine::operator::{Operator, Rx, Tier, translate_pcre};
use operator_support::crs_operators;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};

/// `hir` without look-around assertions (proptest cannot generate them).
fn without_looks(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(without_looks).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(without_looks).collect()),
        HirKind::Repetition(r) => {
            // Cap unbounded repetitions so generated inputs stay small.
            let max = Some(r.max.unwrap_or(r.min + 3).min(r.min + 3));
            Hir::repetition(Repetition { min: r.min, max, greedy: r.greedy, sub: Box::new(without_looks(&r.sub)) })
        }
        HirKind::Capture(c) => {
            Hir::capture(Capture { index: c.index, name: c.name.clone(), sub: Box::new(without_looks(&c.sub)) })
        }
        _ => hir.clone(),
    }
}

fn generator(pattern: &str) -> Option<BoxedStrategy<Vec<u8>>> {
    let translated = format!("(?sm){}", translate_pcre(pattern));
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(&translated).ok()?;
    let inner = proptest::string::bytes_regex_parsed(&without_looks(&hir)).ok()?;
    let noise = || proptest::collection::vec(any::<u8>(), 0..8);
    Some((noise(), inner, noise()).prop_map(|(a, m, b)| [a, m, b].concat()).boxed())
}

#[test]
fn prefilter_never_rejects_a_match_on_crs_patterns() {
    let mut with_prefilter = 0;
    let checked_matches = std::cell::Cell::new(0u64);
    let mut patterns = 0;
    for op in crs_operators().into_iter().filter(|o| o.name == "rx") {
        let Ok(rx) = Rx::new(&op.param) else { continue };
        if rx.engine_tier() != Tier::Regex {
            continue;
        }
        patterns += 1;
        let Some(prefilter) = rx.prefilter() else { continue };
        with_prefilter += 1;
        assert!(prefilter.literals.iter().all(|l| !l.is_empty()), "{}: empty literal", op.id);
        let Some(strategy) = generator(&op.param) else { continue };
        let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
        let result = runner.run(&strategy, |input| {
            if rx.is_match(&input) {
                checked_matches.set(checked_matches.get() + 1);
                prop_assert!(
                    prefilter.may_match(&input),
                    "rule {}: prefilter {:?} rejects matching input {:?}",
                    op.id,
                    prefilter.literals.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect::<Vec<_>>(),
                    String::from_utf8_lossy(&input)
                );
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    println!(
        "{with_prefilter}/{patterns} regex-tier CRS patterns have a prefilter; {} matching inputs checked",
        checked_matches.get()
    );
    assert!(with_prefilter * 2 >= patterns, "most CRS patterns should get a prefilter");
    assert!(checked_matches.get() > 2000, "the generator should produce matching inputs");
}

#[test]
fn prefilter_examples() {
    let literals = |p: &str| {
        let mut l: Vec<String> = Rx::new(p)
            .expect("compile")
            .prefilter()
            .map(|f| f.literals.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect())
            .unwrap_or_default();
        l.sort();
        l
    };
    assert_eq!(literals("(?i)union.*select"), ["select"]);
    assert_eq!(literals("(?:foo|Bar)baz"), ["barbaz", "foobaz"]);
    assert_eq!(literals(r"(?i)<script[^>]*>"), ["<script"]);
    assert!(literals(r"\d+").is_empty(), "nothing required");
    assert!(literals("a|.*").is_empty());
    assert!(Rx::new("(?<=a)b").expect("fancy").prefilter().is_none(), "fancy tier has no prefilter");
}

#[test]
fn pm_prefilter_is_its_phrases() {
    let op = operator_support::compile("pm", "Foo bar").expect("pm");
    let pf = op.prefilter().expect("prefilter");
    assert!(pf.case_insensitive);
    assert_eq!(pf.literals, vec![b"foo".to_vec(), b"bar".to_vec()]);
    assert!(pf.may_match(b"xxBARxx"));
    let _: &dyn Operator = op.as_ref();
}
