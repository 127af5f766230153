//! The inspector's JSON audit log (one line per transaction with a logged match or a block,
//! and per refused request; see `inspector/proxy/README.md`), tailed: only lines written after the run started, found
//! by the transaction id that the inspector also answers as `x-request-id`.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::PathBuf;

/// One transaction's audit line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// `messages[].id`: every matched rule that logs.
    pub ids: BTreeSet<u64>,
    /// The line itself (for `log_contains` patterns).
    pub line: String,
}

/// Audit logs read from where they ended when the tail was opened.
#[derive(Debug, Default)]
pub struct Tail {
    files: Vec<(PathBuf, u64)>,
    records: HashMap<String, Record>,
}

impl Tail {
    /// Starts tailing `paths` at their current ends (a missing file is read from its start).
    pub fn open(paths: &[PathBuf]) -> Self {
        let files = paths.iter().map(|p| (p.clone(), std::fs::metadata(p).map_or(0, |m| m.len()))).collect();
        Self { files, records: HashMap::new() }
    }

    /// Whether any log is tailed.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The record of transaction `id`, reading what was appended since the last look.
    pub fn find(&mut self, id: &str) -> Option<&Record> {
        if !self.records.contains_key(id) {
            self.refresh();
        }
        self.records.get(id)
    }

    fn refresh(&mut self) {
        for (path, offset) in &mut self.files {
            let Ok(mut file) = std::fs::File::open(&*path) else { continue };
            let mut bytes = Vec::new();
            if file.seek(SeekFrom::Start(*offset)).and_then(|_| file.read_to_end(&mut bytes)).is_err() {
                continue;
            }
            // Only whole lines; a partly written one is read next time.
            let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else { continue };
            *offset += end as u64 + 1;
            for line in String::from_utf8_lossy(&bytes[..end]).lines() {
                if let Some((id, record)) = parse_line(line) {
                    self.records.insert(id, record);
                }
            }
        }
    }
}

/// The transaction id and record of one line; `None` for anything else.
pub fn parse_line(line: &str) -> Option<(String, Record)> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let id = v.get("id")?.as_str()?.to_string();
    let ids = v
        .get("messages")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("id")?.as_u64())
        .collect();
    Some((id, Record { ids, line: line.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_the_transaction_and_its_rule_ids() {
        let line = r#"{"id":"ab12","verdict":"block","messages":[{"id":942100,"msg":"SQLi"},{"id":949110}]}"#;
        let (id, record) = parse_line(line).expect("parses");
        assert_eq!(id, "ab12");
        assert_eq!(record.ids, [942100, 949110].into());
        assert_eq!(parse_line("not json"), None);
    }
}
