//! Variables derived from the request line, as libmodsecurity's `processURI` derives them.

use super::decode::uri_decode;

/// `REQUEST_URI`, `REQUEST_URI_RAW`, `REQUEST_FILENAME`/`PATH_INFO`, `REQUEST_BASENAME` and
/// `QUERY_STRING`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UriParts {
    /// The target as received.
    pub raw: Vec<u8>,
    /// The decoded target, with scheme and authority of an absolute-form target removed.
    pub uri: Vec<u8>,
    /// The decoded path: everything before the first `?` *after* decoding (so `%3F` ends the
    /// path too, as in ModSecurity).
    pub filename: Vec<u8>,
    /// The part of `filename` after its last `/` or `\`, when not empty.
    pub basename: Option<Vec<u8>>,
    /// The raw text after the first raw `?`, when there is one.
    pub query: Option<Vec<u8>>,
}

impl UriParts {
    /// Splits a request target.
    pub fn new(target: &[u8]) -> Self {
        let decoded = uri_decode(target);
        let query = target.iter().position(|&b| b == b'?').map(|i| target[i + 1..].to_vec());
        let filename = match decoded.iter().position(|&b| b == b'?') {
            Some(i) => decoded[..i].to_vec(),
            None => decoded.clone(),
        };
        let basename = filename
            .iter()
            .rposition(|&b| b == b'/' || b == b'\\')
            .filter(|&i| i + 1 < filename.len())
            .map(|i| filename[i + 1..].to_vec());
        let uri = strip_origin(&decoded).to_vec();
        Self { raw: target.to_vec(), uri, filename, basename, query }
    }
}

/// `http://host/path` → `/path`; anything not of that shape stays as it is.
fn strip_origin(decoded: &[u8]) -> &[u8] {
    if decoded.first().is_none_or(|&b| b == b'/') {
        return decoded;
    }
    let Some(colon) = decoded.iter().position(|&b| b == b':') else { return decoded };
    if !decoded[colon + 1..].starts_with(b"//") {
        return decoded;
    }
    let authority = colon + 3;
    match decoded[authority..].iter().position(|&b| b == b'/') {
        Some(slash) => &decoded[authority + slash..],
        None => decoded,
    }
}
