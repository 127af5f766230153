//! The SecurityPolicies the agent watches when it hands the inspector its policy file
//! (`--inspector-policy`): the RedirectPlan carries only their failure modes, so their specs
//! come from a reflector store of their own (the agent's RBAC may read them). The file is
//! written after a successful reconcile ([`super::run`]), never from a store that has not
//! listed yet (an empty store would refuse every flow).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use policy_crd::api::{SecurityPolicy, SecurityPolicySpec};

/// A watched store of every SecurityPolicy.
#[derive(Clone)]
pub struct Policies {
    store: Store<SecurityPolicy>,
}

impl Policies {
    /// Starts the watch (a task that relists after `410 Gone` and retries with backoff).
    pub fn watch(client: Client) -> Policies {
        let (store, writer) = reflector::store();
        let events = watcher(Api::<SecurityPolicy>::all(client), watcher::Config::default()).default_backoff();
        let stream = reflector::reflector(writer, events);
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                if let Err(e) = event {
                    eprintln!("redirector agent: watch SecurityPolicy: {e} (retrying)");
                }
            }
        });
        Policies { store }
    }

    /// Every SecurityPolicy's spec by name, once the first list arrived (waiting at most
    /// `wait` for it); `None` before.
    pub async fn snapshot(&self, wait: Duration) -> Option<BTreeMap<String, SecurityPolicySpec>> {
        tokio::time::timeout(wait, self.store.wait_until_ready()).await.ok()?.ok()?;
        Some(self.store.state().iter().map(|p| (p.name_any(), p.spec.clone())).collect())
    }
}
