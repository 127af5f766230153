//! The audit log: one JSON line per transaction with a logged match or a block, and per
//! request refused before inspection (malformed or ambiguous framing, limits), close to
//! ModSecurity's JSON audit shape (`messages[].details` flattened to `id`, `msg`, `data`,
//! `severity`, `tags`).

use std::fs::OpenOptions;
use std::io::{self, LineWriter, Write};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::config::AuditSink;
use crate::inspect::Report;

/// One audit line.
#[derive(Debug, Clone, Serialize)]
pub struct Record<'a> {
    pub id: &'a str,
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub client: String,
    /// The upstream (the original destination in transparent modes).
    pub destination: String,
    /// The SecurityPolicy that inspected it (`-`: plain `--rules`).
    pub policy: &'a str,
    /// The destination's namespace (`-`: the flow map names none).
    pub namespace: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    /// `block`, `detect`, or `reject` (refused before inspection).
    pub verdict: &'static str,
    /// Why a `reject` was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub anomaly_score: Option<u64>,
    pub engine: String,
    pub messages: Vec<Message<'a>>,
}

/// One matched rule.
#[derive(Debug, Clone, Serialize)]
pub struct Message<'a> {
    pub id: u64,
    pub msg: &'a str,
    pub data: &'a str,
    pub severity: Option<u8>,
    pub tags: &'a [String],
}

impl<'a> Record<'a> {
    /// The record of a finished transaction.
    pub fn new(
        id: &'a str,
        req: (&'a str, &'a str),
        ends: (String, String),
        verdict: &'static str,
        report: &'a Report,
    ) -> Self {
        let messages = report
            .matches
            .iter()
            .map(|m| Message { id: m.id, msg: &m.msg, data: &m.data, severity: m.severity, tags: &m.tags })
            .collect();
        Self {
            anomaly_score: report.anomaly_score.as_deref().and_then(|s| s.parse().ok()),
            engine: format!("{:?}", report.engine),
            messages,
            ..Self::bare(id, req, ends, verdict)
        }
    }

    /// The record of a request refused before inspection (no engine ran; `-` where the
    /// HTTP parser gave no method or target).
    pub fn rejected(id: &'a str, req: (&'a str, &'a str), ends: (String, String), reason: String) -> Self {
        Self { reason: Some(reason), ..Self::bare(id, req, ends, "reject") }
    }

    /// A record without engine results, stamped now.
    fn bare(id: &'a str, req: (&'a str, &'a str), ends: (String, String), verdict: &'static str) -> Self {
        Self {
            id,
            time: rfc3339(SystemTime::now()),
            client: ends.0,
            destination: ends.1,
            policy: "-",
            namespace: "-",
            method: req.0,
            uri: req.1,
            verdict,
            reason: None,
            anomaly_score: None,
            engine: "-".to_owned(),
            messages: Vec::new(),
        }
    }
}

/// Where lines are written; writes are serialized by a lock and flushed per line.
pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Opens the sink (a file is created or appended to).
    pub fn open(sink: &AuditSink) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = match sink {
            AuditSink::Stdout => Box::new(LineWriter::new(io::stdout())),
            AuditSink::File(path) => {
                Box::new(LineWriter::new(OpenOptions::new().create(true).append(true).open(path)?))
            }
        };
        Ok(Self { out: Mutex::new(out) })
    }

    /// Writes one line; a failure is reported, never fatal to the transaction.
    pub fn write(&self, record: &Record<'_>) {
        let Ok(mut line) = serde_json::to_vec(record) else { return };
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "audit log write failed");
        }
    }
}

/// `2026-11-23T10:04:05.123Z` from a system time (UTC).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, d.subsec_millis())
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::rfc3339;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_250)), "2000-02-29T00:00:00.250Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_430_645)), "2026-11-23T10:44:05.000Z");
    }
}
