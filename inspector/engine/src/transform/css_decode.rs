//! `cssDecode`: CSS 2 escapes, as ModSecurity decodes them.
//!
//! - `\` followed by 1 to 6 hex digits gives one byte: the value of a single digit, else of
//!   the last two digits. With 4 digits, or 5/6 digits whose extra leading digits are `0`,
//!   the full-width ASCII rule applies (`\ff41` is `a`). One whitespace byte after the
//!   digits is swallowed.
//! - `\` + newline is removed; `\` + any other byte gives that byte; a final `\` is removed.
//! - Quirk of ModSecurity 3.0.9, matched: the result is cut at its first NUL byte (whether
//!   the NUL was in the input or decoded from `\0`), because the C buffer is re-read as a
//!   C string.

use std::borrow::Cow;

use super::url_decode::full_width;
use super::util::{finish, is_hex, is_space, x2c, xsingle};

/// `t:cssDecode`.
pub fn css_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = input.iter().position(|&c| c == b'\\' || c == 0) else {
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
        i += 1;
        let Some(&next) = input.get(i) else { break };
        let digits = &input[i..];
        let j = digits.iter().take(6).take_while(|&&c| is_hex(c)).count();
        if j == 0 {
            if next != b'\n' {
                out.push(next);
            }
            i += 1;
            continue;
        }
        let low = if j == 1 { xsingle(digits[0]) } else { x2c(digits[j - 2], digits[j - 1]) };
        let full_check = match j {
            4 => true,
            5 => digits[0] == b'0',
            6 => digits[0] == b'0' && digits[1] == b'0',
            _ => false,
        };
        out.push(if full_check { full_width(digits[j - 4], digits[j - 3], low) } else { low });
        i += j;
        if input.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
    }
    if let Some(nul) = out.iter().position(|&c| c == 0) {
        out.truncate(nul);
    }
    finish(input, out)
}
