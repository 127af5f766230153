//! `parityEven7bit`, `parityOdd7bit` and `parityZero7bit`.
//!
//! As in ModSecurity, the parity is computed over all eight bits of the input byte (the
//! high bit included), then bit 7 is set or cleared.

use std::borrow::Cow;

use super::util::finish;

fn map(input: &[u8], f: impl Fn(u8) -> u8) -> Cow<'_, [u8]> {
    match input.iter().position(|&c| f(c) != c) {
        None => Cow::Borrowed(input),
        Some(_) => finish(input, input.iter().map(|&c| f(c)).collect()),
    }
}

fn odd_bits(c: u8) -> bool {
    c.count_ones() % 2 == 1
}

/// `t:parityEven7bit`: bit 7 set when the byte has an odd number of bits set.
pub fn parity_even_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    map(input, |c| if odd_bits(c) { c | 0x80 } else { c & 0x7f })
}

/// `t:parityOdd7bit`: bit 7 set when the byte has an even number of bits set.
pub fn parity_odd_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    map(input, |c| if odd_bits(c) { c & 0x7f } else { c | 0x80 })
}

/// `t:parityZero7bit`: bit 7 cleared.
pub fn parity_zero_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    map(input, |c| c & 0x7f)
}
