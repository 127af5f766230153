//! Phase "strict": the raw HTTP/1.x request head, checked byte by byte before hyper's parsed
//! form is trusted. hyper (httparse) is lenient where RFC 9112 allows a choice (bare LF,
//! `Content-Length` with `Transfer-Encoding`, `Transfer-Encoding: chunked, chunked`, lists of
//! equal lengths, `_` in names); this check takes the strict side of every such choice, so
//! each row of the smuggling catalogue (`tests/data/smuggling.yaml`) is refused here, by
//! hyper, or normalised by the canonical form. Pure: no I/O.
//!
//! Accepted heads: CRLF lines only; `METHOD SP target SP HTTP/1.x` with an upper-case token
//! method and a visible-ASCII target without `#`; `name: value` fields with token names (no
//! `_`, no whitespace before the colon, no folding) and values without CTLs other than HTAB;
//! at most one `Content-Length` (1 to 19 digits), at most one `Transfer-Encoding` (exactly
//! `chunked`, HTTP/1.1 only) and never both; one `Host` in HTTP/1.1, an authority without user info or path; `Connection` never
//! names a framing or credential field; `Expect` only `100-continue` (else 417).

use crate::request::Rejection;

/// How the body of an accepted head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// An accepted head: its raw length (leading empty lines included) and its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub len: usize,
    pub framing: Framing,
}

/// Fields that `Connection` must never nominate (they would vanish after inspection).
const PROTECTED: &[&str] = &["content-length", "transfer-encoding", "host", "authorization", "cookie"];
/// Fields that may appear once only.
const SINGLETON: &[&str] = &["host", "content-length", "transfer-encoding", "authorization", "content-type"];

/// Checks the head at the start of `raw` (which may continue with a body or more requests).
pub fn check(raw: &[u8]) -> Result<Head, Rejection> {
    let mut start = 0;
    while raw[start..].starts_with(b"\r\n") {
        start += 2;
    }
    let end = find(&raw[start..], b"\r\n\r\n").ok_or(Rejection::BadRequest)? + start;
    let mut lines = crlf_lines(&raw[start..end]);
    let http10 = request_line(lines.next().ok_or(Rejection::BadRequest)?)?;
    let (mut length, mut chunked, mut hosts, mut expect) = (None, false, 0, None);
    // Bit i: a `SINGLETON[i]` field was seen.
    let mut seen = 0u8;
    for line in lines {
        if line.contains(&b'\r') || line.contains(&b'\n') {
            return Err(Rejection::BadRequest);
        }
        let (name, value) = field(line)?;
        if let Some(i) = SINGLETON.iter().position(|s| name.eq_ignore_ascii_case(s.as_bytes())) {
            if seen & (1 << i) != 0 {
                return Err(Rejection::BadRequest);
            }
            seen |= 1 << i;
        }
        let is = |known: &str| name.eq_ignore_ascii_case(known.as_bytes());
        if is("content-length") {
            length = Some(content_length(value)?);
        } else if is("transfer-encoding") {
            if http10 || !value.eq_ignore_ascii_case(b"chunked") {
                return Err(Rejection::BadRequest);
            }
            chunked = true;
        } else if is("host") {
            if !authority(value) {
                return Err(Rejection::BadRequest);
            }
            hosts += 1;
        } else if is("expect") {
            expect = Some(value.to_ascii_lowercase());
        } else if is("connection") {
            connection(value)?;
        }
    }
    if (chunked && length.is_some()) || (!http10 && hosts != 1) {
        return Err(Rejection::BadRequest);
    }
    if expect.is_some_and(|e| e != b"100-continue") {
        return Err(Rejection::Expectation);
    }
    let framing = match (length, chunked) {
        (Some(n), _) => Framing::Length(n),
        (None, true) => Framing::Chunked,
        (None, false) => Framing::None,
    };
    Ok(Head { len: end + 4, framing })
}

/// Lines separated by CRLF (a bare CR or LF stays inside a line, and is refused there).
fn crlf_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(head);
    std::iter::from_fn(move || {
        let text = rest?;
        match find(text, b"\r\n") {
            Some(i) => {
                rest = Some(&text[i + 2..]);
                Some(&text[..i])
            }
            None => rest.take(),
        }
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `METHOD SP target SP HTTP/1.x`; returns whether the version is 1.0.
fn request_line(line: &[u8]) -> Result<bool, Rejection> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::BadRequest);
    };
    let method_ok = !method.is_empty() && method.iter().all(|b| b.is_ascii_uppercase() || *b == b'-');
    let target_ok = !target.is_empty() && target.iter().all(|b| (0x21..0x7f).contains(b) && *b != b'#');
    let form_ok = target.starts_with(b"/")
        || target.starts_with(b"http://")
        || target.starts_with(b"https://")
        || (target == b"*" && method == b"OPTIONS");
    if !(method_ok && target_ok && form_ok) {
        return Err(Rejection::BadRequest);
    }
    match version {
        b"HTTP/1.1" => Ok(false),
        b"HTTP/1.0" => Ok(true),
        _ => Err(Rejection::BadRequest),
    }
}

/// `name: value` with a token name (no `_`) and a value free of CTLs (HTAB aside).
fn field(line: &[u8]) -> Result<(&[u8], &[u8]), Rejection> {
    let colon = line.iter().position(|&b| b == b':').ok_or(Rejection::BadRequest)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^`|~".contains(b);
    if name.is_empty() || !name.iter().all(tchar) {
        return Err(Rejection::BadRequest);
    }
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(Rejection::BadRequest);
    }
    let value = value.trim_ascii();
    Ok((name, value))
}

/// A `Host` value: `host[:port]` (reg-name, IPv4 or `[IPv6]`), no user info, no path.
fn authority(value: &[u8]) -> bool {
    let ok = |b: &u8| b.is_ascii_alphanumeric() || b"-._~:[]!$&'()*+,;=%".contains(b);
    !value.is_empty() && value.iter().all(ok)
}

/// `Content-Length` = 1*DIGIT, at most 19 digits (no sign, list, hex or overflow).
fn content_length(value: &[u8]) -> Result<u64, Rejection> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return Err(Rejection::BadRequest);
    }
    std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()).ok_or(Rejection::BadRequest)
}

/// `Connection` must not nominate framing, `Host` or credentials.
fn connection(value: &[u8]) -> Result<(), Rejection> {
    let value = String::from_utf8_lossy(value).to_ascii_lowercase();
    match value.split(',').map(str::trim).any(|t| PROTECTED.contains(&t)) {
        true => Err(Rejection::BadRequest),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests;
