//! `application/x-www-form-urlencoded` arguments, split and decoded as libmodsecurity does.

use super::decode::url_decode_arg;
use crate::values::Values;

/// Arguments of a query string or form body: split on `separator` (`&` unless
/// `SecArgumentSeparator` says otherwise), then on the first `=`; names and values are
/// decoded. Empty pieces still count (`a&&b` has an empty argument). Returns whether some
/// `%` escape was invalid.
pub fn parse(input: &[u8], separator: u8, into: &mut Values) -> bool {
    let mut invalid = false;
    for piece in split(input, separator) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &b""[..]),
        };
        let (name, bad_name) = url_decode_arg(name);
        let (value, bad_value) = url_decode_arg(value);
        invalid |= bad_name || bad_value;
        into.push(name, value);
    }
    invalid
}

/// libmodsecurity's `ssplit`: a trailing separator yields no empty last piece.
fn split(input: &[u8], separator: u8) -> impl Iterator<Item = &[u8]> {
    let trailing = input.last() == Some(&separator) || input.is_empty();
    let count = input.iter().filter(|&&b| b == separator).count() + 1 - usize::from(trailing);
    input.split(move |&b| b == separator).take(count)
}
