//! `removeNulls` and `replaceNulls`.

use std::borrow::Cow;

/// `t:removeNulls`: drops every NUL byte.
pub fn remove_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&0) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().copied().filter(|&c| c != 0).collect())
}

/// `t:replaceNulls`: every NUL byte becomes a space.
pub fn replace_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&0) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().map(|&c| if c == 0 { b' ' } else { c }).collect())
}
