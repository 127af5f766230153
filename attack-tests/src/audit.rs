//! Reads ModSecurity's JSON audit log (`SecAuditLogFormat JSON`, Serial: one object per line)
//! and finds each request's entry by the correlation header the harness adds.
//!
//! Why the audit log and not the error log: nginx truncates error-log lines at 2 KiB, which
//! cuts the `[id "..."]` of rules whose matched value is long; the audit log's part H has
//! every message whole.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::Error;

/// The correlation header: a small integer, harmless to every CRS rule.
pub const SEQ_HEADER: &str = "X-Chainwall-Seq";

/// What ModSecurity reported for one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Rule ids of part H's messages (rules that log to the audit log).
    pub ids: BTreeSet<u64>,
    /// The HTTP status ModSecurity saw for the response.
    pub status: u16,
}

/// Parses one audit-log line; `None` when it is not a transaction with our header.
pub fn parse_line(line: &str) -> Option<(u64, Entry)> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let tx = v.get("transaction")?;
    let headers = tx.pointer("/request/headers")?.as_object()?;
    let seq = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(SEQ_HEADER))?.1.as_str()?.parse().ok()?;
    let ids = tx
        .get("messages")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.pointer("/details/ruleId")?.as_str()?.parse().ok())
        .collect();
    let status = tx.pointer("/response/http_code").and_then(|c| c.as_u64()).unwrap_or(0);
    Some((seq, Entry { ids, status: u16::try_from(status).unwrap_or(0) }))
}

/// Reads the audit log until every sequence number in `wanted` has an entry or `patience`
/// runs out (nginx writes the entry in its log phase, just after the response).
pub fn collect(path: &Path, wanted: &BTreeSet<u64>, patience: Duration) -> Result<HashMap<u64, Entry>, Error> {
    let deadline = Instant::now() + patience;
    loop {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        let text = String::from_utf8_lossy(&bytes);
        let found: HashMap<u64, Entry> = text.lines().filter_map(parse_line).collect();
        if wanted.iter().all(|s| found.contains_key(s)) || Instant::now() >= deadline {
            return Ok(found);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_the_sequence_ids_and_status() {
        let line = r#"{"transaction":{"request":{"headers":{"Host":"a","X-Chainwall-Seq":"7"}},
            "response":{"http_code":403},"messages":[{"details":{"ruleId":"942100"}},
            {"details":{"ruleId":"949110"}}]}}"#
            .replace('\n', "");
        let (seq, entry) = parse_line(&line).expect("parses");
        assert_eq!(seq, 7);
        assert_eq!(entry.status, 403);
        assert_eq!(entry.ids.into_iter().collect::<Vec<_>>(), vec![942100, 949110]);
        assert_eq!(parse_line(r#"{"transaction":{"request":{"headers":{}}}}"#), None);
    }
}
