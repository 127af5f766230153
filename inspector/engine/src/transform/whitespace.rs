//! `compressWhitespace`, `removeWhitespace`, `trim`, `trimLeft` and `trimRight`.
//!
//! "Whitespace" is C `isspace` in the "C" locale (space, `\t`, `\n`, `\v`, `\f`, `\r`).
//! `removeWhitespace` also removes the bytes 0xa0 and 0xc2 (ModSecurity 3.0.9 tests each
//! byte against both bytes of UTF-8's NBSP, `c2 a0`, so a lone 0xc2 goes too: quirk
//! matched); the others keep them.

use std::borrow::Cow;

use super::util::{finish, is_space};

/// `t:compressWhitespace`: every run of whitespace becomes one space.
pub fn compress_whitespace(input: &[u8]) -> Cow<'_, [u8]> {
    let needs_work =
        input.windows(2).any(|w| is_space(w[0]) && is_space(w[1])) || input.iter().any(|&c| is_space(c) && c != b' ');
    if !needs_work {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &c in input {
        if is_space(c) {
            if !in_space {
                out.push(b' ');
                in_space = true;
            }
        } else {
            out.push(c);
            in_space = false;
        }
    }
    finish(input, out)
}

fn space_or_nbsp(c: u8) -> bool {
    is_space(c) || c == 0xa0 || c == 0xc2
}

/// `t:removeWhitespace`: drops every whitespace byte, 0xa0 and 0xc2.
pub fn remove_whitespace(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&c| space_or_nbsp(c)) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().copied().filter(|&c| !space_or_nbsp(c)).collect())
}

fn start(input: &[u8]) -> usize {
    input.iter().position(|&c| !is_space(c)).unwrap_or(input.len())
}

fn end(input: &[u8]) -> usize {
    input.iter().rposition(|&c| !is_space(c)).map_or(0, |p| p + 1)
}

/// `t:trimLeft`: drops leading whitespace.
pub fn trim_left(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Borrowed(&input[start(input)..])
}

/// `t:trimRight`: drops trailing whitespace.
pub fn trim_right(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Borrowed(&input[..end(input)])
}

/// `t:trim`: drops leading and trailing whitespace.
pub fn trim(input: &[u8]) -> Cow<'_, [u8]> {
    let s = start(input);
    Cow::Borrowed(&input[s..s.max(end(input))])
}
