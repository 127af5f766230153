//! The controller's Prometheus metrics and their `/metrics` endpoint (plain HTTP/1.1 on
//! `--metrics-listen`). Labels are bounded: error kinds come from
//! [`Error::metric_label`](super::Error::metric_label), never from object names.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::compute::Actions;

/// The label of the error counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabel {
    /// A [`super::Error::metric_label`].
    pub error: &'static str,
}

/// Every metric.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Reconcile passes run (as leader).
    pub reconciles: Counter,
    /// Failed writes and other errors, by kind.
    pub errors: Family<ErrorLabel, Counter>,
    /// Serialised plan size per node, bytes.
    pub plan_bytes: Histogram,
    /// The largest plan, bytes.
    pub plan_bytes_max: Gauge,
    /// RedirectPlan writes attempted (server-side apply of a changed spec).
    pub plan_writes: Counter,
    /// 1 while this replica holds the Lease.
    pub leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chainwall_controller");
        let m = Metrics {
            reconciles: Counter::default(),
            errors: Family::default(),
            plan_bytes: Histogram::new(exponential_buckets(1024.0, 4.0, 8)),
            plan_bytes_max: Gauge::default(),
            plan_writes: Counter::default(),
            leader: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("reconciles", "Reconcile passes run as leader", m.reconciles.clone());
        registry.register("errors", "Reconcile errors by kind", m.errors.clone());
        registry.register("plan_bytes", "Serialised RedirectPlan spec size per node", m.plan_bytes.clone());
        registry.register("plan_bytes_max", "Largest RedirectPlan spec, bytes", m.plan_bytes_max.clone());
        registry.register("plan_writes", "RedirectPlan writes attempted", m.plan_writes.clone());
        registry.register("leader", "1 while this replica holds the Lease", m.leader.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Records one pass.
    pub fn record(&self, actions: &Actions, errors: &[super::Error]) {
        self.reconciles.inc();
        for bytes in actions.plan_bytes.values() {
            self.plan_bytes.observe(*bytes as f64);
        }
        let max = actions.plan_bytes.values().max().copied().unwrap_or(0);
        self.plan_bytes_max.set(i64::try_from(max).unwrap_or(i64::MAX));
        self.plan_writes.inc_by(actions.apply_plans.len() as u64);
        for e in errors {
            self.errors.get_or_create(&ErrorLabel { error: e.metric_label() }).inc();
        }
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Serves `GET /metrics` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = if head.starts_with("GET /metrics ") {
                ("200 OK", metrics.encode())
            } else {
                ("404 Not Found", String::from("not found\n"))
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{Metrics, serve};
    use crate::controller::Error;
    use crate::controller::compute::Actions;

    #[tokio::test]
    async fn metrics_count_passes_errors_by_kind_and_plan_sizes_and_are_served() {
        let metrics = Arc::new(Metrics::default());
        let mut actions = Actions::default();
        actions.plan_bytes.insert("node-a".into(), 2048);
        actions.plan_bytes.insert("node-b".into(), 512);
        let errors = [Error::PlanTooLarge { node: "node-c".into(), bytes: 2, limit: 1 }];
        metrics.record(&actions, &errors);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, metrics));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        for line in [
            "chainwall_controller_reconciles_total 1",
            "chainwall_controller_errors_total{error=\"plan_too_large\"} 1",
            "chainwall_controller_plan_bytes_max 2048",
            "chainwall_controller_plan_bytes_count 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in:\n{text}");
        }
    }
}
