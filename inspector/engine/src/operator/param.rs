//! Operator parameters that may contain macros (`%{tx.allowed_methods}`): static ones are
//! used as is, the others are expanded through [`OpContext::expand`] at evaluation time.

use std::borrow::Cow;

use super::OpContext;

/// A parameter string, with or without `%{...}` macros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    text: String,
    has_macro: bool,
}

impl Param {
    pub(crate) fn new(text: &str) -> Self {
        Self { text: text.to_owned(), has_macro: has_macro(text) }
    }

    /// Whether the parameter must be expanded per evaluation.
    pub(crate) fn is_dynamic(&self) -> bool {
        self.has_macro
    }

    /// The raw text (for static parameters, the value itself).
    pub(crate) fn raw(&self) -> &str {
        &self.text
    }

    /// The value for this evaluation.
    pub(crate) fn value<'s>(&'s self, ctx: &OpContext<'_>) -> Cow<'s, str> {
        if self.has_macro { Cow::Owned((ctx.expand)(&self.text)) } else { Cow::Borrowed(&self.text) }
    }
}

/// Whether `text` contains a `%{...}` macro, as ModSecurity's run-time string detects it.
pub(crate) fn has_macro(text: &str) -> bool {
    text.find("%{").is_some_and(|start| text[start..].contains('}'))
}
