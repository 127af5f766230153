//! Policy reloads, on SIGHUP ([`crate::Running::reload`]) and when a policy file changes
//! (modification times polled every `--policy-poll`). The new policies are read, rendered
//! and compiled off the async threads; only then are the rules swapped, so connections and
//! transactions in flight carry on (each transaction keeps the rule set it started with).
//! A bad new version keeps the old rules, is logged, and counts
//! `chainwall_config_reloads_total{result="error"}`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{Mutex, watch};

use crate::config::PolicySource;
use crate::flows::{self, Flows};
use crate::metrics::Metrics;
use crate::policy::{self, PolicyError, PolicyErrors};
use crate::proxy::Proxy;

/// Reloads the policy of one proxy.
#[derive(Debug)]
pub struct Reloader {
    pub source: PolicySource,
    /// `--rules` files following the policy.
    pub extra: Vec<PathBuf>,
    /// The explicit upstream (its policy only), or `None`: every flow's policy.
    pub upstream: Option<SocketAddr>,
    pub proxy: Arc<Proxy>,
    pub metrics: Arc<Metrics>,
    /// One reload at a time.
    pub lock: Mutex<()>,
}

impl Reloader {
    /// Reads, compiles and, when valid, swaps in the policy.
    pub async fn reload(&self) -> Result<(), PolicyErrors> {
        let _one = self.lock.lock().await;
        let (source, extra, upstream) = (self.source.clone(), self.extra.clone(), self.upstream);
        let loaded = tokio::task::spawn_blocking(move || flows::load_policy(&source, &extra, upstream))
            .await
            .unwrap_or_else(|e| {
                let message = format!("reload task failed: {e}");
                Err(PolicyErrors(vec![PolicyError { file: self.source.path.clone(), field: String::new(), message }]))
            });
        match loaded {
            Ok(ruleset) => {
                let flows = Flows::from(ruleset);
                self.metrics.reloaded(Some(&flows.ids));
                tracing::info!(policies = ?flows.names(), rules = flows.ids.len(), "policy reloaded");
                self.proxy.swap(flows);
                Ok(())
            }
            Err(errors) => {
                self.metrics.reloaded(None);
                tracing::error!(error = %errors, "policy reload failed; the previous policy stays in force");
                Err(errors)
            }
        }
    }

    /// Reloads whenever the policy files change, until `shutdown` changes.
    pub async fn watch(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut seen = fingerprint(&self.source.path);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.source.poll) => {}
                _ = shutdown.changed() => return,
            }
            let now = fingerprint(&self.source.path);
            if now != seen {
                seen = now;
                let _ = self.reload().await;
            }
        }
    }
}

/// The files of a policy path with their modification times and sizes.
fn fingerprint(path: &Path) -> Vec<(PathBuf, Option<SystemTime>, u64)> {
    let files = policy::files(path).unwrap_or_else(|_| vec![path.to_owned()]);
    files
        .into_iter()
        .map(|file| {
            let meta = std::fs::metadata(&file).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (file, modified, len)
        })
        .collect()
}
