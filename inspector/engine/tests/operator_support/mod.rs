//! Helpers shared by the `operator_*` tests: contexts, macro expansion, escaped inputs and
//! the Debian CRS rule extraction.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use inspector_engine::operator::{self, LoadContext, OpContext, Operator};

/// Where Debian's `modsecurity-crs` package puts the CRS 3.3.4 rules.
pub const CRS_DIR: &str = "/usr/share/modsecurity-crs/rules";

/// Expands the few macros the vectors use (`%{tx.name}`), like the transaction would.
pub fn expand(text: &str) -> String {
    [
        ("%{tx.allowed_methods}", "GET HEAD POST OPTIONS"),
        ("%{tx.threshold}", "5"),
        ("%{tx.empty}", ""),
        ("%{tx.word}", "admin"),
        ("%{tx.pattern}", "^a(b+)c$"),
        ("%{tx.bad_pattern}", "(unclosed"),
    ]
    .iter()
    .fold(text.to_owned(), |acc, (m, v)| acc.replace(m, v))
}

/// Reads from the real disk (the CRS data files).
pub fn read_disk(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}

/// Compiles with data files read from `dir` on disk.
pub fn compile_in(name: &str, param: &str, dir: &Path) -> Result<Box<dyn Operator>, String> {
    operator::compile(name, param, &LoadContext { rule_dir: dir, read_file: &read_disk })
}

/// Compiles with no data files available.
pub fn compile(name: &str, param: &str) -> Result<Box<dyn Operator>, String> {
    let no_files = |p: &Path| Err(format!("no file {}", p.display()));
    operator::compile(name, param, &LoadContext { rule_dir: Path::new("/rules"), read_file: &no_files })
}

/// Evaluates with macro expansion, returning the result and the captures.
pub fn eval(op: &dyn Operator, input: &[u8]) -> (bool, Vec<Vec<u8>>) {
    let mut caps = Vec::new();
    let matched = op.evaluate(input, &mut OpContext { expand: &expand, captures: Some(&mut caps) });
    (matched, caps)
}

/// Decodes `\xHH`, `\t`, `\n`, `\r`, `\\` and `\s` (a space) in a vector field.
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let (byte, len) = match b[i + 1] {
                b't' => (b'\t', 2),
                b'n' => (b'\n', 2),
                b'r' => (b'\r', 2),
                b's' => (b' ', 2),
                b'\\' => (b'\\', 2),
                b'x' => (u8::from_str_radix(&s[i + 2..i + 4], 16).expect("bad \\x escape"), 4),
                _ => (b'\\', 1),
            };
            out.push(byte);
            i += len;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// One operator use found in a CRS rule file.
#[derive(Debug, Clone)]
pub struct CrsOperator {
    pub file: String,
    pub id: String,
    pub name: String,
    pub param: String,
}

/// The CRS rules directory, or a panic telling how to get it.
pub fn crs_dir() -> PathBuf {
    let dir = PathBuf::from(CRS_DIR);
    assert!(
        dir.join("REQUEST-942-APPLICATION-ATTACK-SQLI.conf").exists(),
        "CRS 3.3.4 rules not found in {CRS_DIR}: run `apt-get install modsecurity-crs`"
    );
    dir
}

/// Every `SecRule` operator in the CRS `*.conf` files (continuation lines joined). Chained
/// rules without an id get the id of the rule that starts the chain.
pub fn crs_operators() -> Vec<CrsOperator> {
    let dir = crs_dir();
    let op_re = regex::Regex::new(r#"^\s*SecRule\s+\S+\s+"!?@([A-Za-z0-9]+)(?: ((?:[^"\\]|\\.)*))?""#).expect("re");
    let id_re = regex::Regex::new(r"\bid:'?(\d+)").expect("re");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read CRS dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read rule file").replace("\\\n", "");
        let mut last_id = String::from("?");
        for line in text.lines() {
            let Some(c) = op_re.captures(line) else { continue };
            if let Some(id) = id_re.captures(line) {
                last_id = id[1].to_owned();
            }
            out.push(CrsOperator {
                file: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                id: last_id.clone(),
                name: c[1].to_owned(),
                param: c.get(2).map_or("", |m| m.as_str()).to_owned(),
            });
        }
    }
    out
}
