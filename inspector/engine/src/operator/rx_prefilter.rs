//! Required literals of a regex, for an Aho-Corasick prefilter that skips rules whose
//! pattern cannot match.
//!
//! Walks the `regex-syntax` HIR of the translated pattern and computes, per node, the exact
//! set of strings it matches (when small) and a set of "required" strings, one of which
//! occurs in every match. Everything is lowercased and compared ASCII-case-insensitively,
//! which is sound for case-sensitive patterns too (it only lets a few more inputs through).
//! Patterns that `regex-syntax` cannot parse (look-around, back-references) get no
//! prefilter. Only the property "every matching input contains one of the literals" is
//! promised; `tests/operator_prefilter.rs` checks it on CRS patterns with proptest.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::Prefilter;

/// Most literals a set may hold before it is given up.
const MAX_SET: usize = 64;
/// Literals are cut to this length (a prefix of a required literal is required too).
const MAX_LEN: usize = 32;
/// Largest class turned into a set of one-byte strings.
const MAX_CLASS: usize = 4;

type Set = Vec<Vec<u8>>;

#[derive(Debug, Default)]
struct Info {
    /// Every string the node can match, if few.
    exact: Option<Set>,
    /// One of these occurs in every match (never contains the empty string).
    required: Option<Set>,
}

/// Required literals of `translated` (a pattern from `translate_pcre`, with its flags).
pub(crate) fn required_literals(translated: &str) -> Option<Prefilter> {
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(translated).ok()?;
    let set = analyze(&hir).required?;
    Some(Prefilter { literals: set, case_insensitive: true })
}

fn analyze(hir: &Hir) -> Info {
    let info = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Info { exact: Some(vec![Vec::new()]), required: None },
        HirKind::Literal(lit) => Info { exact: Some(vec![lit.0.to_ascii_lowercase()]), required: None },
        HirKind::Class(class) => Info { exact: class_set(class), required: None },
        HirKind::Capture(cap) => analyze(&cap.sub),
        HirKind::Repetition(rep) => {
            let sub = analyze(&rep.sub);
            let exact = match (rep.min, rep.max, sub.exact.as_ref()) {
                (0, Some(0), _) => Some(vec![Vec::new()]),
                (1, Some(1), Some(e)) => Some(e.clone()),
                _ => None,
            };
            let required = if rep.min >= 1 { best(sub.required, as_required(sub.exact)) } else { None };
            Info { exact, required }
        }
        HirKind::Concat(subs) => concat(subs),
        HirKind::Alternation(subs) => {
            let infos: Vec<Info> = subs.iter().map(analyze).collect();
            let exact = union(infos.iter().map(|i| i.exact.clone()));
            let required = union(infos.into_iter().map(|i| best(i.required, as_required(i.exact))));
            Info { exact, required }
        }
    };
    let required = best(info.required, as_required(info.exact.clone()));
    Info { exact: info.exact, required }
}

fn concat(subs: &[Hir]) -> Info {
    let mut candidates: Vec<Set> = Vec::new();
    let mut whole: Option<Set> = Some(vec![Vec::new()]);
    let mut run: Option<Set> = None;
    for sub in subs {
        let info = analyze(sub);
        whole = match (whole, info.exact.as_ref()) {
            (Some(w), Some(e)) => product(&w, e),
            _ => None,
        };
        match info.exact {
            Some(e) => {
                run = match run.take() {
                    None => Some(e),
                    Some(r) => match product(&r, &e) {
                        Some(p) => Some(p),
                        None => {
                            candidates.extend(as_required(Some(r)));
                            Some(e)
                        }
                    },
                };
            }
            None => {
                candidates.extend(as_required(run.take()));
                candidates.extend(info.required);
            }
        }
    }
    candidates.extend(as_required(run));
    let required = candidates.into_iter().fold(None, |acc, c| best(acc, Some(c)));
    Info { exact: whole, required }
}

fn class_set(class: &Class) -> Option<Set> {
    let mut bytes: Vec<u8> = Vec::new();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                if usize::from(r.end() - r.start()) >= MAX_CLASS * 2 {
                    return None;
                }
                bytes.extend((r.start()..=r.end()).map(|b| b.to_ascii_lowercase()));
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                if end > 0x7F || end - start >= (MAX_CLASS * 2) as u32 {
                    return None;
                }
                bytes.extend((start..=end).filter_map(|b| u8::try_from(b).ok()).map(|b| b.to_ascii_lowercase()));
            }
        }
    }
    bytes.sort_unstable();
    bytes.dedup();
    (bytes.len() <= MAX_CLASS).then(|| bytes.into_iter().map(|b| vec![b]).collect())
}

fn product(a: &Set, b: &Set) -> Option<Set> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    let mut out: Set = a.iter().flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat())).collect();
    out.sort();
    out.dedup();
    if out.iter().any(|s| s.len() > MAX_LEN * 2) { None } else { Some(out) }
}

fn union(sets: impl Iterator<Item = Option<Set>>) -> Option<Set> {
    let mut out: Set = Vec::new();
    for set in sets {
        out.extend(set?);
        if out.len() > MAX_SET * 2 {
            return None;
        }
    }
    out.sort();
    out.dedup();
    (out.len() <= MAX_SET).then_some(out)
}

/// An exact set used as a requirement: valid unless it contains the empty string.
fn as_required(exact: Option<Set>) -> Option<Set> {
    let set = exact?;
    if set.iter().any(Vec::is_empty) {
        return None;
    }
    Some(minimize(set))
}

/// Cuts literals to `MAX_LEN` and drops those containing another one of the set.
fn minimize(set: Set) -> Set {
    let mut set: Set = set
        .into_iter()
        .map(|mut s| {
            s.truncate(MAX_LEN);
            s
        })
        .collect();
    set.sort_by_key(Vec::len);
    set.dedup();
    let mut out: Set = Vec::new();
    for s in set {
        if !out.iter().any(|k| s.windows(k.len()).any(|w| w == k.as_slice())) {
            out.push(s);
        }
    }
    out
}

/// The more selective of two requirements: the one benign text hits less often.
fn best(a: Option<Set>, b: Option<Set>) -> Option<Set> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if hit_rate(&b) < hit_rate(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Roughly how often some literal of `set` starts at a position of benign request text:
/// letters and digits are common, spaces and URL punctuation less so, the rest rare. Only
/// the choice between valid requirements depends on it, never soundness.
pub(super) fn hit_rate(set: &[Vec<u8>]) -> f64 {
    set.iter().map(|literal| literal.iter().map(|&b| byte_rate(b)).product::<f64>()).sum()
}

fn byte_rate(b: u8) -> f64 {
    match b {
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' | b'l' => 0.06,
        b'a'..=b'z' => 0.02,
        b'0'..=b'9' => 0.03,
        b' ' => 0.1,
        b'/' | b'.' | b'-' | b'_' | b'=' | b'&' | b',' | b';' | b':' | b'+' | b'%' => 0.02,
        0x21..=0x7E => 0.004,
        _ => 0.001,
    }
}
