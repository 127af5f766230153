//! The node's metrics (`local` and `agent`, `--metrics-listen`), served by
//! [`redirector::exposition`]. The packet counters mirror the named nft counters of the
//! Chainwall tables, read with every reconcile: each namespace's reading is turned into an
//! increase (a smaller reading means the table was replaced, so it counts from zero), and the
//! increases are summed per `netns_role`. Every label is bounded: `netns_role` is `node`,
//! `inspector` or `pod`, `result` is `applied`, `unchanged` or `error`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use redirector::nft::config::Health;
use redirector::nft::health::{BYPASSED, DENIED, FAILED_CLOSED};
use redirector::nft::model::Ruleset;

use super::Outcome;

/// The label of per-namespace counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RoleLabel {
    /// [`Outcome::netns_role`].
    pub netns_role: &'static str,
}

/// The label of the apply counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `applied`, `unchanged` or `error`.
    pub result: &'static str,
}

/// Every node metric.
#[derive(Debug, Default)]
pub struct NodeMetrics {
    registry: Registry,
    /// Covered packets passed uninspected (nft counter `bypassed`).
    pub bypass_packets: Family<RoleLabel, Counter>,
    /// Covered packets dropped for want of an inspector (nft counter `failed_closed`).
    pub failed_closed_packets: Family<RoleLabel, Counter>,
    /// Packets no policy allows (nft counter `denied`).
    pub denied_packets: Family<RoleLabel, Counter>,
    /// Tables someone else changed, restored.
    pub drift_restored: Family<RoleLabel, Counter>,
    /// Reconcile passes by result.
    pub applies: Family<ResultLabel, Counter>,
    /// 1 while the inspector's `/readyz` answers 200 (or no `--inspector-readyz`).
    pub inspector_healthy: Gauge,
    /// Namespaces programmed.
    pub plan_namespaces: Gauge,
    /// Rules rendered, all namespaces.
    pub plan_rules: Gauge,
    /// Set and map elements rendered, all namespaces.
    pub plan_set_elements: Gauge,
    /// The last reading of each (namespace, counter).
    last: Mutex<BTreeMap<(String, String), u64>>,
}

impl NodeMetrics {
    /// The metrics, registered under `chainwall_redirector_`.
    pub fn new() -> NodeMetrics {
        let mut registry = Registry::with_prefix("chainwall_redirector");
        let m = NodeMetrics::default();
        let role = "per netns_role (node, inspector, pod)";
        registry.register(
            "bypass_packets",
            format!("Covered packets passed uninspected, {role}"),
            m.bypass_packets.clone(),
        );
        registry.register(
            "failed_closed_packets",
            format!("Covered packets dropped: no inspector, {role}"),
            m.failed_closed_packets.clone(),
        );
        registry.register("denied_packets", format!("Packets no policy allows, {role}"), m.denied_packets.clone());
        registry.register(
            "drift_restored",
            format!("Tables changed by someone else and restored, {role}"),
            m.drift_restored.clone(),
        );
        registry.register("applies", "Reconcile passes by result (applied, unchanged, error)", m.applies.clone());
        registry.register(
            "inspector_healthy",
            "Whether the inspector's /readyz answers 200 (1) or not (0)",
            m.inspector_healthy.clone(),
        );
        registry.register("plan_namespaces", "Network namespaces programmed", m.plan_namespaces.clone());
        registry.register("plan_rules", "Rules rendered, all namespaces", m.plan_rules.clone());
        registry.register(
            "plan_set_elements",
            "Set and map elements rendered, all namespaces",
            m.plan_set_elements.clone(),
        );
        NodeMetrics { registry, ..m }
    }

    /// Binds `addr` (an error now, not later) and serves `/metrics` from a thread.
    pub fn serve(addr: std::net::SocketAddr) -> Result<Arc<NodeMetrics>> {
        let metrics = Arc::new(NodeMetrics::new());
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        redirector::exposition::serve_in_thread(listener, metrics.clone()).context("metrics endpoint")?;
        Ok(metrics)
    }

    /// The inspector's health.
    pub fn health(&self, health: Health) {
        self.inspector_healthy.set(i64::from(health == Health::Healthy));
    }

    /// The size of what is programmed.
    pub fn plan<'a>(&self, rulesets: impl Iterator<Item = &'a Ruleset>) {
        let (mut namespaces, mut rules, mut elements) = (0, 0, 0);
        for ruleset in rulesets {
            namespaces += 1;
            rules += ruleset.tables.iter().flat_map(|t| &t.chains).map(|c| c.rules.len()).sum::<usize>();
            elements += ruleset.tables.iter().flat_map(|t| &t.sets).map(|s| s.elements.len()).sum::<usize>();
        }
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.plan_namespaces.set(count(namespaces));
        self.plan_rules.set(count(rules));
        self.plan_set_elements.set(count(elements));
    }

    /// One reconcile pass.
    pub fn reconciled(&self, result: &Result<Vec<Outcome>>) {
        let Ok(outcomes) = result else {
            self.applies.get_or_create(&ResultLabel { result: "error" }).inc();
            return;
        };
        let applied = outcomes.iter().any(|o| !o.unchanged());
        self.applies.get_or_create(&ResultLabel { result: if applied { "applied" } else { "unchanged" } }).inc();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for o in outcomes {
            let label = RoleLabel { netns_role: o.netns_role };
            self.drift_restored.get_or_create(&label).inc_by(o.drift.len() as u64);
            for (key, packets) in &o.counters {
                let family = match key.rsplit(' ').next() {
                    Some(BYPASSED) => &self.bypass_packets,
                    Some(FAILED_CLOSED) => &self.failed_closed_packets,
                    Some(DENIED) => &self.denied_packets,
                    _ => continue,
                };
                let before = last.insert((o.target.clone(), key.clone()), *packets);
                family.get_or_create(&label).inc_by(increase(before, *packets));
            }
        }
    }
}

/// The increase of a kernel counter between two readings; a smaller reading is a new table.
pub fn increase(before: Option<u64>, now: u64) -> u64 {
    match before {
        Some(b) if now >= b => now - b,
        _ => now,
    }
}

impl redirector::exposition::Exposition for NodeMetrics {
    fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use redirector::exposition::Exposition;

    use super::{NodeMetrics, Outcome};

    fn outcome(target: &str, role: &'static str, bypassed: u64, drift: usize) -> Outcome {
        Outcome {
            target: target.into(),
            replaced: vec![],
            deleted: vec![],
            element_changes: drift,
            drift: vec!["x".into(); drift],
            netns_role: role,
            counters: [("bridge bypassed".to_owned(), bypassed), ("inet denied".to_owned(), 1)].into(),
        }
    }

    #[test]
    fn kernel_counters_become_monotonic_increases_per_role_and_a_replaced_table_counts_from_zero() {
        let m = NodeMetrics::new();
        m.reconciled(&Ok(vec![outcome("node (a)", "node", 5, 0), outcome("pod x (b)", "pod", 2, 0)]));
        m.reconciled(&Ok(vec![outcome("node (a)", "node", 9, 1), outcome("pod x (b)", "pod", 2, 0)]));
        // The node's table was replaced: its counter restarted at 3.
        m.reconciled(&Ok(vec![outcome("node (a)", "node", 3, 0)]));
        m.reconciled(&Err(anyhow::anyhow!("nft failed")));
        let text = m.encode();
        for line in [
            "chainwall_redirector_bypass_packets_total{netns_role=\"node\"} 12",
            "chainwall_redirector_bypass_packets_total{netns_role=\"pod\"} 2",
            "chainwall_redirector_denied_packets_total{netns_role=\"node\"} 1",
            "chainwall_redirector_drift_restored_total{netns_role=\"node\"} 1",
            "chainwall_redirector_applies_total{result=\"applied\"} 1",
            "chainwall_redirector_applies_total{result=\"unchanged\"} 2",
            "chainwall_redirector_applies_total{result=\"error\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in:\n{text}");
        }
    }
}
