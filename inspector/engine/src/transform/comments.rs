//! `replaceComments`, `removeComments` and `removeCommentsChar`.
//!
//! - `replaceComments`: each C comment `/* ... */` becomes one space; an unterminated one
//!   runs to the end (and still gives its space).
//! - `removeComments`: removes `/* ... */` and `<!-- ... -->` (an unterminated one runs to
//!   the end and leaves one space), and cuts the value at the first `--` or `#` outside a
//!   comment. Quirk of ModSecurity 3.0.9, matched: after a comment's terminator the next
//!   byte is copied without being examined (so it can't open a comment), and a terminator
//!   at the very end copies the C string's terminating NUL into the result.
//! - `removeCommentsChar`: deletes the markers `/*`, `*/`, `<!--`, `-->`, `--` and `#`.

use std::borrow::Cow;

use super::util::finish;

/// `t:replaceComments`.
pub fn replace_comments(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.windows(2).any(|w| w == b"/*") {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    let mut in_comment = false;
    while i < input.len() {
        let rest = &input[i..];
        if !in_comment && rest.starts_with(b"/*") {
            in_comment = true;
            i += 2;
        } else if in_comment && rest.starts_with(b"*/") {
            in_comment = false;
            out.push(b' ');
            i += 2;
        } else {
            if !in_comment {
                out.push(input[i]);
            }
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    finish(input, out)
}

/// `t:removeComments`.
pub fn remove_comments(input: &[u8]) -> Cow<'_, [u8]> {
    let quiet = !input.contains(&b'#') && !input.windows(2).any(|w| w == b"/*" || w == b"--");
    if quiet {
        return Cow::Borrowed(input);
    }
    // The byte at `input.len()` is C's terminating NUL, which the quirk can copy.
    let at = |i: usize| input.get(i).copied().unwrap_or(0);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    let mut in_comment = false;
    while i < input.len() {
        let rest = &input[i..];
        if !in_comment {
            if rest.starts_with(b"/*") {
                in_comment = true;
                i += 2;
            } else if rest.starts_with(b"<!--") {
                in_comment = true;
                i += 4;
            } else if rest.starts_with(b"--") || rest[0] == b'#' {
                break;
            } else {
                out.push(rest[0]);
                i += 1;
            }
        } else if rest.starts_with(b"*/") || rest.starts_with(b"-->") {
            in_comment = false;
            i += if rest[0] == b'*' { 2 } else { 3 };
            out.push(at(i));
            i += 1;
        } else {
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    finish(input, out)
}

/// `t:removeCommentsChar`.
pub fn remove_comments_char(input: &[u8]) -> Cow<'_, [u8]> {
    const MARKERS: [&[u8]; 6] = [b"/*", b"*/", b"<!--", b"-->", b"--", b"#"];
    let marker_at = |rest: &[u8]| MARKERS.iter().find(|m| rest.starts_with(m)).map(|m| m.len());
    if (0..input.len()).all(|i| marker_at(&input[i..]).is_none()) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match marker_at(&input[i..]) {
            Some(n) => i += n,
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    finish(input, out)
}
