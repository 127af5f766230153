//! `base64Decode`, `base64DecodeExt` and `base64Encode`.
//!
//! - `base64Encode`: standard alphabet with `=` padding.
//! - `base64Decode` (strict, ModSecurity's bundled mbedTLS 2 decoder): the input is read up
//!   to its first NUL; spaces are allowed only before a line end or at the end, `\n` and
//!   `\r\n` are skipped, at most two `=` and only at the end. Any other character makes the
//!   result empty, and a last group of fewer than four symbols is dropped.
//! - `base64DecodeExt` (forgiving): skips every byte outside the standard alphabet (the
//!   URL-safe `-` and `_` included, in 3.0.9) and decodes a partial last group; a `=` after exactly one symbol of a group (unless
//!   followed by another `=`) makes the result empty. Quirk of ModSecurity 3.0.9, matched:
//!   the result is also empty when the last symbol is `9` closing a one-symbol group,
//!   because its decoded value (61) is compared with `'='`.

use std::borrow::Cow;

use super::util::finish;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn symbol(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `t:base64Encode`.
pub fn base64_encode(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 0x3f) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    finish(input, out)
}

/// Marks `=` among the symbols (which are 0..=63).
const PAD: u8 = 64;

/// mbedTLS 2's validity pass: the symbols (and `=`) in order, or `None` if invalid.
fn strict_symbols(src: &[u8]) -> Option<Vec<u8>> {
    let mut syms = Vec::with_capacity(src.len());
    let mut equals = 0;
    let mut i = 0;
    while i < src.len() {
        let spaces = src[i..].iter().take_while(|&&c| c == b' ').count();
        i += spaces;
        if i == src.len() {
            break;
        }
        if src[i] == b'\n' || src[i..].starts_with(b"\r\n") {
            i += 1;
            continue;
        }
        if spaces != 0 {
            return None;
        }
        if src[i] == b'=' {
            equals += 1;
            if equals > 2 {
                return None;
            }
            syms.push(PAD);
        } else {
            let s = symbol(src[i])?;
            if equals != 0 {
                return None;
            }
            syms.push(s);
        }
        i += 1;
    }
    Some(syms)
}

/// `t:base64Decode`.
pub fn base64_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let src = &input[..input.iter().position(|&c| c == 0).unwrap_or(input.len())];
    let Some(syms) = strict_symbols(src) else { return finish(input, Vec::new()) };
    let mut out = Vec::with_capacity(syms.len() / 4 * 3);
    for group in syms.chunks_exact(4) {
        let pads = group.iter().filter(|&&s| s == PAD).count();
        let n = group.iter().fold(0u32, |n, &s| n << 6 | u32::from(s & 0x3f));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3usize.saturating_sub(pads)]);
    }
    finish(input, out)
}

/// `t:base64DecodeExt`.
pub fn base64_decode_ext(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 1);
    let mut acc: u32 = 0;
    let mut count = 0usize;
    let mut last: i32 = 0;
    for (idx, &c) in input.iter().enumerate() {
        if c == b'=' {
            last = i32::from(b'=');
            if input.get(idx + 1) != Some(&b'=') && count % 4 == 1 {
                return finish(input, Vec::new());
            }
            continue;
        }
        let Some(s) = symbol(c) else {
            last = -1;
            continue;
        };
        last = i32::from(s);
        acc = (acc << 6 | u32::from(s)) & 0xff_ffff;
        if !count.is_multiple_of(4) {
            let shift = 2 * (3 - count % 4);
            out.push((acc >> shift) as u8);
        }
        count += 1;
    }
    if last == i32::from(b'=') && count % 4 == 1 {
        return finish(input, Vec::new());
    }
    finish(input, out)
}
