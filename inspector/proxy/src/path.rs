//! The path normaliser: the one canonical path that the engine's variables (`REQUEST_URI`,
//! `REQUEST_FILENAME`, ...), the allow-list rules and the upstream all see. Pure.
//!
//! In order, on the path (the query is kept byte for byte):
//! 1. `#` (a fragment) is refused; `\` becomes `/`.
//! 2. Percent-escapes are decoded once for unreserved characters (`A-Z a-z 0-9 - . _ ~`);
//!    every other escape stays encoded with upper-case hex. A malformed escape, `%00`, and the
//!    escaped separators `%2F` and `%5C` are refused (like Envoy's REJECT_REQUEST): they would
//!    mean one path to us and another to an upstream that decodes them.
//! 3. Empty segments are merged (`//` → `/`).
//! 4. Dot-segments are removed (RFC 3986 section 5.2.4; `..` stops at the root); so
//!    `%2e%2e/` is resolved here, never by the upstream.
//! 5. A segment that is a dot-segment with `;params` (`..;x`, `.;`) is refused (Tomcat reads it
//!    as `..`); other `;params` are kept as they are, part of their segment.
//!
//! Case is kept (paths are case-sensitive). The result starts with `/` and keeps a trailing
//! `/`. `*` (OPTIONS) is kept as is.

use crate::request::Rejection;

/// The canonical form of an origin-form target (`/path?query`).
pub fn normalise(target: &str) -> Result<String, Rejection> {
    if target == "*" {
        return Ok(target.to_owned());
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    if target.contains('#') || !path.starts_with(['/', '\\']) {
        return Err(Rejection::BadRequest);
    }
    let decoded = decode_unreserved(&path.replace('\\', "/"))?;
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = decoded.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing = false;
    for (i, segment) in segments.iter().enumerate() {
        let name = segment.split(';').next().unwrap_or_default();
        if segment.contains(';') && (name == "." || name == "..") {
            return Err(Rejection::BadRequest);
        }
        match *segment {
            "" | "." => trailing = i == last,
            ".." => {
                out.pop();
                trailing = i == last;
            }
            s => {
                out.push(s);
                trailing = false;
            }
        }
    }
    let mut canonical = String::with_capacity(target.len());
    for segment in &out {
        canonical.push('/');
        canonical.push_str(segment);
    }
    if out.is_empty() || trailing {
        canonical.push('/');
    }
    if let Some(query) = query {
        canonical.push('?');
        canonical.push_str(query);
    }
    Ok(canonical)
}

/// Decodes `%XX` escapes of unreserved characters, upper-cases the others; refuses malformed
/// escapes, `%00`, `%2F` and `%5C`.
fn decode_unreserved(path: &str) -> Result<String, Rejection> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii() || bytes[i].is_ascii_control() {
            return Err(Rejection::BadRequest);
        }
        if bytes[i] != b'%' {
            out.push(char::from(bytes[i]));
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).ok_or(Rejection::BadRequest)?;
        let text = std::str::from_utf8(hex).map_err(|_| Rejection::BadRequest)?;
        let byte = u8::from_str_radix(text, 16).map_err(|_| Rejection::BadRequest)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) || matches!(byte, 0 | b'/' | b'\\') {
            return Err(Rejection::BadRequest);
        }
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push_str(&text.to_ascii_uppercase());
        }
        i += 3;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
