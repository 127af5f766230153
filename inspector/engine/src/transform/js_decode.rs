//! `jsDecode`: JavaScript escapes, as ModSecurity decodes them.
//!
//! - `\uHHHH` (lower-case `u` only) gives the low byte, with the full-width ASCII rule of
//!   `urlDecodeUni` (`\uff41` is `a`).
//! - `\xHH` (lower-case `x` only) gives the byte.
//! - `\O`, `\OO`, `\OOO` octal give one byte; three digits are taken only when the first is
//!   `0`..`3` (so `\777` is byte 0o77 followed by `7`).
//! - `\a \b \f \n \r \t \v` are the C control characters; any other escaped byte (an invalid
//!   `\u`/`\x` included) is the byte itself, the backslash dropped.
//! - A backslash as the last byte is kept.

use std::borrow::Cow;

use super::url_decode::full_width;
use super::util::{finish, is_hex, is_odigit, x2c};

/// `t:jsDecode`.
pub fn js_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = input.iter().position(|&c| c == b'\\') else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        if input[i] != b'\\' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let rest = &input[i + 1..];
        match rest {
            [b'u', a, b, c, d, ..] if [a, b, c, d].iter().all(|&&h| is_hex(h)) => {
                out.push(full_width(*a, *b, x2c(*c, *d)));
                i += 6;
            }
            [b'x', a, b, ..] if is_hex(*a) && is_hex(*b) => {
                out.push(x2c(*a, *b));
                i += 4;
            }
            [o, ..] if is_odigit(*o) => {
                let mut n = rest.iter().take(3).take_while(|&&c| is_odigit(c)).count();
                if n == 3 && *o > b'3' {
                    n = 2;
                }
                let v = rest[..n].iter().fold(0u8, |v, &d| v.wrapping_mul(8).wrapping_add(d - b'0'));
                out.push(v);
                i += 1 + n;
            }
            [c, ..] => {
                out.push(match c {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 0x0b,
                    other => *other,
                });
                i += 2;
            }
            [] => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    finish(input, out)
}
