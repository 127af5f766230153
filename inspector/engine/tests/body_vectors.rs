//! The JSON and multipart processors against vectors that libmodsecurity 3.0.9 itself
//! produced (tests/data/body/vectors.txt): argument names and values, files, every
//! `MULTIPART_*` flag and the exact `REQBODY_ERROR_MSG`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use inspector_engine::body::{json, multipart};
use inspector_engine::values::Values;

/// Variable → sorted `key<TAB>value` lines.
type Dump = BTreeMap<String, Vec<String>>;

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn escape(v: &[u8]) -> String {
    v.iter()
        .map(|&c| match c {
            b'\\' => "\\\\".to_string(),
            0x20..=0x7e => (c as char).to_string(),
            _ => format!("\\x{c:02x}"),
        })
        .collect()
}

fn add(dump: &mut Dump, var: &str, line: String) {
    dump.entry(var.to_string()).or_default().push(line);
}

fn add_values(dump: &mut Dump, var: &str, values: &Values) {
    for (k, v) in values.iter() {
        add(dump, var, format!("{}\t{}", escape(k), escape(v)));
    }
}

/// What our processors give, in the vectors' shape (mirrors `tx/body.rs`).
fn ours(content_type: &str, body: &[u8]) -> Dump {
    let mut dump = Dump::new();
    if content_type.starts_with("application/json") {
        let mut args = Values::new();
        let result = json::parse(body, json::DEFAULT_DEPTH_LIMIT, &mut args);
        add_values(&mut dump, "ARGS", &args);
        match result {
            Err(e) if !body.is_empty() => {
                add(&mut dump, "REQBODY_ERROR", "1".into());
                add(&mut dump, "REQBODY_ERROR_MSG", escape(format!("JSON parsing error: {e}").as_bytes()));
            }
            _ => add(&mut dump, "REQBODY_ERROR", "0".into()),
        }
        return dump;
    }
    let m = multipart::parse(content_type.as_bytes(), body);
    for (name, value) in &m.fields {
        for var in ["ARGS", "ARGS_POST"] {
            add(&mut dump, var, format!("{}\t{}", escape(name), escape(value)));
        }
    }
    let mut combined = 0;
    for f in &m.files {
        add(&mut dump, "FILES", format!("{}\t{}", escape(&f.name), escape(&f.filename)));
        add(&mut dump, "FILES_NAMES", format!("{}\t{}", escape(&f.name), escape(&f.name)));
        add(&mut dump, "FILES_SIZES", format!("{}\t{}", escape(&f.name), f.size));
        combined += f.size;
    }
    if !m.files.is_empty() {
        add(&mut dump, "FILES_COMBINED_SIZE", combined.to_string());
    }
    add_values(&mut dump, "MULTIPART_NAME", &m.names);
    add_values(&mut dump, "MULTIPART_FILENAME", &m.filenames);
    add_values(&mut dump, "MULTIPART_PART_HEADERS", &m.part_headers);
    match &m.error {
        Some(e) => {
            add(&mut dump, "REQBODY_ERROR", "1".into());
            add(&mut dump, "REQBODY_ERROR_MSG", escape(format!("Multipart parsing error: {e}").as_bytes()));
        }
        None => add(&mut dump, "REQBODY_ERROR", "0".into()),
    }
    for (name, value) in m.flags.variables() {
        add(&mut dump, name, value);
    }
    dump
}

/// Vectors we knowingly do not reproduce, by a prefix of their escaped body, and why.
const DEVIATIONS: &[(&str, &str)] = &[
    (
        "--XX\\x0aContent-Disposition: form-data; name=\"f1\"\\x0a\\x0ahello world\\x0d",
        "mixed LF/CRLF: libmodsecurity drops a later part's MULTIPART_PART_HEADERS; the rule is unknown",
    ),
    (
        "--XX\\x0d\\x0aContent-Disposition: form-data; filename=\"f\"",
        "libmodsecurity records MULTIPART_FILENAME twice for a part without a name; we record it once",
    ),
];

#[test]
fn json_and_multipart_match_libmodsecurity_vectors() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/body/vectors.txt")).unwrap();
    let mut cases: Vec<(String, Vec<u8>, Dump)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut fields = line.splitn(3, '\t');
        let (var, a, b) = (fields.next().unwrap(), fields.next().unwrap_or_default(), fields.next());
        if var == "CASE" {
            cases.push((a.to_string(), unescape(b.unwrap()), Dump::new()));
            continue;
        }
        let expected = &mut cases.last_mut().unwrap().2;
        add(expected, var, b.map_or_else(|| a.to_string(), |b| format!("{a}\t{b}")));
    }
    assert!(cases.len() > 100, "the vectors file looks truncated");
    let mut failures = Vec::new();
    for (content_type, body, mut expected) in cases {
        if let Some((_, why)) = DEVIATIONS.iter().find(|(prefix, _)| escape(&body).starts_with(prefix)) {
            println!("skipped (known deviation): {why}");
            continue;
        }
        expected.values_mut().for_each(|v| v.sort());
        let mut got = ours(&content_type, &body);
        got.values_mut().for_each(|v| v.sort());
        if got != expected {
            let shown = escape(&body[..body.len().min(160)]);
            let vars: std::collections::BTreeSet<&String> = expected.keys().chain(got.keys()).collect();
            let diff: Vec<String> = vars
                .into_iter()
                .filter(|v| expected.get(*v) != got.get(*v))
                .map(|v| format!("  {v}: expected {:?}, got {:?}", expected.get(v), got.get(v)))
                .collect();
            failures.push(format!("{content_type} | {shown}\n{}", diff.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
