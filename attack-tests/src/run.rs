//! One differential run: start the peer, send every request to it, evaluate every request in
//! our engine with the same config, read the audit log, compare.
//!
//! ```text
//! corpus ─┬─▶ wire bytes ─▶ nginx + ModSecurity ─▶ audit log (JSON) ─┐
//!         └─▶ same request ─▶ inspector-engine (same main.conf) ─────┴─▶ compare ─▶ Report
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::compare::{Case, Side, Verdict};
use crate::conf::{CRS_RULES, EngineMode};
use crate::corpus::Request;
use crate::expect::Expectations;
use crate::report::{Report, Skipped};
use crate::{Error, audit, http, nginx, ours};

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The requests.
    pub requests: Vec<Request>,
    /// CRS paranoia level (1-4).
    pub paranoia: u8,
    /// Engine mode of both peers.
    pub engine: EngineMode,
    /// Keep the temp prefix (configs, logs) after the run.
    pub keep_temp: bool,
    /// Rule-id checks of go-ftw stages among the requests (`--ftw`), judged on each peer.
    pub ftw_checks: Option<crate::ftw::differential::RuleChecks>,
}

/// Runs the comparison; `progress` receives one line now and then (for stderr).
pub fn run(opts: &Options, progress: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    if !(1..=4).contains(&opts.paranoia) {
        return Err(Error::Config(format!("paranoia level {} is not 1-4", opts.paranoia)));
    }
    let started = Instant::now();
    let binary = nginx::locate()?;
    let dir = nginx::temp_dir()?;
    progress(&format!("starting nginx + ModSecurity (PL{}) in {}", opts.paranoia, dir.display()));
    let result = run_in(opts, &binary, &dir, progress);
    if !opts.keep_temp && result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut report = result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn run_in(opts: &Options, binary: &Path, dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    let peer = nginx::Nginx::start(binary, dir, opts.paranoia, opts.engine)?;
    let rules = ours::compile(&dir.join("main.conf"))?;
    progress(&format!("peer on {}; our engine compiled the same main.conf", peer.addr));
    let timeout = Duration::from_secs(10);
    let mut sent: Vec<(u64, &Request, u16)> = Vec::new();
    let mut skipped = Vec::new();
    let canary = canary();
    for (n, req) in std::iter::once(&canary).chain(&opts.requests).enumerate() {
        let seq = n as u64 + 1;
        let headers = req.wire_headers(&[(audit::SEQ_HEADER, seq.to_string()), ("Connection", "close".into())]);
        let bytes = http::wire(&req.method, &req.uri, req.http_version(), &headers, req.body.as_bytes());
        match http::send(peer.addr, &bytes, timeout) {
            Ok(status) => sent.push((seq, req, status)),
            Err(e) => skipped.push(Skipped { id: req.id.clone(), reason: format!("sending failed: {e}") }),
        }
        if (n + 1) % 100 == 0 {
            progress(&format!("sent {}/{}", n + 1, opts.requests.len()));
        }
    }
    // In DetectionOnly a status other than 200 is nginx's own answer (400, 413, 414...):
    // ModSecurity never saw that request, so there is no audit entry to wait for.
    let inspected = |status: u16| opts.engine == EngineMode::On || status == 200;
    let wanted: BTreeSet<u64> = sent.iter().filter(|s| inspected(s.2)).map(|s| s.0).collect();
    let entries = audit::collect(&peer.audit_log(), &wanted, Duration::from_secs(5))?;
    let server = peer.addr;
    drop(peer);
    let mut cases = compare_all(opts, &rules, server, &sent, &entries, &mut skipped);
    check_canary(&mut cases)?;
    progress(&format!("compared {} requests", cases.len()));
    let expects = opts.requests.iter().filter_map(|r| Some((r.id.clone(), r.expect.clone()?))).collect();
    let expectations = Expectations::check(&cases, &expects);
    let mut report =
        Report::build(opts.paranoia, opts.engine, opts.requests.len(), &cases, skipped, &rule_files(), expectations);
    report.ftw = opts.ftw_checks.as_ref().map(|checks| crate::ftw::differential::check(&cases, checks));
    Ok(report)
}

fn compare_all(
    opts: &Options,
    rules: &inspector_engine::ruleset::RuleSet,
    server: std::net::SocketAddr,
    sent: &[(u64, &Request, u16)],
    entries: &HashMap<u64, audit::Entry>,
    skipped: &mut Vec<Skipped>,
) -> Vec<Case> {
    let mut cases = Vec::new();
    for &(seq, req, status) in sent {
        let Some(entry) = entries.get(&seq) else {
            // nginx answered before ModSecurity saw the request (malformed HTTP, 400/414...).
            skipped.push(Skipped { id: req.id.clone(), reason: format!("no audit entry (nginx answered {status})") });
            continue;
        };
        let headers = req.wire_headers(&[(audit::SEQ_HEADER, seq.to_string()), ("Connection", "close".into())]);
        let body = http::dechunk(&headers, req.body.as_bytes());
        let out = ours::evaluate(rules, server, (&req.method, &req.uri, req.http_version()), &headers, &body);
        let (modsec_verdict, our_verdict) = match opts.engine {
            EngineMode::DetectionOnly => (Verdict::from_ids(&entry.ids), Verdict::from_ids(&out.ids)),
            EngineMode::On => (
                if status == 200 { Verdict::Pass } else { Verdict::Block(block_id(&entry.ids)) },
                out.interrupted_by.map_or(Verdict::Pass, Verdict::Block),
            ),
        };
        cases.push(Case {
            id: req.id.clone(),
            modsec: Side::new(&entry.ids, modsec_verdict),
            ours: Side::new(&out.ids, our_verdict),
        });
    }
    cases
}

/// The canary: sent first; both peers must report 942100 and block, which proves that
/// ModSecurity really inspects the requests (query and phase 2) and that our engine runs CRS.
fn canary() -> Request {
    Request {
        id: "canary".into(),
        method: "GET".into(),
        uri: "/canary?id=1%27%20or%20%271%27%3D%271".into(),
        headers: Default::default(),
        body: String::new(),
        expect: None,
        bare: false,
        version: None,
    }
}

fn check_canary(cases: &mut Vec<Case>) -> Result<(), Error> {
    let Some(pos) = cases.iter().position(|c| c.id == "canary") else {
        return Err(Error::Peer("the canary request got no audit entry: is ModSecurity enabled?".into()));
    };
    let case = cases.remove(pos);
    let seen = |side: &Side| side.ids.contains(&942100) && side.verdict != Verdict::Pass;
    if !seen(&case.modsec) {
        return Err(Error::Peer(format!("canary SQLi not detected by ModSecurity: {:?}", case.modsec)));
    }
    if !seen(&case.ours) {
        return Err(Error::Engine(format!("canary SQLi not detected by our engine: {:?}", case.ours)));
    }
    Ok(())
}

fn block_id(ids: &BTreeSet<u64>) -> u64 {
    match Verdict::from_ids(ids) {
        Verdict::Block(id) => id,
        Verdict::Pass => 0,
    }
}

/// The CRS rule file names, for the per-file report.
fn rule_files() -> Vec<String> {
    let dir = PathBuf::from(CRS_RULES);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.ends_with(".conf")).collect())
        .unwrap_or_default();
    names.sort();
    names
}
