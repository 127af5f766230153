//! Phase "conclude": what a finished (or refused) transaction leaves behind: the metrics,
//! the audit line, and the client's answer (the block, the refusal or the upstream's
//! response).

use http::{Response, StatusCode};
use inspector_engine::tx::InterruptAction;

use crate::audit::Record;
use crate::forward::UpstreamError;
use crate::inspect::Report;
use crate::metrics::{Outcome, Scope};
use crate::origin::Flow;
use crate::proxy::{Answer, Dropped, Proxy, Who};
use crate::request::{Canonical, Rejection};
use crate::respond::{self, ProxyBody};

/// A refused request, as `Proxy::refused` records it.
struct Refusal<'a> {
    id: &'a str,
    flow: Flow,
    req: (&'a str, &'a str),
    reason: &'a str,
    audited: bool,
}

impl Proxy {
    /// A request refused before inspection (`req`: its method and target): answered with
    /// the rejection's status and closed; counted and audited.
    pub(crate) fn reject(&self, rejection: Rejection, id: &str, flow: Flow, req: (&str, &str)) -> Response<ProxyBody> {
        tracing::debug!(request_id = id, %rejection, "request refused");
        // Overload is counted, not audited: a line per shed request would add disk writes
        // exactly when the inspector is short of time.
        let audited = rejection != Rejection::Overloaded;
        self.refused(Refusal { id, flow, req, reason: &rejection.to_string(), audited });
        respond::closing(respond::refused(rejection.status(), id))
    }

    /// A request the HTTP parser refused (hyper answered 400 or 431 and closed): nothing was
    /// forwarded; counted as a rejection of the flow's policy and audited.
    pub(crate) fn unparsable(&self, flow: Flow, error: &dyn std::fmt::Display) {
        tracing::debug!(client = %flow.client, destination = %flow.destination, %error, "unparsable request refused");
        let id = self.ids.next();
        let reason = format!("unparsable request: {error}");
        self.refused(Refusal { id: &id, flow, req: ("-", "-"), reason: &reason, audited: true });
    }

    /// `chainwall_requests_total{verdict="reject"}` of the flow's policy, and the audit line.
    fn refused(&self, refusal: Refusal<'_>) {
        let Refusal { id, flow, req, reason, audited } = refusal;
        let flows = self.active();
        let policy = flows.label(flow.destination);
        let scope = Scope { policy: &policy, namespace: flows.namespace(flow.destination) };
        self.metrics.request(scope, Outcome::Reject);
        if let Some(audit) = self.audit.as_ref().filter(|_| audited) {
            let ends = (flow.client.to_string(), flow.destination.to_string());
            let mut record = Record::rejected(id, req, ends, reason.to_owned());
            (record.policy, record.namespace) = (scope.policy, scope.namespace);
            audit.write(&record);
        }
    }

    /// Metrics, audit line and the client's answer, from the engine's report and (when the
    /// request was forwarded) the upstream's response.
    pub(crate) fn conclude(
        &self,
        who: Who<'_>,
        canon: &Canonical,
        report: Report,
        upstream: Option<Result<Response<ProxyBody>, UpstreamError>>,
    ) -> Answer {
        let Who { id, flow, scope } = who;
        self.metrics.inspection(report.took);
        for m in &report.matches {
            self.metrics.rule_match(m.id);
        }
        let outcome = match (&report.interruption, &upstream) {
            (Some(_), _) => Outcome::Block,
            (None, Some(Err(_))) => Outcome::UpstreamError,
            (None, _) if report.matches.is_empty() => Outcome::Pass,
            (None, _) => Outcome::Detect,
        };
        self.metrics.request(scope, outcome);
        if let Some(stop) = &report.interruption {
            self.metrics.blocked(scope, stop.rule_id, report.class());
        }
        if let Some(audit) = &self.audit
            && (report.interruption.is_some() || !report.matches.is_empty())
        {
            let verdict = if report.interruption.is_some() { "block" } else { "detect" };
            let ends = (flow.client.to_string(), flow.destination.to_string());
            let mut record = Record::new(id, (canon.method.as_str(), &canon.target), ends, verdict, &report);
            (record.policy, record.namespace) = (scope.policy, scope.namespace);
            audit.write(&record);
        }
        match (report.interruption, upstream) {
            (Some(stop), _) => match stop.action {
                InterruptAction::Deny => Ok(respond::blocked(self.block_status, id)),
                InterruptAction::Redirect(url) => Ok(respond::redirect(&url, id)),
                InterruptAction::Drop => Err(Dropped(stop.rule_id)),
            },
            (None, Some(Ok(resp))) => Ok(resp),
            (None, Some(Err(e))) => {
                tracing::warn!(request_id = id, error = %e, "upstream failed");
                self.metrics.upstream_error();
                Ok(respond::refused(e.status(), id))
            }
            (None, None) => Ok(respond::refused(StatusCode::INTERNAL_SERVER_ERROR, id)),
        }
    }
}
