//! The request as rules see it: the variables libmodsecurity fills before phase 1 (request
//! line, URI parts, query arguments, headers, cookies), derived exactly as it derives them.

mod args;
mod cookies;
mod decode;
mod uri;

pub use args::parse as parse_args;
pub use decode::{uri_decode, url_decode_arg};
pub use uri::UriParts;

use crate::values::Values;

/// Which body processor `Content-Type` (or `ctl:requestBodyProcessor`) selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyProcessor {
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `multipart/form-data`.
    Multipart,
    /// Only through `ctl:requestBodyProcessor=JSON`.
    Json,
    /// Only through `ctl:requestBodyProcessor=XML`.
    Xml,
}

impl BodyProcessor {
    /// The `REQBODY_PROCESSOR` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::UrlEncoded => "URLENCODED",
            Self::Multipart => "MULTIPART",
            Self::Json => "JSON",
            Self::Xml => "XML",
        }
    }
}

/// Request-line and header variables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestVars {
    /// `REQUEST_METHOD`.
    pub method: Vec<u8>,
    /// `REQUEST_PROTOCOL`, e.g. `HTTP/1.1`.
    pub protocol: Vec<u8>,
    /// `REQUEST_LINE`: method, raw target and protocol.
    pub line: Vec<u8>,
    /// URI-derived variables.
    pub uri: UriParts,
    /// `ARGS_GET` (and their names).
    pub args_get: Values,
    /// `REQUEST_HEADERS` (and their names), in arrival order.
    pub headers: Values,
    /// `REQUEST_COOKIES` (and their names).
    pub cookies: Values,
    /// `SERVER_NAME`: the `Host` header without its port.
    pub server_name: Option<Vec<u8>>,
    /// The body processor `Content-Type` selects.
    pub body_processor: Option<BodyProcessor>,
    /// `URLENCODED_ERROR`: an invalid `%` escape in the query string.
    pub urlencoded_error: bool,
}

impl RequestVars {
    /// Derives the variables from a parsed request. `version` is as in `1.1`; `separator` is
    /// `SecArgumentSeparator` (`&` by default).
    pub fn new<'a>(
        method: &[u8],
        target: &[u8],
        version: &str,
        headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
        separator: u8,
    ) -> Self {
        let protocol = format!("HTTP/{version}").into_bytes();
        let line = [method, b" ", target, b" ", &protocol].concat();
        let uri = UriParts::new(target);
        let mut vars = Self { method: method.to_vec(), protocol, line, uri, ..Self::default() };
        if let Some(query) = vars.uri.query.as_deref().filter(|q| !q.is_empty()) {
            vars.urlencoded_error = parse_args(query, separator, &mut vars.args_get);
        }
        for (name, value) in headers {
            vars.add_header(name, value);
        }
        vars
    }

    fn add_header(&mut self, name: &[u8], value: &[u8]) {
        self.headers.push(name, value);
        if name.eq_ignore_ascii_case(b"cookie") {
            cookies::parse(value, &mut self.cookies);
        } else if name.eq_ignore_ascii_case(b"content-type") {
            let lower = value.to_ascii_lowercase();
            if lower.starts_with(b"multipart/form-data") {
                self.body_processor = Some(BodyProcessor::Multipart);
            } else if lower.starts_with(b"application/x-www-form-urlencoded") {
                self.body_processor = Some(BodyProcessor::UrlEncoded);
            }
        } else if name.eq_ignore_ascii_case(b"host") {
            let host = value.split(|&b| b == b':').next().unwrap_or_default();
            self.server_name = Some(host.to_vec());
        }
    }
}

#[cfg(test)]
mod tests;
