//! The controller's errors, each with a bounded metric label.

/// Something one reconcile step could not do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The apiserver refused or failed a request.
    #[error("{what}: {source}")]
    Api {
        /// The request (`apply RedirectPlan node-a`).
        what: String,
        /// The client's error.
        source: kube::Error,
    },
    /// A node's plan is over [`super::MAX_PLAN_BYTES`]; it is not written.
    #[error("the plan of node {node} is {bytes} bytes, over the {limit}-byte limit: not written")]
    PlanTooLarge {
        /// Node name.
        node: String,
        /// Its serialised size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
}

impl Error {
    /// A label from a fixed set, for `chainwall_controller_errors_total{error=...}`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::PlanTooLarge { .. } => "plan_too_large",
            Error::Api { source: kube::Error::Api(status), .. } => match status.code {
                403 => "api_forbidden",
                404 => "api_not_found",
                409 => "api_conflict",
                410 => "api_gone",
                422 => "api_invalid",
                _ => "api_other",
            },
            Error::Api { .. } => "api_transport",
        }
    }

    /// An API error with what was being done.
    pub fn api(what: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let what = what.into();
        move |source| Error::Api { what, source }
    }
}
