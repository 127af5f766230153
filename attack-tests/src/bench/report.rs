//! The ratio table: throughput against nginx + ModSecurity (target ≥ 5×) and, without rules,
//! against plain nginx (≥ 0.9×); p99 at half the peer's saturation rate against the peer's
//! p50 at that rate; the inspector's RSS with the CRS loaded (≤ 150 MiB).

use std::fmt::Write as _;
use std::time::Duration;

use super::agree::Agreement;
use super::load::Summary;
use super::shapes::Shape;

/// One shape's runs.
#[derive(Clone, Debug)]
pub struct Row {
    /// The shape.
    pub shape: Shape,
    /// nginx + ModSecurity + CRS, closed loop.
    pub peer: Summary,
    /// The inspector with CRS, closed loop.
    pub ours: Summary,
    /// Plain nginx `proxy_pass`, closed loop.
    pub plain: Summary,
    /// The inspector without rules, closed loop.
    pub no_rules: Summary,
    /// Half the peer's saturation rate.
    pub rate: f64,
    /// The inspector paced at `rate`.
    pub ours_paced: Summary,
    /// The peer paced at `rate`.
    pub peer_paced: Summary,
}

/// The whole run.
#[derive(Clone, Debug)]
pub struct Report {
    /// Generator connections.
    pub connections: usize,
    /// Each run's length.
    pub duration: Duration,
    /// Closed-loop runs per target and shape (the median is shown).
    pub rounds: usize,
    /// What the agreement check covered.
    pub agreement: Agreement,
    /// One row per shape.
    pub rows: Vec<Row>,
    /// The CRS inspector's (VmRSS, VmHWM) in MiB after the runs.
    pub rss: Option<(f64, f64)>,
}

/// Ratio targets and limits.
pub const TARGET_VS_PEER: f64 = 5.0;
/// No rules vs plain nginx.
pub const TARGET_VS_PLAIN: f64 = 0.9;
/// RSS limit, MiB.
pub const TARGET_RSS_MIB: f64 = 150.0;

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

impl Report {
    /// The printed table.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let _ = writeln!(
            s,
            "proxy benchmark: inspector vs nginx + ModSecurity v3 + CRS 3.3.4 PL1, blocking, same main.conf"
        );
        let _ = writeln!(
            s,
            "backend: nginx `return 200` on loopback (shared); generator: {} keep-alive connections, {:.1} s per run, \
             closed loop the median of {} runs per target taken in turn, the same for every target, sharing the \
             {cores} cores with the proxies; loadavg {}",
            self.connections,
            self.duration.as_secs_f64(),
            self.rounds,
            load.trim()
        );
        let a = self.agreement;
        let _ = writeln!(
            s,
            "agreement: {} attack probes blocked (403) and {} benign requests passed (200) by both",
            a.blocked, a.passed
        );
        let _ = writeln!(s, "\nthroughput, closed loop (req/s)");
        let _ = writeln!(
            s,
            "{:<16} {:>10} {:>10} {:>7} {:>6} | {:>10} {:>10} {:>7} {:>6}",
            "shape", "nginx+MS", "inspector", "ratio", ">=5x", "nginx", "insp -rules", "ratio", ">=0.9x"
        );
        for r in &self.rows {
            let vs_peer = r.ours.rps / r.peer.rps;
            let vs_plain = r.no_rules.rps / r.plain.rps;
            let _ = writeln!(
                s,
                "{:<16} {:>10.0} {:>10.0} {:>6.2}x {:>6} | {:>10.0} {:>10.0} {:>6.2}x {:>6}",
                r.shape.name(),
                r.peer.rps,
                r.ours.rps,
                vs_peer,
                verdict(vs_peer >= TARGET_VS_PEER),
                r.plain.rps,
                r.no_rules.rps,
                vs_plain,
                verdict(vs_plain >= TARGET_VS_PLAIN)
            );
        }
        let _ = writeln!(
            s,
            "\nlatency (ms): saturated p50/p99; paced at half the peer's saturation rate: inspector p99 <= peer p50"
        );
        let _ = writeln!(
            s,
            "{:<16} {:>15} {:>15} | {:>8} {:>9} {:>10} {:>6}",
            "shape", "nginx+MS sat.", "inspector sat.", "rate/s", "peer p50", "insp. p99", "target"
        );
        for r in &self.rows {
            let pair = |x: &Summary| format!("{:.2}/{:.2}", x.p50, x.p99);
            let _ = writeln!(
                s,
                "{:<16} {:>15} {:>15} | {:>8.0} {:>9.2} {:>10.2} {:>6}",
                r.shape.name(),
                pair(&r.peer),
                pair(&r.ours),
                r.rate,
                r.peer_paced.p50,
                r.ours_paced.p99,
                verdict(r.ours_paced.p99 <= r.peer_paced.p50)
            );
        }
        let errors: u64 = self
            .rows
            .iter()
            .flat_map(|r| [&r.peer, &r.ours, &r.plain, &r.no_rules, &r.ours_paced, &r.peer_paced])
            .map(|x| x.errors)
            .sum();
        let _ = writeln!(s, "errors (non-200 or transport) over all runs: {errors}");
        match self.rss {
            Some((rss, peak)) => {
                _ = writeln!(
                    s,
                    "\ninspector RSS with CRS: {rss:.0} MiB after the runs, peak {peak:.0} MiB (target <= {TARGET_RSS_MIB:.0} MiB) {}",
                    verdict(peak <= TARGET_RSS_MIB)
                )
            }
            None => _ = writeln!(s, "\ninspector RSS: /proc unreadable"),
        }
        s
    }
}
