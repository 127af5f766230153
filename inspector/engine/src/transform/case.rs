//! `lowercase` and `uppercase`: C-locale `tolower`/`toupper` on every byte (ASCII only).

use std::borrow::Cow;

/// `t:lowercase`.
pub fn lowercase(input: &[u8]) -> Cow<'_, [u8]> {
    match input.iter().position(u8::is_ascii_uppercase) {
        None => Cow::Borrowed(input),
        Some(_) => Cow::Owned(input.to_ascii_lowercase()),
    }
}

/// `t:uppercase`.
pub fn uppercase(input: &[u8]) -> Cow<'_, [u8]> {
    match input.iter().position(u8::is_ascii_lowercase) {
        None => Cow::Borrowed(input),
        Some(_) => Cow::Owned(input.to_ascii_uppercase()),
    }
}
