//! Transformations (`t:NAME`): pure byte-to-byte functions with ModSecurity v3's exact
//! semantics, one file per transformation (or per small family), registered by name.
//!
//! Contract used by the rule compiler:
//! - [`lookup`] returns the function for a SecLang name (`"urlDecodeUni"`), or `None` for an
//!   unknown name, which the compiler reports as an error with file:line. `none` is not a
//!   transformation: the compiler handles it (it clears the chain).
//! - A function returns `Cow::Borrowed` when the input is unchanged, so chains cost nothing
//!   on clean input.

use std::borrow::Cow;

/// A transformation.
pub type Transform = fn(&[u8]) -> Cow<'_, [u8]>;

/// The transformation called `name` in SecLang, if it exists.
pub fn lookup(name: &str) -> Option<Transform> {
    let _ = name;
    None
}
