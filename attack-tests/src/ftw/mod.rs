//! go-ftw regression tests (the CRS project's YAML test format), read and run against any
//! URL or the netns lab, with rule ids taken from the inspector's JSON audit log.
//!
//! ```yaml
//! meta: {author: chainwall, enabled: true, name: sqli.yaml}
//! rule_id: 942100                      # v2 format; optional here
//! tests:
//!   - test_id: 1                       # or test_title: "942100-1" (v1 format)
//!     stages:
//!       - input: {method: GET, uri: "/?id=1' or '1'='1", headers: {Host: localhost}}
//!         output: {status: 403, log: {expect_ids: [942100]}}
//!       # v1 format: - stage: {input: {...}, output: {...}}
//! ```
//!
//! - [`wire`]: the request bytes of a stage; [`output`]: the expectations; [`check`]: sending
//!   a test and judging it; [`audit`]: the audit log, tailed; [`cli`]: `attack-tests ftw`;
//!   [`differential`]: the tests as input of `attack-tests differential --ftw`.

pub mod audit;
pub mod check;
pub mod cli;
pub mod differential;
pub mod output;
pub mod wire;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// One go-ftw file.
#[derive(Clone, Debug, Deserialize)]
pub struct TestFile {
    /// `enabled: false` skips every test of the file.
    #[serde(default)]
    pub meta: Meta,
    /// The rule the file tests (v2); names the tests `RULE-ID`.
    #[serde(default)]
    pub rule_id: Option<u64>,
    /// The tests, in order.
    pub tests: Vec<Test>,
}

/// The file's `meta` (author, name, description, tags, ... are not used).
#[derive(Clone, Debug, Deserialize)]
pub struct Meta {
    /// Whether the file's tests run.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for Meta {
    fn default() -> Self {
        Self { enabled: true }
    }
}

fn yes() -> bool {
    true
}

/// One test: stages sent in order on fresh connections.
#[derive(Clone, Debug, Deserialize)]
pub struct Test {
    /// v1 name.
    #[serde(default)]
    pub test_title: Option<String>,
    /// v2 number (within the file's `rule_id`).
    #[serde(default)]
    pub test_id: Option<u64>,
    /// The stages.
    pub stages: Vec<StageEntry>,
}

/// A stage as written: v2 (`input`, `output` directly) or v1 (under `stage:`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageEntry {
    /// v1 wrapper.
    #[serde(default)]
    pub stage: Option<Stage>,
    /// v2 input.
    #[serde(default)]
    pub input: Option<wire::Input>,
    /// v2 output.
    #[serde(default)]
    pub output: Option<output::Output>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// One request and what must come of it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The request.
    pub input: wire::Input,
    /// The expectations.
    #[serde(default)]
    pub output: output::Output,
}

impl StageEntry {
    /// The stage, whichever way it was written.
    pub fn stage(&self) -> Option<Stage> {
        match (&self.stage, &self.input) {
            (Some(s), None) => Some(s.clone()),
            (None, Some(input)) => {
                Some(Stage { input: input.clone(), output: self.output.clone().unwrap_or_default() })
            }
            _ => None,
        }
    }
}

/// A YAML scalar that may be written as text, a number or a boolean.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    /// The scalar as text.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// A loaded test with its display name.
#[derive(Clone, Debug)]
pub struct Named {
    /// `RULE-ID`, the test title, or `FILE#N`.
    pub name: String,
    /// Whether its file is enabled.
    pub enabled: bool,
    /// The test.
    pub test: Test,
}

/// Loads a file, or every `*.yaml`/`*.yml` under a directory (recursively, sorted).
pub fn load(path: &Path) -> Result<Vec<Named>, Error> {
    let mut files = Vec::new();
    if path.is_dir() {
        walk(path, &mut files).map_err(|e| Error::io(path, e))?;
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        if is_empty_document(&text) {
            // Only comments (CRS keeps placeholder files like this): no tests, as in go-ftw.
            continue;
        }
        let parsed: TestFile =
            serde_saphyr::from_str(&text).map_err(|e| Error::Corpus(format!("{}: {e}", file.display())))?;
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        for (n, test) in parsed.tests.into_iter().enumerate() {
            let name = match (&test.test_title, parsed.rule_id, test.test_id) {
                (Some(title), _, _) => title.clone(),
                (None, Some(rule), Some(id)) => format!("{rule}-{id}"),
                (None, None, Some(id)) => format!("{stem}-{id}"),
                (None, _, None) => format!("{stem}#{}", n + 1),
            };
            if let Some(bad) = test.stages.iter().position(|s| s.stage().is_none()) {
                let why = "a stage needs either `stage: {input, output}` or `input` (and `output`)";
                return Err(Error::Corpus(format!("{}: {name}: stage {}: {why}", file.display(), bad + 1)));
            }
            out.push(Named { name, enabled: parsed.meta.enabled, test });
        }
    }
    Ok(out)
}

/// Whether a YAML text holds no document: only blank lines, comments and `---`/`...`.
fn is_empty_document(text: &str) -> bool {
    text.lines().map(str::trim).all(|l| l.is_empty() || l.starts_with('#') || l == "---" || l == "...")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Headers as written (a map; go-ftw does not keep their order either).
pub type Headers = BTreeMap<String, Scalar>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_comments_holds_no_tests_and_a_broken_one_is_an_error() {
        let dir = std::env::temp_dir().join(format!("ftw-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("a.yaml"), "# ---\n# tests:\n#   - test_id: 1\n---\n").expect("write");
        assert!(load(&dir).expect("comments only").is_empty());
        std::fs::write(dir.join("b.yaml"), "tests:\n- test_id: 1\n    stages: []\n").expect("write");
        let err = load(&dir).expect_err("bad indentation").to_string();
        assert!(err.contains("b.yaml"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
