//! Input validators: `@validateByteRange`, `@validateUrlEncoding`,
//! `@validateUtf8Encoding`. Each matches when the input is *invalid*.

use super::{OpContext, Operator};

/// `@validateByteRange 1-255` / `38,44-46,48-58`: matches when a byte is outside the ranges.
#[derive(Debug)]
pub(crate) struct ByteRange {
    allowed: [bool; 256],
}

impl ByteRange {
    pub(crate) fn new(param: &str) -> Result<Self, String> {
        let mut allowed = [false; 256];
        for item in param.split(',') {
            let (start, end) = match item.split_once('-') {
                Some((a, b)) => (byte_value(a)?, byte_value(b)?),
                None => (byte_value(item)?, byte_value(item)?),
            };
            if start > end {
                return Err(format!("@validateByteRange: invalid range {start}-{end}"));
            }
            allowed[start..=end].fill(true);
        }
        Ok(Self { allowed })
    }
}

fn byte_value(s: &str) -> Result<usize, String> {
    s.trim().parse::<u8>().map(usize::from).map_err(|_| format!("@validateByteRange: invalid byte value {s:?}"))
}

impl Operator for ByteRange {
    fn evaluate(&self, input: &[u8], _ctx: &mut OpContext<'_>) -> bool {
        input.iter().any(|&b| !self.allowed[usize::from(b)])
    }
}

/// `@validateUrlEncoding`: matches on a `%` not followed by two hex digits (including a
/// `%` too close to the end). Empty input is valid.
#[derive(Debug)]
pub(crate) struct UrlEncoding;

impl Operator for UrlEncoding {
    fn evaluate(&self, input: &[u8], _ctx: &mut OpContext<'_>) -> bool {
        let mut i = 0;
        while i < input.len() {
            if input[i] != b'%' {
                i += 1;
                continue;
            }
            match (input.get(i + 1), input.get(i + 2)) {
                (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => i += 3,
                _ => return true,
            }
        }
        false
    }
}

/// `@validateUtf8Encoding`: matches on truncated or invalid sequences, overlong forms,
/// surrogates and code points above U+10FFFF (RFC 3629, as libmodsecurity checks them).
#[derive(Debug)]
pub(crate) struct Utf8Encoding;

/// Length of the valid character at the start of `s`, or `None` if it is invalid.
fn utf8_char_len(s: &[u8]) -> Option<usize> {
    let c = *s.first()?;
    let (len, initial) = match c {
        0x00..=0x7F => return Some(1),
        _ if c & 0xE0 == 0xC0 => (2, u32::from(c & 0x1F)),
        _ if c & 0xF0 == 0xE0 => (3, u32::from(c & 0x0F)),
        _ if c & 0xF8 == 0xF0 && c < 0xF5 => (4, u32::from(c & 0x07)),
        _ => return None,
    };
    let tail = s.get(1..len)?;
    if tail.iter().any(|b| b & 0xC0 != 0x80) {
        return None;
    }
    let d = tail.iter().fold(initial, |acc, b| acc << 6 | u32::from(b & 0x3F));
    let min = match len {
        2 => 0x80,
        3 => 0x800,
        _ => 0x1_0000,
    };
    if (0xD800..=0xDFFF).contains(&d) || d < min { None } else { Some(len) }
}

impl Operator for Utf8Encoding {
    fn evaluate(&self, input: &[u8], _ctx: &mut OpContext<'_>) -> bool {
        let mut i = 0;
        while i < input.len() {
            match utf8_char_len(&input[i..]) {
                Some(n) => i += n,
                None => return true,
            }
        }
        false
    }
}
