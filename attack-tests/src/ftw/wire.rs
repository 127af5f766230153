//! A stage's `input` and the bytes it puts on the wire: `encoded_request` (base64 of the
//! whole request) as is; otherwise the request line, the headers, and `data` or
//! `encoded_data` as the body. With `autocomplete_headers` (the default) `Connection: close`
//! and `Content-Length` are added when absent (never `Host`: a test may leave it out on
//! purpose).

use serde::Deserialize;

use super::{Headers, Scalar};

/// go-ftw's `input` (schema v2.2 fields; `dest_addr`/`port` are replaced by `--url`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Where the test would send it (informational: `--url` or `--lab` decides).
    #[serde(default)]
    pub dest_addr: Option<String>,
    /// The test's port (informational, as `dest_addr`).
    #[serde(default)]
    pub port: Option<u16>,
    /// `http` (https is not supported: the stage is skipped).
    #[serde(default)]
    pub protocol: Option<String>,
    /// Method (default GET).
    #[serde(default)]
    pub method: Option<String>,
    /// Raw request target (default `/`).
    #[serde(default)]
    pub uri: Option<String>,
    /// Protocol version of the request line (default `HTTP/1.1`).
    #[serde(default)]
    pub version: Option<String>,
    /// Headers.
    #[serde(default)]
    pub headers: Headers,
    /// Body.
    #[serde(default)]
    pub data: Option<String>,
    /// Body, base64.
    #[serde(default)]
    pub encoded_data: Option<String>,
    /// The whole request, base64, sent byte for byte.
    #[serde(default)]
    pub encoded_request: Option<String>,
    /// Add `Connection: close` and `Content-Length` when absent (default true).
    #[serde(default)]
    pub autocomplete_headers: Option<bool>,
    /// Legacy (go-ftw's own end-of-request marker): ignored.
    #[serde(default)]
    pub stop_magic: Option<bool>,
    /// Not supported when true (the stage is skipped).
    #[serde(default)]
    pub follow_redirect: Option<bool>,
    /// Not supported when true (the stage is skipped).
    #[serde(default)]
    pub save_cookie: Option<bool>,
    /// Not supported when true (the stage is skipped).
    #[serde(default)]
    pub virtual_host_mode: Option<bool>,
    /// go-ftw's test backend's canned response: ignored (the origin answers).
    #[serde(default)]
    pub response: Option<serde::de::IgnoredAny>,
}

impl Input {
    /// Why this input cannot be sent by us, if so.
    pub fn unsupported(&self) -> Option<String> {
        if self.protocol.as_deref().is_some_and(|p| !p.eq_ignore_ascii_case("http")) {
            return Some(format!("protocol {:?} (only http)", self.protocol.as_deref().unwrap_or_default()));
        }
        let flags = [
            ("follow_redirect", self.follow_redirect),
            ("save_cookie", self.save_cookie),
            ("virtual_host_mode", self.virtual_host_mode),
        ];
        flags.iter().find(|(_, on)| *on == Some(true)).map(|(name, _)| format!("{name} is not supported"))
    }

    /// The body: `encoded_data` decoded, else `data`, else empty.
    pub fn body(&self) -> Result<Vec<u8>, String> {
        match (&self.encoded_data, &self.data) {
            (Some(e), _) => decode_base64(e).ok_or_else(|| "encoded_data is not valid base64".to_string()),
            (None, Some(d)) => Ok(d.clone().into_bytes()),
            (None, None) => Ok(Vec::new()),
        }
    }

    /// The request bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        if let Some(encoded) = &self.encoded_request {
            return decode_base64(encoded).ok_or_else(|| "encoded_request is not valid base64".to_string());
        }
        let body = self.body()?;
        let mut headers: Vec<(String, String)> = self.headers.iter().map(|(k, v)| (k.clone(), v.text())).collect();
        let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if self.autocomplete_headers.unwrap_or(true) {
            let wants_length = !body.is_empty() && !has("content-length") && !has("transfer-encoding");
            let wants_close = !has("connection");
            if wants_length {
                headers.push(("Content-Length".into(), body.len().to_string()));
            }
            if wants_close {
                headers.push(("Connection".into(), "close".into()));
            }
        }
        let method = self.method.as_deref().unwrap_or("GET");
        let uri = self.uri.as_deref().unwrap_or("/");
        let version = self.version.as_deref().unwrap_or("HTTP/1.1");
        let mut out = format!("{method} {uri} {version}\r\n").into_bytes();
        for (name, value) in &headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        Ok(out)
    }
}

/// Decodes standard base64 (padding optional, whitespace ignored); `None` when invalid.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Text from a string slice.
impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::Text(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(decode_base64("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(decode_base64("TWE"), Some(b"Ma".to_vec()));
        assert_eq!(decode_base64("T*E"), None);
    }

    #[test]
    fn autocomplete_adds_length_and_close_only_when_absent() {
        let mut input = Input { method: Some("POST".into()), data: Some("a=1".into()), ..Input::default() };
        input.headers.insert("Host".into(), "localhost".into());
        let text = String::from_utf8(input.bytes().expect("builds")).expect("utf-8");
        assert_eq!(text, "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=1");
        input.autocomplete_headers = Some(false);
        input.version = Some("HTTP/1.0".into());
        let text = String::from_utf8(input.bytes().expect("builds")).expect("utf-8");
        assert_eq!(text, "POST / HTTP/1.0\r\nHost: localhost\r\n\r\na=1");
        let raw = Input { encoded_request: Some("R0VUIC8gSFRUUC8xLjENCg0K".into()), ..Input::default() };
        assert_eq!(raw.bytes().expect("decodes"), b"GET / HTTP/1.1\r\n\r\n".to_vec());
    }
}
