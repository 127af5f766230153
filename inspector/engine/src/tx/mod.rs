//! A transaction: one request (and its response) evaluated phase by phase against a
//! [`RuleSet`]. Each phase returns `Some(Interruption)` when a rule stops the request; that
//! is a verdict, never an error.
//!
//! ```text
//! request_headers ─▶ phase 1 ─▶ request_body ─▶ phase 2 ─▶ response_headers ─▶ phase 3
//!   ─▶ response_body ─▶ phase 4 ─▶ finish ─▶ phase 5 (logging)
//! ```

mod body;
mod effects;
mod eval;
mod prefilter;
mod recycle;
mod resolve;
mod state;
mod transformed;

use std::net::SocketAddr;

use crate::request::RequestVars;
use crate::ruleset::RuleSet;

pub use state::{InterruptAction, Interruption, MatchedRule, Transaction};

/// The two ends of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Client address (`REMOTE_ADDR`, `REMOTE_PORT`).
    pub client: SocketAddr,
    /// Server address (`SERVER_ADDR`, `SERVER_PORT`).
    pub server: SocketAddr,
}

impl RuleSet {
    /// Starts a transaction; `id` becomes `UNIQUE_ID`.
    pub fn transaction(&self, connection: Connection, id: String) -> Transaction<'_> {
        Transaction::new(self, connection, id)
    }
}

impl Transaction<'_> {
    /// Request line and headers arrived: derives the request variables, runs phase 1.
    pub fn request_headers<'h>(
        &mut self,
        method: &[u8],
        target: &[u8],
        version: &str,
        headers: impl IntoIterator<Item = (&'h [u8], &'h [u8])>,
    ) -> Option<Interruption> {
        self.request = RequestVars::new(method, target, version, headers, self.rules.settings.argument_separator);
        self.args = self.request.args_get.clone();
        self.unions.clear();
        self.run_phase(1)
    }

    /// The request body (up to the inspection limit) arrived: runs the body processor and
    /// phase 2. Call it with an empty body when there is none.
    pub fn request_body(&mut self, body: &[u8]) -> Option<Interruption> {
        if self.interruption.is_none() {
            self.process_request_body(body);
        }
        self.run_phase(2)
    }

    /// Response status line and headers: runs phase 3.
    pub fn response_headers<'h>(
        &mut self,
        status: u16,
        protocol: &str,
        headers: impl IntoIterator<Item = (&'h [u8], &'h [u8])>,
    ) -> Option<Interruption> {
        self.response.status = status;
        self.response.protocol = protocol.as_bytes().to_vec();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case(b"content-type") {
                let ct = value.split(|&b| b == b';').next().unwrap_or_default();
                self.response.content_type = ct.to_vec();
            }
            self.response.headers.push(name, value);
        }
        self.run_phase(3)
    }

    /// The response body (up to the limit): runs phase 4 when response inspection applies.
    pub fn response_body(&mut self, body: &[u8]) -> Option<Interruption> {
        let s = &self.rules.settings;
        let inspect = s.response_body_access
            && s.response_mime_types.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(&self.response.content_type));
        if inspect {
            self.response.body = body.to_vec();
        }
        self.run_phase(4)
    }

    /// Runs phase 5 (logging); always runs, even after an interruption.
    pub fn finish(&mut self) {
        let interrupted = self.interruption.take();
        self.run_phase(5);
        self.interruption = interrupted;
    }
}

/// Transactions move between threads (an async proxy awaits the upstream mid-transaction).
const _: fn() = || {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Transaction<'static>>();
    sync::<RuleSet>();
};
