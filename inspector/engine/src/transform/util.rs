//! Byte helpers shared by the transformations, with ModSecurity's exact (sometimes lax)
//! semantics.

use std::borrow::Cow;

/// `Borrowed` when `out` equals `input`, so unchanged values never own a copy.
pub(crate) fn finish(input: &[u8], out: Vec<u8>) -> Cow<'_, [u8]> {
    if out == input { Cow::Borrowed(input) } else { Cow::Owned(out) }
}

/// C `isspace` in the "C" locale: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// ModSecurity's `VALID_HEX`.
pub(crate) fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// ModSecurity's `ISODIGIT`.
pub(crate) fn is_odigit(c: u8) -> bool {
    matches!(c, b'0'..=b'7')
}

/// ModSecurity's `xsingle2c`: no validation, so non-hex bytes give deterministic garbage.
pub(crate) fn xsingle(c: u8) -> u8 {
    if c >= b'A' { (c & 0xdf).wrapping_sub(b'A').wrapping_add(10) } else { c.wrapping_sub(b'0') }
}

/// ModSecurity's `x2c`: two digits to a byte, with unsigned-char wrap-around.
pub(crate) fn x2c(hi: u8, lo: u8) -> u8 {
    xsingle(hi).wrapping_mul(16).wrapping_add(xsingle(lo))
}

/// Lower-case hex digit for a nibble (ModSecurity's `c2x` table).
pub(crate) fn hex_digit(nibble: u8) -> u8 {
    b"0123456789abcdef"[usize::from(nibble & 0x0f)]
}

/// `strtol(digits, NULL, radix)` cast to `unsigned char`: the value saturates at `LONG_MAX`
/// on overflow (whose low byte is 0xff), then keeps its low byte.
pub(crate) fn strtol_low_byte(digits: &[u8], radix: u32) -> u8 {
    let mut v: i64 = 0;
    for &d in digits {
        let Some(n) = char::from(d).to_digit(radix) else { break };
        match v.checked_mul(i64::from(radix)).and_then(|v| v.checked_add(i64::from(n))) {
            Some(next) => v = next,
            None => return 0xff,
        }
    }
    v.to_le_bytes()[0]
}
