//! One transaction, phase by phase:
//!
//! ```text
//! admit (--max-concurrent, else 503) ─▶ request (canonical head) ─▶ policy of the flow
//!   ─▶ body (within the policy's limit: crate::body) ─▶ inspect phases 1-2 ─▶ block?
//!   ─▶ forward (canonical request, pooled client; a WebSocket 101 switches: crate::upgrade)
//!   ─▶ inspect phases 3-4 (only when the rules have response rules) ─▶ finish (phase 5)
//!   ─▶ conclude (metrics, audit line, response: crate::conclude)
//! ```
//!
//! Nothing is forwarded before phases 1-2 have run over the whole buffered body, except the
//! uninspected rest of a body over a `ProcessPartial` limit (counted as a bypass). The rules
//! come from the policy of the flow's original destination ([`Flows::select`]); a flow with
//! no policy is answered 503.

use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Version};
use hyper::upgrade::OnUpgrade;
use inspector_engine::ruleset::RuleSet;
use inspector_engine::tx::Connection;
use tokio::sync::Semaphore;

use crate::audit::AuditLog;
use crate::body::{self, BodyLimit, Read};
use crate::config::Timeouts;
use crate::dial::Pools;
use crate::flows::Flows;
use crate::forward::{self, BoxError};
use crate::id::Ids;
use crate::inspect::{self, Inspection};
use crate::metrics::{Metrics, Outcome, Scope};
use crate::origin::Flow;
use crate::request::{self, Canonical, Rejection};
use crate::respond::{self, ProxyBody};
use crate::sign::Signer;
use crate::strict::Framing;
use crate::tap::Heads;
use crate::{grpc, upgrade};

/// The connection is closed without a response (a rule's `drop` action).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by rule {0}")]
pub struct Dropped(pub u64);

/// Everything a transaction needs, shared by all connections.
#[derive(Debug)]
pub struct Proxy {
    /// The rules in force, by original destination; a reload swaps them, transactions keep
    /// the set they started with.
    pub active: RwLock<Arc<Flows>>,
    pub block_status: StatusCode,
    pub max_body: u64,
    pub max_header_bytes: usize,
    pub timeouts: Timeouts,
    /// The signed marker header added to every forwarded request.
    pub sign: Option<Signer>,
    /// TLS termination of client connections.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub metrics: Arc<Metrics>,
    pub audit: Option<AuditLog>,
    /// Upstream connections, pooled by original destination (and client address when spoofing).
    pub pools: Pools,
    pub ids: Ids,
    pub permits: Arc<Semaphore>,
    /// Test hook: called with each canonical request the engine inspected and that is forwarded.
    pub inspected: Option<Inspected>,
}

/// A compiled rule set in force, and the policy it came from (`-` for plain `--rules`).
#[derive(Debug)]
pub struct Active {
    pub policy: String,
    pub rules: RuleSet,
    /// Whether the set has any rule: without, no engine transaction is built.
    pub has_rules: bool,
    pub needs_response: bool,
}

impl Active {
    pub fn new(policy: String, rules: RuleSet) -> Self {
        let (has_rules, needs_response) = (inspect::has_rules(&rules), inspect::needs_response(&rules));
        Self { policy, has_rules, needs_response, rules }
    }
}

/// Who a transaction is: its id, its flow and where it is inspected.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Who<'a> {
    pub id: &'a str,
    pub flow: Flow,
    pub scope: Scope<'a>,
}

/// A hook receiving each inspected canonical request (tests compare it with what the
/// upstream received).
#[derive(Clone)]
pub struct Inspected(pub Arc<dyn Fn(&Canonical) + Send + Sync>);

impl std::fmt::Debug for Inspected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inspected")
    }
}

pub(crate) type Answer = Result<Response<ProxyBody>, Dropped>;

impl Proxy {
    /// The rules in force now.
    pub fn active(&self) -> Arc<Flows> {
        self.active.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Puts `active` in force for new transactions.
    pub fn swap(&self, active: Flows) {
        *self.active.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(active);
    }

    /// Handles one request of `flow`; `heads` holds the raw HTTP/1.x heads of the
    /// connection. A chunked request or a refusal closes the connection.
    pub async fn handle<B>(self: Arc<Self>, flow: Flow, heads: Heads, req: Request<B>) -> Answer
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let id = self.ids.next();
        let close = match req.version() {
            Version::HTTP_2 => false,
            _ => match heads.next() {
                Ok(framing) => framing == Framing::Chunked,
                Err(rejection) => {
                    return Ok(self.reject(rejection, &id, flow, (req.method().as_str(), &req.uri().to_string())));
                }
            },
        };
        let answer = self.clone().transact(flow, id, req).await;
        if answer.as_ref().is_ok_and(|resp| resp.status() == StatusCode::SWITCHING_PROTOCOLS) {
            heads.stop();
        }
        match answer {
            Ok(resp) if close => Ok(respond::closing(resp)),
            answer => answer,
        }
    }

    async fn transact<B>(self: Arc<Self>, flow: Flow, id: String, req: Request<B>) -> Answer
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let Ok(_permit) = self.permits.clone().try_acquire_owned() else {
            return Ok(self.reject(Rejection::Overloaded, &id, flow, (req.method().as_str(), &req.uri().to_string())));
        };
        let (mut parts, body) = req.into_parts();
        let switch = upgrade::is_websocket(&parts).then(|| parts.extensions.remove::<OnUpgrade>()).flatten();
        let (mut canon, declared) = match request::head(&parts, self.max_header_bytes) {
            Ok(head) => head,
            Err(rejection) => {
                return Ok(self.reject(rejection, &id, flow, (parts.method.as_str(), &parts.uri.to_string())));
            }
        };
        if switch.is_some() {
            upgrade::keep_upgrade(&mut canon);
        }
        grpc::keep_te(&parts, &mut canon);
        if let Some(signer) = &self.sign {
            // Only the inspector may produce the marker: a client's copy is not even inspected.
            canon.headers.remove(signer.header());
        }
        let flows = self.active();
        let namespace = flows.namespace(flow.destination);
        let Some(active) = flows.select(flow.destination) else {
            tracing::warn!(request_id = id, destination = %flow.destination, "no policy for this destination: refused");
            self.metrics.flow_refused("no_policy");
            self.metrics.request(Scope { policy: "-", namespace }, Outcome::Reject);
            return Ok(respond::closing(respond::refused(StatusCode::SERVICE_UNAVAILABLE, &id)));
        };
        let scope = Scope { policy: &active.policy, namespace };
        let limit = BodyLimit::new(self.max_body, &active.rules.settings);
        let rest = match tokio::time::timeout(self.timeouts.body, body::read(&mut canon, declared, body, limit)).await {
            Ok(Ok(Read::Whole)) => None,
            Ok(Ok(Read::Partial { rest })) => {
                self.metrics.body_over_limit(scope, "process_partial");
                Some(rest)
            }
            Ok(Err(rejection)) => {
                if rejection == Rejection::BodyTooLarge {
                    self.metrics.body_over_limit(scope, "reject");
                }
                return Ok(self.reject(rejection, &id, flow, (canon.method.as_str(), &canon.target)));
            }
            Err(_) => return Ok(self.reject(Rejection::Timeout, &id, flow, (canon.method.as_str(), &canon.target))),
        };
        let who = Who { id: &id, flow, scope };
        let (inspection, stop) = if active.has_rules {
            let tx = active.rules.transaction(Connection { client: flow.client, server: flow.server }, id.clone());
            Inspection::request(tx, &canon)
        } else {
            (Inspection::without_rules(&active.rules), None)
        };
        if stop.is_some() {
            return self.conclude(who, &canon, inspection.finish(), None);
        }
        if let Some(hook) = &self.inspected {
            (hook.0)(&canon);
        }
        if rest.is_some() {
            self.metrics.bypass(scope, "body_prefix");
        }
        let outgoing = forward::outgoing(canon.body.clone(), rest);
        self.forward(who, &mut canon, (&active, inspection), (outgoing, switch)).await
    }

    /// Sends the inspected request upstream; phases 3-4 when the rules have response rules.
    async fn forward(
        &self,
        who: Who<'_>,
        canon: &mut Canonical,
        (active, mut inspection): (&Active, Inspection<'_>),
        (outgoing, switch): (forward::Outgoing, Option<OnUpgrade>),
    ) -> Answer {
        let Who { id, flow, .. } = who;
        let idle = self.timeouts.idle;
        let relay = |resp: Response<_>| match switch {
            Some(client) => upgrade::relay(resp, client, id, idle),
            None => respond::upstream(resp, id),
        };
        let client = self.pools.for_client(flow.client.ip());
        let marker = self.sign.as_ref().map(|s| (s.header().clone(), s.value(id)));
        let sent =
            forward::send(&client, canon, (flow.destination, &marker), (outgoing, self.timeouts.upstream_response));
        if !active.needs_response {
            let report = inspection.finish();
            let upstream = sent.await.map(relay);
            return self.conclude(who, canon, report, Some(upstream));
        }
        let resp = match sent.await {
            Ok(resp) => resp,
            Err(e) => return self.conclude(who, canon, inspection.finish(), Some(Err(e))),
        };
        let (parts, body) = resp.into_parts();
        // A response-phase interruption is kept by the transaction and reported by `finish`.
        let resp = if inspect::inspects_response_body(&active.rules, &parts.headers) {
            let limit = usize::try_from(active.rules.settings.response_body_limit).unwrap_or(usize::MAX);
            forward::buffer_prefix(body, limit).await.map(|(prefix, body)| {
                inspection.response(parts.status.as_u16(), &parts.headers, Some(&prefix));
                respond::upstream(Response::from_parts(parts, body), id)
            })
        } else {
            inspection.response(parts.status.as_u16(), &parts.headers, None);
            Ok(relay(Response::from_parts(parts, body)))
        };
        self.conclude(who, canon, inspection.finish(), Some(resp))
    }
}
