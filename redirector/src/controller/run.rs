//! The controller process: reflectors feed the stores, a Lease loop says who leads, and the
//! leader reconciles after every burst of watch events (and every `--resync-secs`).
//!
//! Watches recover on their own: kube-runtime's watcher relists when a watch ends with
//! `410 Gone` (an expired resourceVersion) or any other error (with backoff), and the reflector
//! store replaces its content with the relist. Since each pass recomputes from the stores, a
//! relist needs nothing more from us.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use futures::{StreamExt, stream::BoxStream};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use policy_crd::api::{L7NetworkPolicy, RedirectPlan, SecurityPolicy};
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};

use super::metrics::Metrics;
use super::observe::Observed;
use super::{MANAGER, apply, compute, leader};

/// Flags of `redirector controller` (every one also `REDIRECTOR_*`).
#[derive(Clone, Debug, Args)]
pub struct ControllerArgs {
    /// Where to serve `/metrics` (`IP:PORT`).
    #[arg(long, env = "REDIRECTOR_METRICS_LISTEN", default_value = "0.0.0.0:9090")]
    pub metrics_listen: std::net::SocketAddr,
    /// The Lease's namespace.
    #[arg(long, env = "POD_NAMESPACE", default_value = "chainwall-system")]
    pub lease_namespace: String,
    /// The Lease's name.
    #[arg(long, env = "REDIRECTOR_LEASE_NAME", default_value = "chainwall-controller")]
    pub lease_name: String,
    /// This replica's identity in the Lease (default: the pod name, else the host name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Lease duration, seconds; renewed every third of it.
    #[arg(long, env = "REDIRECTOR_LEASE_SECS", default_value_t = 15, value_parser = clap::value_parser!(i32).range(3..=300))]
    pub lease_secs: i32,
    /// Reconcile at least this often even without watch events, seconds.
    #[arg(long, env = "REDIRECTOR_RESYNC_SECS", default_value_t = 60)]
    pub resync_secs: u64,
}

/// A store and the stream that fills it; every event pokes `dirty`.
fn reflect<K>(api: Api<K>, dirty: Arc<Notify>) -> (Store<K>, BoxStream<'static, ()>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    // managedFields are never read, so the stores do not keep them.
    let objects = watcher(api, watcher::Config::default()).default_backoff().modify(|o: &mut K| {
        o.meta_mut().managed_fields = None;
    });
    let stream = reflector::reflector(writer, objects)
        .map(move |event| {
            if let Err(e) = event {
                eprintln!("redirector controller: watch {}: {e} (retrying)", K::kind(&()));
            }
            dirty.notify_one();
        })
        .boxed();
    (reader, stream)
}

/// `redirector controller`.
pub async fn run(args: &ControllerArgs) -> Result<()> {
    let client = Client::try_default().await.context("no kubeconfig and not in a cluster")?;
    let me = match &args.identity {
        Some(id) => id.clone(),
        None => {
            std::fs::read_to_string("/proc/sys/kernel/hostname").map_or_else(|_| MANAGER.into(), |h| h.trim().into())
        }
    };
    let metrics = Arc::new(Metrics::default());
    let listener = tokio::net::TcpListener::bind(args.metrics_listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.metrics_listen))?;
    tokio::spawn(super::metrics::serve(listener, metrics.clone()));

    let dirty = Arc::new(Notify::new());
    let (namespaces, s1) = reflect::<Namespace>(Api::all(client.clone()), dirty.clone());
    let (pods, s2) = reflect::<Pod>(Api::all(client.clone()), dirty.clone());
    let (nodes, s3) = reflect::<Node>(Api::all(client.clone()), dirty.clone());
    let (policies, s4) = reflect::<L7NetworkPolicy>(Api::all(client.clone()), dirty.clone());
    let (security, s5) = reflect::<SecurityPolicy>(Api::all(client.clone()), dirty.clone());
    let (plans, s6) = reflect::<RedirectPlan>(Api::all(client.clone()), dirty.clone());
    tokio::spawn(futures::stream::select_all([s1, s2, s3, s4, s5, s6]).for_each(|()| async {}));

    let (is_leader, leading) = watch::channel(false);
    let leases: Api<Lease> = Api::namespaced(client.clone(), &args.lease_namespace);
    let (lease_name, lease_secs, wake) = (args.lease_name.clone(), args.lease_secs, dirty.clone());
    let gauge = metrics.leader.clone();
    let identity = me.clone();
    tokio::spawn(async move {
        let renew = Duration::from_secs(u64::try_from(lease_secs / 3).unwrap_or(5).max(1));
        let mut seen = leader::Seen::default();
        loop {
            let now = Timestamp::now();
            let held = match leader::step(&leases, &lease_name, &identity, now, lease_secs, &mut seen).await {
                Ok(held) => held,
                Err(e) => {
                    eprintln!("redirector controller: {e}");
                    false
                }
            };
            if held != *is_leader.borrow() {
                println!(
                    "redirector controller: {identity} {} the lease",
                    if held { "holds" } else { "does not hold" }
                );
                if held {
                    wake.notify_one();
                }
            }
            gauge.set(i64::from(held));
            _ = is_leader.send(held);
            tokio::time::sleep(renew).await;
        }
    });

    for ready in [namespaces.wait_until_ready().await, pods.wait_until_ready().await, nodes.wait_until_ready().await] {
        ready.context("a store closed before its first list")?;
    }
    for ready in [policies.wait_until_ready().await, security.wait_until_ready().await, plans.wait_until_ready().await]
    {
        ready.context("a store closed before its first list")?;
    }
    println!("redirector controller: {me} watching; metrics on {}", args.metrics_listen);
    let recorder = Recorder::new(client.clone(), Reporter { controller: MANAGER.into(), instance: Some(me) });
    let resync = Duration::from_secs(args.resync_secs.max(1));
    loop {
        _ = tokio::time::timeout(resync, dirty.notified()).await;
        tokio::time::sleep(Duration::from_millis(200)).await; // let a burst of events settle
        if !*leading.borrow() {
            continue;
        }
        let observed = Observed {
            namespaces: namespaces.state(),
            pods: pods.state(),
            nodes: nodes.state(),
            policies: policies.state(),
            security_policies: security.state(),
            plans: plans.state(),
        };
        let actions = compute::compute(&observed, Timestamp::now());
        for pod in &actions.skipped_pods {
            eprintln!("redirector controller: pod {pod}: left out of the plan");
        }
        let errors = apply::apply(&client, &recorder, &actions).await;
        for e in &errors {
            eprintln!("redirector controller: {e}");
        }
        metrics.record(&actions, &errors);
    }
}
