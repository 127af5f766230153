//! Transformations (`t:NAME`): pure byte-to-byte functions with ModSecurity v3's exact
//! semantics, one file per transformation (or per small family), registered by name.
//!
//! Contract used by the rule compiler:
//! - [`lookup`] returns the function for a SecLang name (`"urlDecodeUni"`), or `None` for an
//!   unknown name, which the compiler reports as an error with file:line. `none` is not a
//!   transformation: the compiler handles it (it clears the chain), so `lookup("none")` is
//!   `None`.
//! - Names match ASCII case-insensitively, as libmodsecurity's scanner does
//!   (`(?i:t:urlDecodeUni)`); CRS spells them in camelCase (and once `base64decode`).
//! - A function returns `Cow::Borrowed` when the input is unchanged, so chains cost nothing
//!   on clean input.
//!
//! The reference is libmodsecurity 3.0.9 (Debian's `libmodsecurity3` 3.0.9-1+deb12u2):
//! where it has a quirk, the module implementing it says so and matches it.

use std::borrow::Cow;

mod base64;
mod case;
mod cmd_line;
mod comments;
mod css_decode;
mod escape_seq_decode;
mod hash;
mod hex;
mod html_entity_decode;
mod js_decode;
mod normalise_path;
mod nulls;
mod parity;
pub mod trigger;
mod url_decode;
mod url_encode;
mod utf8_to_unicode;
mod util;
mod whitespace;

pub use base64::{base64_decode, base64_decode_ext, base64_encode};
pub use case::{lowercase, uppercase};
pub use cmd_line::cmd_line;
pub use comments::{remove_comments, remove_comments_char, replace_comments};
pub use css_decode::css_decode;
pub use escape_seq_decode::escape_seq_decode;
pub use hash::{length, md5, sha1};
pub use hex::{hex_decode, hex_encode, sql_hex_decode};
pub use html_entity_decode::html_entity_decode;
pub use js_decode::js_decode;
pub use normalise_path::{normalize_path, normalize_path_win};
pub use nulls::{remove_nulls, replace_nulls};
pub use parity::{parity_even_7bit, parity_odd_7bit, parity_zero_7bit};
pub use url_decode::{url_decode, url_decode_uni};
pub use url_encode::url_encode;
pub use utf8_to_unicode::utf8_to_unicode;
pub use whitespace::{compress_whitespace, remove_whitespace, trim, trim_left, trim_right};

/// A transformation.
pub type Transform = fn(&[u8]) -> Cow<'_, [u8]>;

/// Every transformation by its SecLang name (ModSecurity's spelling; aliases included).
pub const REGISTRY: &[(&str, Transform)] = &[
    ("base64Decode", base64_decode),
    ("base64DecodeExt", base64_decode_ext),
    ("base64Encode", base64_encode),
    ("cmdLine", cmd_line),
    ("compressWhitespace", compress_whitespace),
    ("cssDecode", css_decode),
    ("escapeSeqDecode", escape_seq_decode),
    ("hexDecode", hex_decode),
    ("hexEncode", hex_encode),
    ("htmlEntityDecode", html_entity_decode),
    ("jsDecode", js_decode),
    ("length", length),
    ("lowercase", lowercase),
    ("md5", md5),
    ("normalisePath", normalize_path),
    ("normalizePath", normalize_path),
    ("normalisePathWin", normalize_path_win),
    ("normalizePathWin", normalize_path_win),
    ("parityEven7bit", parity_even_7bit),
    ("parityOdd7bit", parity_odd_7bit),
    ("parityZero7bit", parity_zero_7bit),
    ("removeComments", remove_comments),
    ("removeCommentsChar", remove_comments_char),
    ("removeNulls", remove_nulls),
    ("removeWhitespace", remove_whitespace),
    ("replaceComments", replace_comments),
    ("replaceNulls", replace_nulls),
    ("sha1", sha1),
    ("sqlHexDecode", sql_hex_decode),
    ("trim", trim),
    ("trimLeft", trim_left),
    ("trimRight", trim_right),
    ("uppercase", uppercase),
    ("urlDecode", url_decode),
    ("urlDecodeUni", url_decode_uni),
    ("urlEncode", url_encode),
    ("utf8toUnicode", utf8_to_unicode),
];

/// The transformation called `name` in SecLang (ASCII case-insensitive), if it exists.
/// `none` is not one: see the module docs.
pub fn lookup(name: &str) -> Option<Transform> {
    REGISTRY.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, f)| f)
}
