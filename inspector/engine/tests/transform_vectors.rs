//! Table-driven vectors: `tests/data/transform/vectors.tsv`, one `name<TAB>input<TAB>expected`
//! a line, bytes escaped as `\\` and `\xHH`. Every expected value was produced by
//! libmodsecurity 3.0.9 itself (Debian's `libmodsecurity3` 3.0.9-1+deb12u2), running the
//! transformation on the input; see `tests/data/transform/README.md`.
//!
//! `TRANSFORM_VECTORS=/path/to/file.tsv` runs another file of the same format (used for
//! differential fuzzing against the library).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use inspector_engine::transform::{REGISTRY, lookup};

fn unescape(field: &str) -> Vec<u8> {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            out.push(u8::from_str_radix(&field[i + 2..i + 4], 16).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn escape(b: &[u8]) -> String {
    b.iter()
        .map(|&c| match c {
            b'\\' => "\\\\".to_string(),
            0x20..=0x7e => char::from(c).to_string(),
            _ => format!("\\x{c:02x}"),
        })
        .collect()
}

/// One key per transformation: the aliases `normalisePath*` / `normalizePath*` share theirs.
fn canonical(name: &str) -> String {
    name.to_ascii_lowercase().replace("normalise", "normalize")
}

fn vectors_path() -> PathBuf {
    std::env::var_os("TRANSFORM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/transform/vectors.tsv"))
}

#[test]
fn vectors_match_modsecurity() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut per_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{}:{}: want name<TAB>input<TAB>expected", path.display(), n + 1);
        let f = lookup(fields[0]).unwrap_or_else(|| panic!("line {}: unknown transformation {}", n + 1, fields[0]));
        let (input, expected) = (unescape(fields[1]), unescape(fields[2]));
        let got = f(&input);
        if got.as_ref() != expected.as_slice() {
            failures.push(format!(
                "line {}: t:{}({:?}) = {:?}, ModSecurity gives {:?}",
                n + 1,
                fields[0],
                fields[1],
                escape(&got),
                fields[2]
            ));
        }
        *per_name.entry(canonical(fields[0])).or_default() += 1;
    }
    let shown: Vec<_> = failures.iter().take(40).collect();
    assert!(failures.is_empty(), "{} of the vectors differ:\n{:#?}", failures.len(), shown);
    if std::env::var_os("TRANSFORM_VECTORS").is_none() {
        for (name, _) in REGISTRY {
            let count = per_name.get(&canonical(name)).copied().unwrap_or(0);
            assert!(count >= 5, "t:{name} has {count} vectors in {}, want at least 5", path.display());
        }
    }
}
