//! `Cookie` header parsing into `REQUEST_COOKIES`, as libmodsecurity does it.

use crate::values::Values;

/// Splits on `;`, trims trailing whitespace after the last pair and leading whitespace of
/// each name, splits each pair on its first `=`, and skips pairs with an empty name.
/// Values are not decoded.
pub fn parse(header: &[u8], into: &mut Values) {
    let mut pairs: Vec<&[u8]> = header.split(|&b| b == b';').collect();
    if header.last() == Some(&b';') {
        pairs.pop();
    }
    if let Some(last) = pairs.last_mut() {
        *last = last.trim_ascii_end();
    }
    for pair in pairs.into_iter().filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let name = name.trim_ascii_start();
        if !name.is_empty() {
            into.push(name, value);
        }
    }
}
