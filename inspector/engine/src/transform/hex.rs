//! `hexDecode`, `hexEncode` and `sqlHexDecode`.

use std::borrow::Cow;

use super::util::{finish, hex_digit, is_hex, x2c};

/// `t:hexEncode`: two lower-case hex digits per byte.
pub fn hex_encode(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(input.len() * 2);
    for &c in input {
        out.extend_from_slice(&[hex_digit(c >> 4), hex_digit(c)]);
    }
    finish(input, out)
}

/// `t:hexDecode`: each pair of bytes becomes one byte. As in ModSecurity the digits are not
/// validated (a non-hex pair gives `x2c`'s arithmetic garbage, e.g. `zz` is `S`) and an odd
/// last byte is dropped.
pub fn hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    finish(input, input.chunks_exact(2).map(|p| x2c(p[0], p[1])).collect())
}

/// `t:sqlHexDecode`: `0xHHHH...` (the `x` in either case, at least one pair of hex digits)
/// becomes the decoded bytes; `0x` without a pair is kept.
///
/// Quirks of ModSecurity 3.0.9's loop, matched: the value is cut at its first NUL byte (in
/// the input or decoded), and the input's last byte is dropped unless a hex literal
/// consumes it (so `ab` gives `a`, and any one-byte input gives the empty string).
pub fn sql_hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let at = |p: usize| input.get(p).copied().unwrap_or(0);
    let mut out = Vec::with_capacity(input.len());
    let mut p = 0;
    while p + 1 < input.len() && input[p] != 0 {
        if input[p] == b'0' && at(p + 1).eq_ignore_ascii_case(&b'x') && is_hex(at(p + 2)) && is_hex(at(p + 3)) {
            p += 2;
            while is_hex(at(p)) && is_hex(at(p + 1)) {
                out.push(x2c(input[p], input[p + 1]));
                p += 2;
            }
        }
        out.push(at(p));
        p += 1;
    }
    if let Some(nul) = out.iter().position(|&c| c == 0) {
        out.truncate(nul);
    }
    finish(input, out)
}
