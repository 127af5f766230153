//! Before any figure: both WAFs must reach the same verdicts. A few attack probes per corpus
//! file (those the corpus expects blocked) must be blocked by both, the benign ones the corpus
//! expects to pass and the benchmark's own shapes must pass both. Otherwise the benchmark
//! refuses to report: a faster proxy that inspects less proves nothing.

use std::net::SocketAddr;
use std::time::Duration;

use super::shapes::Shape;
use crate::corpus::Request;
use crate::{Error, http};

/// Attack probes taken from each attack corpus file.
const PER_FILE: usize = 2;
/// Benign probes taken from the corpus.
const BENIGN: usize = 8;

/// What the agreement check covered.
#[derive(Clone, Copy, Debug, Default)]
pub struct Agreement {
    /// Attack probes both blocked.
    pub blocked: usize,
    /// Benign requests (corpus + shapes) both passed.
    pub passed: usize,
}

/// One probe: its id, the bytes, and whether it must be blocked.
fn probes(corpus: &[Request]) -> Vec<(String, Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut taken: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in corpus {
        let Some(expect) = &r.expect else { continue };
        let family = r.id.split('-').next().unwrap_or_default();
        // proto-* probes test framing more than rules; the proxy may refuse them earlier.
        if family == "proto" || (family == "ok") == expect.blocked {
            continue;
        }
        let quota = if expect.blocked { PER_FILE } else { BENIGN };
        let n = taken.entry(family).or_default();
        if *n < quota {
            *n += 1;
            let headers = r.wire_headers(&[("Connection", "close".into())]);
            out.push((
                r.id.clone(),
                http::wire(&r.method, &r.uri, r.http_version(), &headers, r.body.as_bytes()),
                expect.blocked,
            ));
        }
    }
    for shape in Shape::ALL {
        let mut bytes = shape.request();
        let at = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 2;
        bytes.splice(at..at, b"Connection: close\r\n".iter().copied());
        out.push((format!("shape {}", shape.name()), bytes, false));
    }
    out
}

/// Sends every probe to the peer and to ours; `Err` lists each disagreement.
pub fn check(corpus: &[Request], peer: SocketAddr, ours: SocketAddr) -> Result<Agreement, Error> {
    let mut agreement = Agreement::default();
    let mut problems = Vec::new();
    for (id, bytes, attack) in probes(corpus) {
        let send = |addr| http::send(addr, &bytes, Duration::from_secs(10)).map_err(|e| e.to_string());
        let (theirs, mine) = (send(peer), send(ours));
        let want = if attack { 403 } else { 200 };
        match (&theirs, &mine) {
            (Ok(t), Ok(m)) if *t == want && *m == want => {
                if attack {
                    agreement.blocked += 1;
                } else {
                    agreement.passed += 1;
                }
            }
            _ => problems.push(format!("{id}: want {want}, nginx+ModSecurity {theirs:?}, inspector {mine:?}")),
        }
    }
    if problems.is_empty() { Ok(agreement) } else { Err(Error::Disagree(problems.join("\n  "))) }
}

/// Each plain shape must answer 200 through `addr` (the no-rules pair's sanity check).
pub fn shapes_pass(addr: SocketAddr, what: &str) -> Result<(), Error> {
    for shape in Shape::ALL {
        let mut conn = super::conn::Conn::new(addr);
        match conn.exchange(&shape.request()) {
            Ok(200) => {}
            other => return Err(Error::Disagree(format!("{what}: {} answered {other:?}", shape.name()))),
        }
    }
    Ok(())
}
