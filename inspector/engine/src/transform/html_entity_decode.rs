//! `htmlEntityDecode`, with ModSecurity's own (lax) rules rather than HTML5's:
//!
//! - `&#DDD` and `&#xHHH` / `&#XHHH` decode to one byte: the value `strtol` gives, cast to
//!   `unsigned char` (so `&#321;` is `A`, and an overflowing value saturates to `0xff`).
//!   The trailing `;` is optional and consumed when present.
//! - Named entities: only `quot`, `amp`, `lt`, `gt` and `nbsp` (any case, `nbsp` is byte
//!   0xa0), the name being the longest run of ASCII alphanumerics; `;` is optional.
//! - Anything else is copied: `&#`/`&#x` without digits keeps those bytes, and an unknown
//!   name keeps `&` and the name.

use std::borrow::Cow;

use super::util::{finish, strtol_low_byte};

const NBSP: u8 = 0xa0;

fn named(name: &[u8]) -> Option<u8> {
    const TABLE: [(&[u8], u8); 5] = [(b"quot", b'"'), (b"amp", b'&'), (b"lt", b'<'), (b"gt", b'>'), (b"nbsp", NBSP)];
    TABLE.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, c)| c)
}

/// `j` past an optional `;`.
fn skip_semicolon(input: &[u8], j: usize) -> usize {
    if input.get(j) == Some(&b';') { j + 1 } else { j }
}

/// Decodes the entity at `input[i] == '&'`: `Ok((byte, next i))`, or `Err(bytes to copy)`.
fn entity(input: &[u8], i: usize) -> Result<(u8, usize), usize> {
    let mut j = i + 1;
    if j >= input.len() {
        return Err(1);
    }
    if input[j] != b'#' {
        let k = j;
        while j < input.len() && input[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == k {
            return Err(1);
        }
        return named(&input[k..j]).map(|c| (c, skip_semicolon(input, j))).ok_or(j - k + 1);
    }
    j += 1;
    if j >= input.len() {
        return Err(2);
    }
    let (radix, copy): (u32, usize) = if matches!(input[j], b'x' | b'X') {
        j += 1;
        if j >= input.len() {
            return Err(3);
        }
        (16, 3)
    } else {
        (10, 2)
    };
    let k = j;
    while j < input.len() && char::from(input[j]).is_digit(radix) {
        j += 1;
    }
    if j == k {
        return Err(copy);
    }
    Ok((strtol_low_byte(&input[k..j], radix), skip_semicolon(input, j)))
}

/// `t:htmlEntityDecode`.
pub fn html_entity_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = input.iter().position(|&c| c == b'&') else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        if input[i] != b'&' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        match entity(input, i) {
            Ok((c, next)) => {
                out.push(c);
                i = next;
            }
            Err(copy) => {
                out.extend_from_slice(&input[i..i + copy]);
                i += copy;
            }
        }
    }
    finish(input, out)
}
