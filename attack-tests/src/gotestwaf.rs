//! Optional extra input: a gotestwaf `testcases/` checkout (payload lists per YAML file).
//! Every payload goes through the file's encoders that we implement (Plain, URL,
//! Base64Flat; Plain when none apply) into three placeholders: a URL parameter, a request
//! header and an urlencoded form body. Nothing of it is copied into the repo.
//!
//! Files that are not strict YAML (gotestwaf's parser is lenient) are skipped and reported.
//! Payloads over 4 KiB only go into the body; over 32 KiB they are skipped (nginx header
//! buffers and ModSecurity's body limit would answer instead of the rules).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::corpus::Request;

#[derive(Debug, Deserialize)]
struct TestCase {
    #[serde(default)]
    payload: Vec<Scalar>,
    #[serde(default)]
    encoder: Vec<Scalar>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Other(serde::de::IgnoredAny),
}

impl Scalar {
    fn text(&self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s.clone()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Other(_) => None,
        }
    }
}

/// Builds requests from every `*.yml` under `dir` (recursively); returns them and the files
/// it had to skip, with the reason.
pub fn load(dir: &Path) -> (Vec<Request>, Vec<String>) {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    for file in files {
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_saphyr::from_str::<TestCase>(&t).map_err(|e| e.to_string()));
        let case = match parsed {
            Ok(c) => c,
            Err(e) => {
                skipped.push(format!("{}: {}", file.display(), e.lines().next().unwrap_or_default()));
                continue;
            }
        };
        let name = |p: Option<&std::ffi::OsStr>| p.map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        // `SET:FILE`: gotestwaf's set (its directory: owasp, false-pos, ...) and file.
        let stem = format!("{}:{}", name(file.parent().and_then(Path::file_name)), name(file.file_stem()));
        let mut encoders: Vec<String> = case
            .encoder
            .iter()
            .filter_map(Scalar::text)
            .filter(|e| matches!(e.as_str(), "Plain" | "URL" | "Base64Flat"))
            .collect();
        if encoders.is_empty() {
            encoders.push("Plain".into());
        }
        for (p, payload) in case.payload.iter().filter_map(Scalar::text).enumerate() {
            for enc in &encoders {
                out.extend(requests(&format!("gtw-{stem}-{p}-{enc}"), &encode(enc, &payload)));
            }
        }
    }
    (out, skipped)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(path);
        }
    }
}

fn encode(encoder: &str, payload: &str) -> String {
    match encoder {
        "URL" => percent(payload),
        "Base64Flat" => base64(payload.as_bytes()),
        _ => payload.to_string(),
    }
}

/// The three placeholders for one encoded payload.
fn requests(id: &str, value: &str) -> Vec<Request> {
    let base = |suffix: &str, method: &str, uri: String| Request {
        id: format!("{id}-{suffix}"),
        method: method.into(),
        uri,
        headers: BTreeMap::new(),
        body: String::new(),
        expect: None,
        bare: false,
        version: None,
    };
    let mut out = Vec::new();
    if value.len() > 32 * 1024 {
        return out;
    }
    if value.len() <= 4096 {
        out.push(base("param", "GET", format!("/?gtw={}", percent(value))));
        let mut header = base("header", "GET", "/".into());
        let printable: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        header.headers.insert("X-Gtw-Payload".into(), printable.trim().to_string());
        out.push(header);
    }
    let mut form = base("form", "POST", "/".into());
    form.headers.insert("Content-Type".into(), "application/x-www-form-urlencoded".into());
    form.body = format!("gtw={}", percent(value));
    out.push(form);
    out
}

/// Percent-encodes every byte except RFC 3986 unreserved characters.
pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Standard base64 without padding (gotestwaf's Base64Flat).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders_match_their_definitions() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE");
        assert_eq!(percent("a b'/"), "a%20b%27%2F");
        assert_eq!(requests("x", "1' or 1=1").len(), 3);
    }
}
