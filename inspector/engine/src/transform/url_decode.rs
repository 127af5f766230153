//! `urlDecode` and `urlDecodeUni`.
//!
//! Both decode `+` to a space and valid `%HH` to a byte; a `%` not followed by two hex digits
//! (including one too close to the end) is kept as is, and decoding goes on after it.
//!
//! `urlDecodeUni` also decodes IIS-style `%uHHHH` (the `u` in either case) to the low byte of
//! the code point, except full-width ASCII (`%uff01`..`%uff5e`, the `ff` in either case),
//! which maps to `0x21`..`0x7e`. An invalid or truncated `%u` keeps both `%` and `u`.
//! Deviation: ModSecurity first consults the `SecUnicodeMapFile` table when one is
//! configured; this engine has no such table, which is ModSecurity's behaviour without one.

use std::borrow::Cow;

use super::util::{finish, is_hex, x2c};

/// `t:urlDecode`.
pub fn url_decode(input: &[u8]) -> Cow<'_, [u8]> {
    decode(input, false)
}

/// `t:urlDecodeUni`.
pub fn url_decode_uni(input: &[u8]) -> Cow<'_, [u8]> {
    decode(input, true)
}

fn decode(input: &[u8], uni: bool) -> Cow<'_, [u8]> {
    let Some(first) = input.iter().position(|&c| c == b'%' || c == b'+') else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        let c = input[i];
        if c == b'+' {
            out.push(b' ');
            i += 1;
        } else if c != b'%' {
            out.push(c);
            i += 1;
        } else if uni && matches!(input.get(i + 1), Some(b'u' | b'U')) {
            match input.get(i + 2..i + 6) {
                Some(&[a, b, c, d]) if [a, b, c, d].iter().all(|&h| is_hex(h)) => {
                    out.push(full_width(a, b, x2c(c, d)));
                    i += 6;
                }
                _ => {
                    out.extend_from_slice(&input[i..i + 2]);
                    i += 2;
                }
            }
        } else {
            match input.get(i + 1..i + 3) {
                Some(&[a, b]) if is_hex(a) && is_hex(b) => {
                    out.push(x2c(a, b));
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            }
        }
    }
    finish(input, out)
}

/// ModSecurity's full-width ASCII rule for `%uHHHH` / `\uHHHH`: the low byte, plus 0x20 when
/// the high byte is `ff` and the low byte is in `0x01..0x5e`.
pub(crate) fn full_width(hi1: u8, hi2: u8, low: u8) -> u8 {
    if (1..0x5f).contains(&low) && hi1.eq_ignore_ascii_case(&b'f') && hi2.eq_ignore_ascii_case(&b'f') {
        low + 0x20
    } else {
        low
    }
}
