//! `utf8toUnicode`: each valid multi-byte UTF-8 sequence becomes `%uHHHH` (lower-case hex,
//! at least four digits), as in ModSecurity 3.0.9, including its quirks, matched here:
//!
//! - a lead byte (`0xc0`..`0xf7`) whose sequence is invalid or truncated is dropped, and
//!   decoding resumes at the next byte (continuation bytes alone are copied as is);
//! - NUL bytes are dropped;
//! - overlong forms and surrogates are still encoded, then followed by the raw lead byte;
//! - lead bytes `0xf5`..`0xf7` are copied before being decoded as four-byte sequences.

use std::borrow::Cow;

use super::util::{finish, hex_digit};

fn cont(b: Option<&u8>) -> bool {
    b.is_some_and(|&c| c & 0xc0 == 0x80)
}

fn push_u(out: &mut Vec<u8>, d: u32) {
    out.extend_from_slice(b"%u");
    let digits = (32 - d.leading_zeros()).div_ceil(4).max(4);
    for k in (0..digits).rev() {
        out.push(hex_digit(((d >> (4 * k)) & 0xf) as u8));
    }
}

/// `t:utf8toUnicode`.
pub fn utf8_to_unicode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().all(|&c| c != 0 && c < 0x80) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        let (len, mask) = match c {
            0 => {
                i += 1;
                continue;
            }
            0x01..=0x7f | 0x80..=0xbf | 0xf8..=0xff => {
                out.push(c);
                i += 1;
                continue;
            }
            0xc0..=0xdf => (2, 0x1f),
            0xe0..=0xef => (3, 0x0f),
            0xf0..=0xf7 => (4, 0x07),
        };
        if c >= 0xf5 {
            out.push(c);
        }
        if !(1..len).all(|k| cont(input.get(i + k))) {
            i += 1;
            continue;
        }
        let d = input[i + 1..i + len].iter().fold(u32::from(c & mask), |d, &b| (d << 6) | u32::from(b & 0x3f));
        push_u(&mut out, d);
        if (0xd800..=0xdfff).contains(&d) {
            out.push(c);
        }
        let min = [0, 0, 0x80, 0x800, 0x10000][len];
        if d < min {
            out.push(c);
        }
        i += len;
    }
    finish(input, out)
}
