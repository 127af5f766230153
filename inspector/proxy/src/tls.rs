//! TLS termination (`--tls-cert PEM --tls-key PEM`): rustls with the `ring` provider, TLS 1.2
//! and 1.3, ALPN `h2` then `http/1.1`. The handshake must finish within `--header-timeout`;
//! the plaintext stream is then served like a plain connection (HTTP/1.1, or HTTP/2 when the
//! client chose `h2`: hyper-util's auto builder reads the preface).

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The ALPN protocols offered, in order of preference.
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The server configuration from a PEM certificate chain and a PEM private key; the error
/// names the file and says what is wrong.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let shown = |p: &Path| p.display().to_string();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("--tls-cert {}: {e}", shown(cert)))?;
    if chain.is_empty() {
        return Err(format!("--tls-cert {}: no CERTIFICATE in the file", shown(cert)));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("--tls-key {}: {e}", shown(key)))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}
