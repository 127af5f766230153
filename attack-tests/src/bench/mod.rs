//! `attack-tests bench proxy`: the inspector against nginx + ModSecurity v3 + CRS 3.3.4 (PL1,
//! blocking), measured in the same run, on loopback, with the same config, backend and load
//! generator (see [`servers`], [`load`]). Run by hand on a release build; `--smoke` only
//! proves the harness works.
//!
//! 1. [`agree`]: both block the same attack probes and pass the same benign requests, or
//!    nothing is reported.
//! 2. Per [`shapes::Shape`]: closed-loop saturation of the peer, ours, plain nginx and the
//!    no-rules inspector, `rounds` times in turn (each target's median run is kept, so a
//!    slow spell of a shared machine hits every target, not one); then ours and the peer
//!    paced at half the peer's saturation rate.
//! 3. The inspector's RSS with the CRS loaded; [`report`] prints the ratios against targets.

pub mod agree;
pub mod cli;
pub mod conn;
pub mod load;
pub mod report;
pub mod servers;
pub mod shapes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::conf::{self, EngineMode};
use crate::corpus::Request;
use crate::{Error, nginx};
use load::{Pace, Summary};
use report::{Report, Row};
use servers::{Inspector, NginxSet};
use shapes::Shape;

/// What to run.
#[derive(Debug)]
pub struct Options {
    /// Length of each measured run.
    pub duration: Duration,
    /// Keep-alive connections (one generator thread each).
    pub connections: usize,
    /// Closed-loop runs per target and shape, taken in turn (at least 1).
    pub rounds: usize,
    /// The shapes, in order.
    pub shapes: Vec<Shape>,
    /// The inspector binary, when not next to this executable.
    pub inspector: Option<PathBuf>,
    /// The corpus the agreement probes come from.
    pub corpus: Vec<Request>,
    /// Keep the temp prefix (configs, logs).
    pub keep_temp: bool,
}

/// The shared ModSecurity config, with the audit log for relevant transactions only (the
/// recommended setting; the differential logs everything, which would tax only the peer).
fn main_conf(dir: &std::path::Path) -> String {
    conf::modsec_main(dir, 1, EngineMode::On).replace("SecAuditEngine On\n", "SecAuditEngine RelevantOnly\n")
}

/// Runs the benchmark; `log` receives progress lines.
pub fn run(opts: &Options, log: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    let inspector = servers::locate_inspector(opts.inspector.as_deref())?;
    let nginx_bin = nginx::locate()?;
    let dir = nginx::temp_dir()?;
    let result = measure(opts, &inspector, &nginx_bin, &dir, log);
    if !opts.keep_temp && result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        log(&format!("kept {}", dir.display()));
    }
    result
}

fn measure(
    opts: &Options,
    inspector: &std::path::Path,
    nginx_bin: &std::path::Path,
    dir: &std::path::Path,
    log: &mut dyn FnMut(&str),
) -> Result<Report, Error> {
    let main = dir.join("main.conf");
    std::fs::write(&main, main_conf(dir)).map_err(|e| Error::io(&main, e))?;
    let empty = dir.join("no-rules.conf");
    std::fs::write(&empty, "SecRuleEngine On\n").map_err(|e| Error::io(&empty, e))?;
    log("starting nginx (backend, ModSecurity + CRS, plain proxy) and two inspectors");
    let nginx = NginxSet::start(nginx_bin, dir)?;
    let ours = Inspector::start(inspector, dir, "inspector", nginx.backend, &main)?;
    let bare = Inspector::start(inspector, dir, "inspector-no-rules", nginx.backend, &empty)?;
    let agreement = agree::check(&opts.corpus, nginx.waf, ours.addr)?;
    agree::shapes_pass(nginx.plain, "plain nginx")?;
    agree::shapes_pass(bare.addr, "inspector without rules")?;
    log(&format!(
        "agreement: {} attack probes blocked and {} benign passed by both",
        agreement.blocked, agreement.passed
    ));
    let mut rows = Vec::new();
    for &shape in &opts.shapes {
        let request: Arc<[u8]> = shape.request().into();
        let mut closed = |name: &str, addr| {
            load::run(addr, &request, opts.connections, opts.duration / 10, Pace::Closed); // warm-up
            let s = load::run(addr, &request, opts.connections, opts.duration, Pace::Closed);
            log(&format!(
                "{:<16} {name:<22} {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
                shape.name(),
                s.rps,
                s.p50,
                s.p99,
                s.errors
            ));
            s
        };
        let targets = [
            ("nginx+ModSecurity", nginx.waf),
            ("inspector", ours.addr),
            ("plain nginx", nginx.plain),
            ("inspector, no rules", bare.addr),
        ];
        let mut runs: [Vec<Summary>; 4] = Default::default();
        for _ in 0..opts.rounds.max(1) {
            for ((name, addr), runs) in targets.iter().zip(runs.iter_mut()) {
                runs.push(closed(name, *addr));
            }
        }
        let [peer, mine, plain, no_rules] = runs.map(load::median);
        let rate = peer.rps / 2.0;
        let paced = |addr| load::run(addr, &request, opts.connections, opts.duration, Pace::Rate(rate));
        let (mine_paced, peer_paced) = (paced(ours.addr), paced(nginx.waf));
        log(&format!(
            "{:<16} paced {rate:.0} req/s: inspector p99 {:.2} ms, peer p50 {:.2} ms",
            shape.name(),
            mine_paced.p99,
            peer_paced.p50
        ));
        rows.push(Row { shape, peer, ours: mine, plain, no_rules, rate, ours_paced: mine_paced, peer_paced });
    }
    let rss = ours.rss_mib();
    Ok(Report {
        connections: opts.connections,
        duration: opts.duration,
        rounds: opts.rounds.max(1),
        agreement,
        rows,
        rss,
    })
}

/// In `--smoke` mode: every run answered, without errors.
pub fn smoke_check(report: &Report) -> Result<(), Error> {
    for row in &report.rows {
        let runs: [(&str, &Summary); 6] = [
            ("peer", &row.peer),
            ("inspector", &row.ours),
            ("plain nginx", &row.plain),
            ("no-rules inspector", &row.no_rules),
            ("paced inspector", &row.ours_paced),
            ("paced peer", &row.peer_paced),
        ];
        for (name, run) in runs {
            if run.requests == 0 || run.errors > 0 {
                return Err(Error::Peer(format!(
                    "{} {name}: {} answered, {} errors",
                    row.shape.name(),
                    run.requests,
                    run.errors
                )));
            }
        }
    }
    Ok(())
}
