//! The printed table: figures per scale, the targets, and the iptables comparison.

use std::fmt::Write as _;
use std::time::Duration;

use crate::sets::{Programmed, Update};

/// Minimum, median and maximum of a sample, in ms. On a shared machine the minimum is the
/// closest to the uncontended cost; targets are judged on the median.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Minimum.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Maximum.
    pub max: f64,
}

impl Stats {
    fn of(mut sample: Vec<Duration>) -> Stats {
        sample.sort();
        let at = |i: usize| sample.get(i).map_or(f64::NAN, |d| ms(*d));
        Stats { min: at(0), median: at(sample.len() / 2), max: at(sample.len().saturating_sub(1)) }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One cluster size.
#[derive(Debug)]
pub struct Scale {
    pods: usize,
    nodes: usize,
    policies: usize,
    elements: usize,
    rules: usize,
    /// Engine + plan, render + diff, `nft -f` (ms).
    scratch: [f64; 3],
    engine: Stats,
    compute: Stats,
    kernel: Stats,
    total: Stats,
    updates: usize,
}

impl Scale {
    /// From a programmed cluster and its pod updates.
    pub fn new(p: &Programmed, updates: &[Update]) -> Scale {
        let pick = |f: fn(&Update) -> Duration| Stats::of(updates.iter().map(f).collect());
        Scale {
            pods: p.size.pods,
            nodes: p.size.nodes,
            policies: p.size.policies,
            elements: p.elements,
            rules: p.rules,
            scratch: p.times.map(ms),
            engine: pick(|u| u.engine),
            compute: pick(|u| u.compute),
            kernel: pick(|u| u.kernel),
            total: pick(|u| u.compute + u.kernel),
            updates: updates.len(),
        }
    }
}

/// The whole run.
#[derive(Debug, Default)]
pub struct Table {
    /// Sets design, by pod count.
    pub scales: Vec<Scale>,
    /// iptables variants: version and the add/remove times, or why not measured.
    pub peers: Vec<(String, Result<Vec<Duration>, String>)>,
    /// Pods in the iptables comparison.
    pub peer_pods: usize,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

impl Table {
    /// The report.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let nodes = self.scales.first().map_or(1, |c| c.nodes);
        let _ = writeln!(
            s,
            "redirector dataplane benchmark: node-0's chain-mode ruleset ({nodes} node(s)), own netns; loadavg {}",
            load.trim()
        );
        let _ = writeln!(
            s,
            "\nfrom scratch, one `nft -f` (engine+plan / render+diff / nft -f; target: render..nft <= 1000 ms)"
        );
        let _ = writeln!(
            s,
            "{:>6} {:>8} {:>9} {:>6} {:>10} {:>10} {:>10} {:>10}",
            "pods", "policies", "elements", "rules", "plan ms", "render ms", "nft ms", "verdict"
        );
        for c in &self.scales {
            let [plan, render, nft] = c.scratch;
            let ok = render + nft <= 1000.0;
            let _ = writeln!(
                s,
                "{:>6} {:>8} {:>9} {:>6} {plan:>10.1} {render:>10.1} {nft:>10.1} {:>10}",
                c.pods,
                c.policies,
                c.elements,
                c.rules,
                verdict(ok)
            );
        }
        let _ = writeln!(
            s,
            "\none pod added or removed (min / median / max ms; total = agent + kernel; target: median total <= 10 ms, flat)\n\
             controller: policy-crd's delta; agent: plan diff + incremental ruleset; kernel: one netlink batch"
        );
        let _ = writeln!(
            s,
            "{:>6} {:>8} {:>22} {:>22} {:>22} {:>22} {:>8}",
            "pods", "updates", "controller", "agent", "kernel", "total", "verdict"
        );
        for c in &self.scales {
            let pair = |x: Stats| format!("{:.2} / {:.2} / {:.2}", x.min, x.median, x.max);
            let _ = writeln!(
                s,
                "{:>6} {:>8} {:>22} {:>22} {:>22} {:>22} {:>8}",
                c.pods,
                c.updates,
                pair(c.engine),
                pair(c.compute),
                pair(c.kernel),
                pair(c.total),
                verdict(c.total.median <= 10.0)
            );
        }
        if let (Some(first), Some(last)) = (self.scales.first(), self.scales.last()) {
            let _ = writeln!(
                s,
                "flatness: median total at {} pods / at {} pods = {:.2}x",
                last.pods,
                first.pods,
                last.total.median / first.total.median
            );
        }
        let sets = self.scales.iter().find(|c| c.pods == self.peer_pods);
        let _ = writeln!(
            s,
            "\none rule per pod at {} pods: add/remove one pod's rule (min / median / max ms; target: sets >= 10x faster, on medians)",
            self.peer_pods
        );
        for (name, times) in &self.peers {
            match (times, sets) {
                (Ok(times), Some(sets)) => {
                    let t = Stats::of(times.clone());
                    let ratio = t.median / sets.total.median;
                    let _ = writeln!(
                        s,
                        "{name:<32} {:.2} / {:.2} / {:.2}; sets total {:.2}: {ratio:.1}x (kernel alone {:.1}x) {}",
                        t.min,
                        t.median,
                        t.max,
                        sets.total.median,
                        t.median / sets.kernel.median,
                        verdict(ratio >= 10.0)
                    );
                }
                (Ok(_), None) => _ = writeln!(s, "{name:<32} measured, but no sets run at {} pods", self.peer_pods),
                (Err(e), _) => _ = writeln!(s, "{name:<32} not measured: {e}"),
            }
        }
        s
    }
}
