//! The request corpus: YAML files in a go-ftw-like shape, one request per entry.
//!
//! ```yaml
//! requests:
//!   - id: sqli-url-001
//!     method: GET
//!     uri: /item?id=1%27%20or%20%271%27%3D%271   # raw request target, sent as is
//!     headers: {Content-Type: application/x-www-form-urlencoded}
//!     body: "a=b"
//!     expect: {blocked: true, rules: [942100]}
//! ```
//!
//! The harness adds `Host`, `User-Agent`, `Accept` and `Content-Length` when a request does
//! not set them (see [`Request::wire_headers`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// One corpus file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusFile {
    /// The requests, in order.
    pub requests: Vec<Request>,
}

/// One request of the corpus.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Unique id, `family-placement-nnn`.
    pub id: String,
    /// HTTP method.
    #[serde(default = "default_method")]
    pub method: String,
    /// Raw request target, sent byte for byte.
    pub uri: String,
    /// Request headers (the harness adds the usual ones when absent).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body.
    #[serde(default)]
    pub body: String,
    /// What CRS is expected to do with it (informational: the comparison is between peers).
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Sent with exactly its own headers, without the usual defaults (go-ftw tests may leave
    /// `Host` or `User-Agent` out on purpose). Not part of the YAML format.
    #[serde(skip)]
    pub bare: bool,
    /// The request line's HTTP version when not 1.1 (`1.0`, from go-ftw tests). Not part of
    /// the YAML format.
    #[serde(skip)]
    pub version: Option<String>,
}

/// The expected outcome of a request.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Whether the request should be blocked (anomaly score over the threshold).
    pub blocked: bool,
    /// Rule ids expected among the matches.
    #[serde(default)]
    pub rules: Vec<u64>,
}

fn default_method() -> String {
    "GET".into()
}

/// The default `Host`: a name, not an IP (a numeric Host costs 920350 at PL1).
pub const DEFAULT_HOST: &str = "shop.example";
/// The default `User-Agent`: an ordinary browser.
pub const DEFAULT_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

impl Request {
    /// The request line's HTTP version (`1.1` unless set).
    pub fn http_version(&self) -> &str {
        self.version.as_deref().unwrap_or("1.1")
    }

    /// The headers as sent on the wire, in order: the request's own headers, then the
    /// defaults it lacks, then `extra` (the harness's correlation header).
    pub fn wire_headers(&self, extra: &[(&str, String)]) -> Vec<(String, String)> {
        let has = |name: &str| self.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
        let mut out = Vec::new();
        let defaults = [("Host", DEFAULT_HOST), ("User-Agent", DEFAULT_UA), ("Accept", "*/*")];
        for (name, value) in defaults.into_iter().filter(|(name, _)| !self.bare && !has(name)) {
            out.push((name.to_string(), value.to_string()));
        }
        out.extend(self.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        let wants_length = !self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT" | "PATCH");
        if wants_length && !has("content-length") && !has("transfer-encoding") {
            out.push(("Content-Length".to_string(), self.body.len().to_string()));
        }
        out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        out
    }
}

/// Loads every `*.yaml` file of `dir` (sorted by name); ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Request>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut all: Vec<Request> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        let parsed: CorpusFile =
            serde_saphyr::from_str(&text).map_err(|e| Error::Corpus(format!("{}: {e}", file.display())))?;
        all.extend(parsed.requests);
    }
    let mut seen = std::collections::HashSet::new();
    for r in &all {
        if !seen.insert(r.id.as_str()) {
            return Err(Error::Corpus(format!("duplicate request id {}", r.id)));
        }
        if r.uri.is_empty() || r.uri.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            return Err(Error::Corpus(format!("{}: the uri must be a raw target without spaces", r.id)));
        }
    }
    Ok(all)
}
