//! `length`, `sha1` and `md5`. The digests are raw bytes (not hex), as in ModSecurity;
//! chain `t:hexEncode` to get hex.

use std::borrow::Cow;

use md5::Md5;
use sha1::{Digest, Sha1};

use super::util::finish;

/// `t:length`: the byte length as a decimal string.
pub fn length(input: &[u8]) -> Cow<'_, [u8]> {
    finish(input, input.len().to_string().into_bytes())
}

/// `t:sha1`: the 20-byte SHA-1 digest.
pub fn sha1(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Owned(Sha1::digest(input).to_vec())
}

/// `t:md5`: the 16-byte MD5 digest.
pub fn md5(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Owned(Md5::digest(input).to_vec())
}
