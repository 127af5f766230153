//! `inspector`: Chainwall's inspection proxy. Every request is read and limited, turned into
//! one canonical form, evaluated by the SecLang/CRS engine (`inspector-engine`), then either
//! answered with a block or forwarded, rebuilt from that same canonical form, to the upstream.
//!
//! ```text
//! config (clap, INSPECTOR_*) ─▶ validate ─▶ rules::load ─▶ start: bind listeners
//! accept ─▶ proxy::handle: request ─▶ inspect ─▶ forward ─▶ inspect (response) ─▶ respond
//!                          └──────────── metrics, audit ◀───────────┘
//! admin listener: /metrics /healthz /readyz (health)
//! ```
//!
//! Tests drive [`start`] in-process (listeners on `127.0.0.1:0`); `main` adds signals and
//! logging. Modes: explicit upstream, `--transparent redirect` (sidecar, `SO_ORIGINAL_DST`)
//! and `--transparent tproxy` (chain, `IP_TRANSPARENT`), see [`origin`] and [`dial`]; HTTP/1.1
//! and HTTP/2 in (h2c, or h2 by ALPN with `--tls-cert`, see [`tls`]), HTTP/1.1 to the upstream
//! (HTTP/2 for gRPC, see [`grpc`]); WebSocket handshakes tunnelled after a 101 ([`upgrade`]).

pub mod accept;
pub mod audit;
pub mod body;
pub mod conclude;
pub mod config;
pub mod dial;
pub mod flows;
pub mod forward;
pub mod grpc;
pub mod health;
pub mod id;
pub mod idle;
pub mod inspect;
pub mod lanes;
pub mod metrics;
pub mod origin;
pub mod path;
pub mod policy;
pub mod pool;
pub mod proxy;
pub mod reload;
pub mod request;
pub mod respond;
pub mod rules;
pub mod sign;
pub mod strict;
pub mod tap;
pub mod tls;
pub mod upgrade;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::config::{AuditSink, Config, Mode};
use crate::dial::Pools;
use crate::flows::{Flows, Ruleset};
use crate::health::{Admin, Probe};
use crate::metrics::Metrics;
use crate::origin::OriginalDst;
use crate::policy::PolicyErrors;
use crate::proxy::{Inspected, Proxy};
use crate::reload::Reloader;

/// Failure to start (our side or the environment's, never a client's).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot open the audit log {path}: {source}")]
    Audit { path: PathBuf, source: std::io::Error },
    #[error("cannot start the serving lanes: {0}")]
    Lanes(std::io::Error),
}

/// A running proxy.
#[derive(Debug)]
pub struct Running {
    /// Where the proxy listens (the real port when `--listen` had port 0).
    pub proxy_addr: SocketAddr,
    /// Where the admin endpoints listen.
    pub admin_addr: SocketAddr,
    pub metrics: Arc<Metrics>,
    reloader: Option<Arc<Reloader>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Reloads the policy files now (SIGHUP); `None` without `--policy`.
    pub async fn reload(&self) -> Option<Result<(), PolicyErrors>> {
        Some(self.reloader.as_ref()?.reload().await)
    }

    /// Stops accepting connections and waits for the listeners to close.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Compiles what `config` asks for: with `--policy`, the policy serving the upstream (upstream
/// mode) or every policy of the flow map (transparent modes), the `--rules` files following
/// each; else the `--rules` files, for every flow. The error is for humans.
pub fn load_rules(config: &Config) -> Result<Ruleset, String> {
    match &config.policy {
        Some(source) => flows::load_policy(source, &config.rules, config.mode.upstream()).map_err(|e| e.to_string()),
        None => rules::load(&config.rules).map(|l| Ruleset::Single(Box::new(l))).map_err(|e| e.to_string()),
    }
}

/// Opens the audit log, binds both listeners and serves; `loaded` are the compiled rules.
pub async fn start(config: Config, loaded: Ruleset) -> Result<Running, StartError> {
    start_with(config, loaded, None).await
}

/// [`start`], with a hook seeing every inspected request that is forwarded (tests).
pub async fn start_with(config: Config, loaded: Ruleset, inspected: Option<Inspected>) -> Result<Running, StartError> {
    start_with_origin(config, loaded, inspected, OriginalDst::kernel()).await
}

/// [`start_with`], with the original-destination lookup of redirect mode chosen by the caller
/// (in-process tests use a stand-in for `SO_ORIGINAL_DST`).
pub async fn start_with_origin(
    config: Config,
    loaded: Ruleset,
    inspected: Option<Inspected>,
    lookup: OriginalDst,
) -> Result<Running, StartError> {
    let upstream = config.mode.upstream();
    let audit = match &config.audit {
        Some(sink) => Some(audit::AuditLog::open(sink).map_err(|source| StartError::Audit {
            path: match sink {
                AuditSink::File(p) => p.clone(),
                AuditSink::Stdout => PathBuf::from("-"),
            },
            source,
        })?),
        None => None,
    };
    let bind = |addr: SocketAddr, transparent| {
        origin::listen(addr, transparent).map_err(|source| StartError::Bind { addr, source })
    };
    let listener = bind(config.listen, matches!(config.mode, Mode::Tproxy { .. }))?;
    let admin_listener = bind(config.metrics_listen, false)?;
    let lanes = Arc::new(lanes::Lanes::start(config.workers).map_err(StartError::Lanes)?);
    let local = |l: &tokio::net::TcpListener, fallback| l.local_addr().unwrap_or(fallback);
    let (proxy_addr, admin_addr) = (local(&listener, config.listen), local(&admin_listener, config.metrics_listen));

    let flows = Flows::from(loaded);
    let metrics = Arc::new(Metrics::new(flows.ids.clone()));
    let policies = flows.names();
    let proxy = Arc::new(Proxy {
        active: RwLock::new(Arc::new(flows)),
        block_status: config.block_status,
        max_body: config.max_body,
        max_header_bytes: config.max_header_bytes,
        timeouts: config.timeouts,
        sign: config.sign,
        tls: config.tls,
        metrics: metrics.clone(),
        audit,
        pools: Pools::new(
            config.upstream_mark,
            matches!(config.mode, Mode::Tproxy { spoof_client: true }),
            config.timeouts.upstream_connect,
        ),
        ids: id::Ids::default(),
        permits: Arc::new(Semaphore::new(config.max_concurrent)),
        inspected,
    });
    let admin = Arc::new(Admin { metrics: metrics.clone(), probe: Probe::new(upstream), rules_compiled: true });
    let (shutdown, watch) = watch::channel(false);
    let builder = accept::builder(config.timeouts.header, config.max_header_bytes, lanes.clone());
    let reloader = config.policy.map(|source| {
        let extra = config.rules.clone();
        Arc::new(Reloader {
            source,
            extra,
            upstream,
            proxy: proxy.clone(),
            metrics: metrics.clone(),
            lock: Default::default(),
        })
    });
    let mut tasks = vec![
        tokio::spawn(accept::proxy(
            (listener, config.mode, proxy_addr, lookup),
            (proxy, lanes),
            builder,
            watch.clone(),
        )),
        tokio::spawn(accept::admin(admin_listener, admin, watch.clone())),
    ];
    if let Some(reloader) = &reloader {
        tasks.push(tokio::spawn(reloader.clone().watch(watch)));
    }
    let (mode, workers) = (config.mode, config.workers);
    tracing::info!(%proxy_addr, %admin_addr, ?mode, workers, mark = ?config.upstream_mark, ?policies, "inspector listening");
    Ok(Running { proxy_addr, admin_addr, metrics, reloader, shutdown, tasks })
}
