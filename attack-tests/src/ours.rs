//! Our side: `inspector-engine` in-process, loading the very `main.conf` nginx loads, and
//! fed the same request bytes (and the backend's `200 ok` response) that ModSecurity saw.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::{FsSource, parse};
use inspector_engine::tx::Connection;

use crate::Error;

/// Compiles the ModSecurity config at `main_conf`.
pub fn compile(main_conf: &Path) -> Result<RuleSet, Error> {
    let config = parse(main_conf, &FsSource).map_err(|e| Error::Engine(e.to_string()))?;
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    ruleset::compile(&config, &read).map_err(|e| Error::Engine(e.to_string()))
}

/// What our engine reported for one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Ids of the matched rules that log.
    pub ids: BTreeSet<u64>,
    /// The rule that interrupted the transaction (engine `On` only).
    pub interrupted_by: Option<u64>,
}

/// The response the peer's backend gives (`return 200 "ok\n"`, text/plain).
const RESPONSE_HEADERS: &[(&str, &str)] = &[
    ("Server", "nginx/1.22.1"),
    ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
    ("Content-Type", "text/plain"),
    ("Content-Length", "3"),
    ("Connection", "keep-alive"),
];

/// Runs one request through every phase, as nginx's connector does.
pub fn evaluate(
    rules: &RuleSet,
    server: SocketAddr,
    (method, target, version): (&str, &str, &str),
    headers: &[(String, String)],
    body: &[u8],
) -> Outcome {
    let connection = Connection { client: SocketAddr::from(([127, 0, 0, 1], 40000)), server };
    let mut tx = rules.transaction(connection, "attack-tests".into());
    let kept = headers.iter().filter(|(name, _)| nginx_keeps(name));
    let request_headers = kept.map(|(n, v)| (n.as_bytes(), v.as_bytes()));
    let target = as_nginx_passes_it(target);
    let mut stop = tx.request_headers(method.as_bytes(), target.as_bytes(), version, request_headers);
    if stop.is_none() {
        stop = tx.request_body(body);
    }
    if stop.is_none() {
        let response_headers = RESPONSE_HEADERS.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
        stop = tx.response_headers(200, "HTTP/1.1", response_headers);
    }
    if stop.is_none() {
        stop = tx.response_body(b"ok\n");
    }
    tx.finish();
    Outcome {
        ids: tx.matched_rules().iter().filter(|m| m.logged).map(|m| m.id).collect(),
        interrupted_by: stop.map(|i| i.rule_id),
    }
}

/// The target as nginx's connector hands it to ModSecurity (`r->unparsed_uri`): without a
/// `#fragment` (not part of a request-target, RFC 9112 section 3.2), and an absolute-form
/// target as its origin-form part (`/` when it has no path). The inspector does the same
/// to absolute-form and refuses a fragment.
fn as_nginx_passes_it(target: &str) -> &str {
    let target = target.split_once('#').map_or(target, |(before, _)| before);
    if target.starts_with('/') {
        return target;
    }
    let Some((_, rest)) = target.split_once("://") else { return target };
    rest.find(['/', '?']).map_or("/", |at| &rest[at..])
}

/// Whether nginx hands a header to its connector: with `ignore_invalid_headers` (the
/// default) a name of anything but letters, digits and `-` (`X_Filename`, `X.Filename`) is
/// dropped. The inspector keeps such headers (they are valid tokens).
fn nginx_keeps(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::{as_nginx_passes_it, nginx_keeps};

    #[test]
    fn headers_nginx_ignores_never_reach_modsecurity() {
        assert!(nginx_keeps("X-Filename"));
        assert!(!nginx_keeps("X_Filename"));
        assert!(!nginx_keeps("X.Filename"));
    }

    #[test]
    fn targets_reach_modsecurity_in_origin_form_without_a_fragment() {
        assert_eq!(as_nginx_passes_it("/a?x=1#frag"), "/a?x=1");
        assert_eq!(as_nginx_passes_it("/a#?x=1"), "/a");
        assert_eq!(as_nginx_passes_it("http://localhost"), "/");
        assert_eq!(as_nginx_passes_it("http://localhost:80/a/b?c=d"), "/a/b?c=d");
        assert_eq!(as_nginx_passes_it("*"), "*");
    }
}
