//! The boundary from `Content-Type`, checked as libmodsecurity's multipart `init` checks it:
//! one `boundary` parameter, at most one `;` before it, no junk around `=`, quotes only
//! around the whole value, and RFC 2046 characters only.

use super::multipart::Flags;

/// What `init` decided.
pub(super) enum Boundary {
    /// Parse the body with this boundary.
    Ok(Vec<u8>),
    /// Do not parse, and report this error.
    Error(&'static str),
    /// Do not parse, and report nothing (libmodsecurity's `boundary=` case).
    Silent,
}

/// C's `isspace`.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many times `boundary` appears (case-insensitively) with a `=` somewhere after it.
fn count_boundary_params(value: &[u8]) -> usize {
    let lower = value.to_ascii_lowercase();
    let mut count = 0;
    let mut rest = &lower[..];
    while let Some(i) = find(rest, b"boundary") {
        rest = &rest[i + 8..];
        count += usize::from(rest.contains(&b'='));
    }
    count
}

fn valid_characters(boundary: &[u8]) -> bool {
    boundary.iter().enumerate().all(|(i, &c)| {
        c.is_ascii_alphanumeric()
            || (c == b' ' && i + 1 < boundary.len())
            || matches!(c, b'\'' | b'(' | b')' | b'+' | b'_' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?')
    })
}

/// Checks the `Content-Type` value and extracts the boundary; sets the boundary flags.
pub(super) fn boundary(header: &[u8], flags: &mut Flags) -> Boundary {
    let header = header.split(|&b| b == 0).next().unwrap_or_default();
    let fail = |flags: &mut Flags, msg| {
        flags.error = true;
        Boundary::Error(msg)
    };
    if header.is_empty() {
        return fail(flags, "Multipart: Content-Type header not available.");
    }
    if header.len() > 1024 {
        return fail(flags, "Multipart: Invalid boundary in C-T (length).");
    }
    if header.len() < 19 || !header[..19].eq_ignore_ascii_case(b"multipart/form-data") {
        return fail(flags, "Multipart: Invalid MIME type.");
    }
    if count_boundary_params(header) > 1 {
        return fail(flags, "Multipart: Multiple boundary parameters in C-T.");
    }
    let Some(at) = find(header, b"boundary") else {
        return if count_boundary_params(header) > 0 {
            fail(flags, "Multipart: Invalid boundary in C-T (case sensitivity).")
        } else {
            fail(flags, "Multipart: Boundary not found in C-T.")
        };
    };
    let mut semicolon = false;
    for &c in header.get(19..at).unwrap_or_default() {
        if is_space(c) {
            continue;
        }
        if c == b';' && !semicolon {
            semicolon = true;
        } else {
            return fail(flags, "Multipart: Invalid boundary in C-T (malformed).");
        }
    }
    flags.missing_semicolon |= !semicolon;
    let Some(eq) = header[at + 8..].iter().position(|&b| b == b'=').map(|i| at + 8 + i) else {
        return fail(flags, "Multipart: Invalid boundary in C-T (malformed).");
    };
    for &c in &header[at + 8..eq] {
        if !is_space(c) {
            return fail(flags, "Multipart: Invalid boundary in C-T (parameter name).");
        }
        flags.boundary_whitespace = true;
    }
    // 3.0.9 ends the value at the next parameter (`boundary=x; charset=utf-8`).
    let value = header[eq + 1..].split(|&c| c == b';').next().unwrap_or_default();
    flags.boundary_whitespace |= value.first().is_some_and(|&c| is_space(c));
    let boundary = if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
        let inner = &value[1..value.len() - 1];
        if inner.is_empty() {
            return Boundary::Silent;
        }
        flags.boundary_quoted = true;
        inner
    } else {
        if value.first() == Some(&b'"') || (value.len() >= 2 && value[value.len() - 1] == b'"') {
            return fail(flags, "Multipart: Invalid boundary in C-T (quote).");
        }
        if value.is_empty() {
            return Boundary::Silent;
        }
        value
    };
    if count_boundary_params(boundary) != 0 {
        return fail(flags, "Multipart: Invalid boundary in C-T (content).");
    }
    if !valid_characters(boundary) {
        return fail(flags, "Multipart: Invalid boundary in C-T (characters).");
    }
    Boundary::Ok(boundary.to_vec())
}
