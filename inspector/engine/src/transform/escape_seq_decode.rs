//! `escapeSeqDecode`: ANSI C escape sequences, as ModSecurity decodes them.
//!
//! - `\a \b \f \n \r \t \v \\ \? \' \"` are the C characters.
//! - `\xHH` / `\XHH` (two hex digits) give the byte.
//! - `\O`..`\OOO` octal (up to three digits, no range check) give the value's low byte, so
//!   `\777` is 0xff.
//! - Any other escape (an invalid `\x` included) gives the escaped byte, backslash dropped.
//! - A backslash as the last byte is kept.

use std::borrow::Cow;

use super::util::{finish, is_hex, is_odigit, x2c};

/// `t:escapeSeqDecode`.
pub fn escape_seq_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = input.iter().position(|&c| c == b'\\') else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        if input[i] != b'\\' || i + 1 >= input.len() {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let rest = &input[i + 1..];
        let simple = match rest[0] {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            c @ (b'\\' | b'?' | b'\'' | b'"') => Some(c),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        match rest {
            [b'x' | b'X', a, b, ..] if is_hex(*a) && is_hex(*b) => {
                out.push(x2c(*a, *b));
                i += 4;
            }
            [o, ..] if is_odigit(*o) => {
                let n = rest.iter().take(3).take_while(|&&c| is_odigit(c)).count();
                let v = rest[..n].iter().fold(0u8, |v, &d| v.wrapping_mul(8).wrapping_add(d - b'0'));
                out.push(v);
                i += 1 + n;
            }
            _ => {
                out.push(rest[0]);
                i += 2;
            }
        }
    }
    finish(input, out)
}
