//! The signed marker header (`--sign-header NAME --sign-key-file PATH`): every request the
//! inspector forwards carries `NAME: <request-id>.<hex HMAC-SHA256(key, request-id)>`, where
//! `request-id` is the transaction id (the `x-request-id` answered to the client). A client's
//! own header of that name is removed before inspection, so only the inspector can produce a
//! valid one: an origin (or a test) that sees a valid marker knows the request went through
//! an inspector holding the key. [`verify`] checks a value.

use std::fmt;
use std::path::Path;

use http::{HeaderName, HeaderValue};
use ring::hmac;

/// Shortest accepted key, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// Signs forwarded requests.
#[derive(Clone)]
pub struct Signer {
    header: HeaderName,
    key: hmac::Key,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("header", &self.header).finish_non_exhaustive()
    }
}

/// Why a signing configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("--sign-header `{0}`: not a valid header name, or one the proxy owns (Host, framing, hop-by-hop)")]
    Header(String),
    #[error("--sign-key-file {0}: cannot read it: {1}")]
    Read(String, String),
    #[error("--sign-key-file {0}: the key must have at least {MIN_KEY_BYTES} bytes (surrounding whitespace ignored)")]
    Short(String),
}

impl Signer {
    /// A signer with the key read from `key_file` (its bytes, surrounding whitespace trimmed).
    pub fn from_file(header: &str, key_file: &Path) -> Result<Self, SignError> {
        let name = HeaderName::from_bytes(header.as_bytes()).map_err(|_| SignError::Header(header.into()))?;
        let owned = ["host", "content-length", "transfer-encoding", "x-request-id"];
        if owned.contains(&name.as_str()) || !crate::request::end_to_end(&name) {
            return Err(SignError::Header(header.into()));
        }
        let shown = key_file.display().to_string();
        let bytes = std::fs::read(key_file).map_err(|e| SignError::Read(shown.clone(), e.to_string()))?;
        let key = bytes.trim_ascii();
        if key.len() < MIN_KEY_BYTES {
            return Err(SignError::Short(shown));
        }
        Ok(Self::new(name, key))
    }

    /// A signer with `key`.
    pub fn new(header: HeaderName, key: &[u8]) -> Self {
        Self { header, key: hmac::Key::new(hmac::HMAC_SHA256, key) }
    }

    /// The header's name.
    pub fn header(&self) -> &HeaderName {
        &self.header
    }

    /// The header's value for a transaction: `<request-id>.<hex tag>`.
    pub fn value(&self, request_id: &str) -> HeaderValue {
        let tag = hmac::sign(&self.key, request_id.as_bytes());
        let text = format!("{request_id}.{}", hex(tag.as_ref()));
        // Ids are hex digits and the tag is hex: always a valid value.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

/// Checks a marker value against `key` (in constant time); the request id it vouches for,
/// or `None` when the value is malformed or not signed with `key`.
///
/// ```
/// let signer = inspector::sign::Signer::new(http::HeaderName::from_static("x-chainwall-inspected"), b"0123456789abcdef");
/// let value = signer.value("7e37c864ee0db31000000000001");
/// assert_eq!(inspector::sign::verify(b"0123456789abcdef", value.to_str().unwrap()), Some("7e37c864ee0db31000000000001"));
/// assert_eq!(inspector::sign::verify(b"another key.....", value.to_str().unwrap()), None);
/// ```
pub fn verify<'v>(key: &[u8], value: &'v str) -> Option<&'v str> {
    let (id, tag) = value.rsplit_once('.')?;
    let tag = unhex(tag)?;
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), id.as_bytes(), &tag).ok()?;
    Some(id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    text.as_bytes().chunks(2).map(|pair| Some((digit(pair[0])? << 4) | digit(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KEY: &[u8] = b"a test key of 32 bytes, or so...";

    #[test]
    fn signed_values_verify_and_tampered_ones_do_not() {
        let signer = Signer::new(HeaderName::from_static("x-mark"), KEY);
        let value = signer.value("abc123");
        let text = value.to_str().unwrap();
        assert_eq!(text.len(), "abc123.".len() + 64);
        assert_eq!(verify(KEY, text), Some("abc123"));
        assert_eq!(verify(b"another key of at least 16", text), None, "other key");
        let forged = text.replacen("abc123", "abc124", 1);
        assert_eq!(verify(KEY, &forged), None, "other id");
        for bad in ["", "abc123", "abc123.", "abc123.zz", "abc123.0", &text[..text.len() - 2]] {
            assert_eq!(verify(KEY, bad), None, "{bad:?}");
        }
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let rfc = Signer::new(HeaderName::from_static("x-mark"), b"Jefe").value("what do ya want for nothing?");
        assert!(rfc.to_str().unwrap().ends_with(".5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    }

    #[test]
    fn bad_configurations_are_refused() {
        let dir = std::env::temp_dir().join(format!("inspector-sign-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (short, good) = (dir.join("short"), dir.join("good"));
        std::fs::write(&short, "too short\n").unwrap();
        std::fs::write(&good, format!("{}\n", String::from_utf8_lossy(KEY))).unwrap();
        assert!(matches!(Signer::from_file("x-mark", &short), Err(SignError::Short(_))));
        assert!(matches!(Signer::from_file("x-mark", &dir.join("missing")), Err(SignError::Read(..))));
        for header in ["bad header", "host", "connection", "x-request-id"] {
            assert!(matches!(Signer::from_file(header, &good), Err(SignError::Header(_))), "{header}");
        }
        let signer = Signer::from_file("X-Mark", &good).unwrap();
        assert_eq!(verify(KEY, signer.value("id").to_str().unwrap()), Some("id"), "the newline is trimmed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
