//! `urlEncode`: space becomes `+`; `*`, digits and ASCII letters are kept; every other byte
//! becomes `%hh` (lower-case hex, as ModSecurity's `c2x`).

use std::borrow::Cow;

use super::util::hex_digit;

fn keep(c: u8) -> bool {
    c == b'*' || c.is_ascii_alphanumeric()
}

/// `t:urlEncode`.
pub fn url_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().all(|&c| keep(c)) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 3);
    for &c in input {
        if c == b' ' {
            out.push(b'+');
        } else if keep(c) {
            out.push(c);
        } else {
            out.extend_from_slice(&[b'%', hex_digit(c >> 4), hex_digit(c)]);
        }
    }
    Cow::Owned(out)
}
