//! Command line and environment (`INSPECTOR_*`) configuration, and its validation.
//!
//! [`Args`] is what clap parses; [`Args::validate`] turns it into a [`Config`] whose every
//! value has been checked, before any port is bound or any rule is compiled.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::sign::{SignError, Signer};

/// Chainwall's inspection proxy: every HTTP request is evaluated by the SecLang/CRS engine
/// before a canonical copy of it is forwarded to the upstream.
#[derive(Debug, Clone, Parser)]
#[command(name = "inspector", version, about, long_about = None)]
pub struct Args {
    /// Address the proxy listens on (HTTP/1.1 and h2c prior knowledge).
    #[arg(long, env = "INSPECTOR_LISTEN", default_value = "0.0.0.0:15001")]
    pub listen: SocketAddr,
    /// Explicit reverse-proxy mode: every request goes to this upstream (HOST:PORT).
    #[arg(long, env = "INSPECTOR_UPSTREAM", conflicts_with = "transparent")]
    pub upstream: Option<SocketAddr>,
    /// Transparent mode: the original destination comes from the socket (`redirect`:
    /// `SO_ORIGINAL_DST`, sidecar; `tproxy`: the local address of an `IP_TRANSPARENT` listener, chain).
    #[arg(long, env = "INSPECTOR_TRANSPARENT", value_enum)]
    pub transparent: Option<Transparent>,
    /// Transparent modes: the fwmark (`SO_MARK`) of every upstream socket, so that the redirect
    /// rules exempt the proxy (`meta mark 0x539 return`); `0` sets no mark (then run the proxy
    /// as a dedicated uid exempted by `meta skuid UID return`). Default 0x539; in tproxy mode
    /// 0x539 without the `--tproxy-mark` bits (0x538), which it must not share.
    #[arg(long, env = "INSPECTOR_UPSTREAM_MARK", value_parser = parse_mark)]
    pub upstream_mark: Option<u32>,
    /// `--transparent tproxy`: the mark of the `tproxy` rule and its `ip rule fwmark M/M`
    /// (the redirector's `tproxy_mark`); an upstream packet carrying it would be routed back
    /// to the inspector, so `--upstream-mark` must not share its bits.
    #[arg(long, env = "INSPECTOR_TPROXY_MARK", default_value = "0x1", value_parser = parse_mark)]
    pub tproxy_mark: u32,
    /// `--transparent tproxy`: connect upstream from the client's address (`on`, the server sees
    /// the real client; replies must route back through the inspector) or from the inspector's own (`off`).
    #[arg(long, env = "INSPECTOR_SPOOF_CLIENT", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub spoof_client: bool,
    /// SecLang rule file (repeatable, `Include` allowed); files are loaded in the given order.
    /// With `--policy`, these files follow each policy's rendered configuration.
    #[arg(long = "rules", env = "INSPECTOR_RULES", value_delimiter = ',', required_unless_present = "policy")]
    pub rules: Vec<PathBuf>,
    /// Policy file or directory: SecurityPolicies and the flow map (destination → policy).
    /// Reloaded on SIGHUP and when a file changes; a bad new version keeps the old one.
    #[arg(long, env = "INSPECTOR_POLICY")]
    pub policy: Option<PathBuf>,
    /// How often the policy files' modification times are checked.
    #[arg(long, env = "INSPECTOR_POLICY_POLL", default_value = "1s", value_parser = parse_duration)]
    pub policy_poll: Duration,
    /// The CRS setup file that policies include.
    #[arg(long, env = "INSPECTOR_CRS_SETUP", default_value = "/etc/modsecurity/crs/crs-setup.conf")]
    pub crs_setup: String,
    /// The CRS rule files that policies include (a glob).
    #[arg(long, env = "INSPECTOR_CRS_RULES", default_value = "/usr/share/modsecurity-crs/rules/*.conf")]
    pub crs_rules: String,
    /// Address of the metrics server (/metrics, /healthz, /readyz).
    #[arg(long, env = "INSPECTOR_METRICS_LISTEN", default_value = "127.0.0.1:15090")]
    pub metrics_listen: SocketAddr,
    /// Audit log: one JSON line per transaction with a match or a block (`-` = stdout).
    #[arg(long, env = "INSPECTOR_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// HTTP status answered to blocked requests.
    #[arg(long, env = "INSPECTOR_BLOCK_STATUS", default_value_t = 403)]
    pub block_status: u16,
    /// Largest request body buffered for inspection; a larger one is answered 413 and never forwarded.
    #[arg(long, env = "INSPECTOR_MAX_BODY", default_value_t = 10 * 1024 * 1024)]
    pub max_body: u64,
    /// Largest request head (request line and headers); a larger one is answered 431.
    #[arg(long, env = "INSPECTOR_MAX_HEADER_BYTES", default_value_t = 32 * 1024)]
    pub max_header_bytes: usize,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Most transactions inspected at once; more are answered 503.
    #[arg(long, env = "INSPECTOR_MAX_CONCURRENT", default_value_t = 1024)]
    pub max_concurrent: usize,
    /// Serving threads, each with its own event loop; a connection stays on one
    /// (default: one per CPU core).
    #[arg(long, env = "INSPECTOR_WORKERS")]
    pub workers: Option<usize>,
    /// Signed marker header: every forwarded request carries `NAME: <request-id>.<hex
    /// HMAC-SHA256(key, request-id)>`; a client's own header of that name is removed.
    #[arg(long, env = "INSPECTOR_SIGN_HEADER", requires = "sign_key_file")]
    pub sign_header: Option<String>,
    /// The HMAC key of `--sign-header` (the file's bytes, surrounding whitespace trimmed, at least 16).
    #[arg(long, env = "INSPECTOR_SIGN_KEY_FILE", requires = "sign_header")]
    pub sign_key_file: Option<PathBuf>,
    /// Terminate TLS with this PEM certificate chain (with `--tls-key`); ALPN h2 and http/1.1.
    #[arg(long, env = "INSPECTOR_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "INSPECTOR_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Compile the rules, print a summary and exit (0 when valid, 2 otherwise).
    #[arg(long, env = "INSPECTOR_CHECK_CONFIG")]
    pub check_config: bool,
}

/// The default `--upstream-mark` (1337, the redirector's default exemption).
pub const DEFAULT_MARK: u32 = 0x539;

/// The transparent modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transparent {
    /// Original destination from `SO_ORIGINAL_DST` (sidecar mode).
    Redirect,
    /// `IP_TRANSPARENT`, original destination from the local address (chain mode).
    Tproxy,
}

/// Where requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reverse proxy to one explicit upstream.
    Upstream(SocketAddr),
    /// Sidecar: the original destination from `SO_ORIGINAL_DST` (nat redirect).
    Redirect,
    /// Chain: an `IP_TRANSPARENT` listener; the original destination is the local address.
    /// With `spoof_client`, upstream sockets bind to the client's address.
    Tproxy { spoof_client: bool },
}

impl Mode {
    /// The explicit upstream, in upstream mode.
    pub fn upstream(self) -> Option<SocketAddr> {
        match self {
            Self::Upstream(addr) => Some(addr),
            Self::Redirect | Self::Tproxy { .. } => None,
        }
    }
}

/// Where audit lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSink {
    /// Standard output.
    Stdout,
    /// Appended to a file.
    File(PathBuf),
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub mode: Mode,
    /// The mark of upstream sockets (transparent modes, unless `--upstream-mark 0`).
    pub upstream_mark: Option<u32>,
    pub rules: Vec<PathBuf>,
    pub policy: Option<PolicySource>,
    pub metrics_listen: SocketAddr,
    pub audit: Option<AuditSink>,
    pub block_status: http::StatusCode,
    pub max_body: u64,
    pub max_header_bytes: usize,
    pub timeouts: Timeouts,
    pub max_concurrent: usize,
    /// Serving lanes (`--workers`, default the CPU count).
    pub workers: usize,
    /// The signed marker header (`--sign-header`).
    pub sign: Option<Signer>,
    /// TLS termination (`--tls-cert`, `--tls-key`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Where policies come from and what they include.
#[derive(Debug, Clone)]
pub struct PolicySource {
    pub path: PathBuf,
    pub crs: policy_crd::profile::CrsPaths,
    pub poll: Duration,
}

/// A configuration that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "--upstream-mark {mark:#x} shares bits with --tproxy-mark {tproxy:#x}: upstream packets would be routed back to the inspector"
    )]
    MarkOverlap { mark: u32, tproxy: u32 },
    #[error("--transparent: --listen {0} must be an IPv4 address (IPv6 is not yet supported)")]
    TransparentV6(SocketAddr),
    #[error("one of --upstream ADDR or --transparent MODE is required")]
    NoMode,
    #[error("--block-status {0}: expected a 4xx or 5xx status")]
    BlockStatus(u16),
    #[error("--{flag}: must be greater than 0")]
    Zero { flag: &'static str },
    #[error("--max-header-bytes {0}: must be at least 1024")]
    HeaderBytes(usize),
    #[error("--rules {0}: not a readable file")]
    RulesFile(String),
    #[error("--policy {0}: no such file or directory")]
    PolicyPath(String),
    #[error("--listen and --metrics-listen are the same address {0}")]
    SameAddress(SocketAddr),
    #[error("{0}")]
    Sign(#[from] SignError),
    #[error("{0}")]
    Tls(String),
}

impl Args {
    /// Checks every value; nothing is bound or compiled here.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let mode = match (self.upstream, self.transparent) {
            (Some(addr), None) => Mode::Upstream(addr),
            (_, Some(Transparent::Redirect)) => Mode::Redirect,
            (_, Some(Transparent::Tproxy)) => Mode::Tproxy { spoof_client: self.spoof_client },
            (None, None) => return Err(ConfigError::NoMode),
        };
        if mode.upstream().is_none() && !self.listen.is_ipv4() {
            return Err(ConfigError::TransparentV6(self.listen));
        }
        let tproxy = matches!(mode, Mode::Tproxy { .. });
        let default_mark = if tproxy { DEFAULT_MARK & !self.tproxy_mark } else { DEFAULT_MARK };
        let mark = self.upstream_mark.unwrap_or(default_mark);
        if tproxy && mark & self.tproxy_mark != 0 {
            return Err(ConfigError::MarkOverlap { mark, tproxy: self.tproxy_mark });
        }
        let upstream_mark = Some(mark).filter(|&m| m != 0 && mode.upstream().is_none());
        let block_status = http::StatusCode::from_u16(self.block_status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .ok_or(ConfigError::BlockStatus(self.block_status))?;
        if self.max_body == 0 {
            return Err(ConfigError::Zero { flag: "max-body" });
        }
        if self.max_concurrent == 0 {
            return Err(ConfigError::Zero { flag: "max-concurrent" });
        }
        if self.workers == Some(0) {
            return Err(ConfigError::Zero { flag: "workers" });
        }
        let workers = self.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        self.timeouts.validate()?;
        if self.max_header_bytes < 1024 {
            return Err(ConfigError::HeaderBytes(self.max_header_bytes));
        }
        if let Some(bad) = self.rules.iter().find(|p| !p.is_file()) {
            return Err(ConfigError::RulesFile(bad.display().to_string()));
        }
        if let Some(bad) = self.policy.as_ref().filter(|p| !p.exists()) {
            return Err(ConfigError::PolicyPath(bad.display().to_string()));
        }
        if self.policy_poll.is_zero() {
            return Err(ConfigError::Zero { flag: "policy-poll" });
        }
        let policy = self.policy.as_ref().map(|path| PolicySource {
            path: path.clone(),
            crs: policy_crd::profile::CrsPaths { setup: self.crs_setup.clone(), rules: self.crs_rules.clone() },
            poll: self.policy_poll,
        });
        if self.listen == self.metrics_listen && self.listen.port() != 0 {
            return Err(ConfigError::SameAddress(self.listen));
        }
        let sign = match (&self.sign_header, &self.sign_key_file) {
            (Some(header), Some(key)) => Some(Signer::from_file(header, key)?),
            _ => None,
        };
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key).map_err(ConfigError::Tls)?),
            _ => None,
        };
        let audit = self.audit_log.as_ref().map(|p| match p.to_str() {
            Some("-") => AuditSink::Stdout,
            _ => AuditSink::File(p.clone()),
        });
        Ok(Config {
            listen: self.listen,
            mode,
            upstream_mark,
            rules: self.rules.clone(),
            policy,
            metrics_listen: self.metrics_listen,
            audit,
            block_status,
            max_body: self.max_body,
            max_header_bytes: self.max_header_bytes,
            timeouts: self.timeouts,
            max_concurrent: self.max_concurrent,
            workers,
            sign,
            tls,
        })
    }
}

mod parse;
mod timeouts;
pub use parse::{parse_duration, parse_mark, parse_on_off};
pub use timeouts::Timeouts;

#[cfg(test)]
mod tests;
