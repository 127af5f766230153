//! Chainwall's attack tests: our committed attack/benign corpus (`corpus/*.yaml`) and the
//! differential harness that runs it through nginx + ModSecurity v3 + CRS 3.3.4 (the
//! reference peer, on loopback) and through `inspector-engine` with the same config, then
//! compares the matched rule ids and the verdict per request.
//!
//! - [`corpus`]: the YAML request format and loader; [`gotestwaf`]: optional extra payloads.
//! - [`conf`]: the generated ModSecurity `main.conf` and nginx config.
//! - [`nginx`]: the peer process (a drop guard); [`http`]: a raw HTTP/1.1 client.
//! - [`audit`]: ModSecurity's JSON audit log; [`ours`]: our engine on the same request.
//! - [`expect`]: the corpus's own expectations against each peer.
//! - [`compare`], [`report`]: per-request comparison and the aggregated report; [`run`]: the
//!   whole differential run.
//! - [`lab`]: the netns lab (`lab up|down`); [`demo`]: the main job on it.
//! - [`bench`]: `attack-tests bench proxy`, the inspector against nginx + ModSecurity.
//! - [`ftw`]: go-ftw regression tests against a URL or the lab; [`detection`]: detection
//!   and false-positive rates per family and encoding, ours beside the peer's.

pub mod audit;
pub mod bench;
pub mod compare;
pub mod conf;
pub mod corpus;
pub mod demo;
pub mod detection;
pub mod expect;
pub mod ftw;
pub mod gotestwaf;
pub mod http;
pub mod lab;
pub mod nginx;
pub mod ours;
pub mod report;
pub mod run;

use std::path::Path;

/// Failures of a differential run (a disagreement is a result, never an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// nginx, its ModSecurity module or the CRS is not installed.
    #[error("reference peer not installed: {0}")]
    PeerMissing(String),
    /// nginx failed to start or answer.
    #[error("reference peer: {0}")]
    Peer(String),
    /// Our engine refused the config.
    #[error("inspector-engine: {0}")]
    Engine(String),
    /// A corpus file is invalid.
    #[error("corpus: {0}")]
    Corpus(String),
    /// The peers reach different verdicts, so a benchmark would compare unequal work.
    #[error("the peers disagree, no figures reported:\n  {0}")]
    Disagree(String),
    /// Invalid options.
    #[error("config: {0}")]
    Config(String),
    /// A file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being accessed.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// An I/O error on `context` (a path or address).
    pub fn io(context: impl AsRef<Path>, source: std::io::Error) -> Self {
        Self::Io { context: context.as_ref().display().to_string(), source }
    }
}

/// The committed corpus directory.
pub fn default_corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}
