//! `@unconditionalMatch` and `@noMatch`: constant results, whatever the input.

use super::{OpContext, Operator};

/// Always (`true`) or never (`false`) matches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Constant(pub(crate) bool);

impl Operator for Constant {
    fn evaluate(&self, _input: &[u8], _ctx: &mut OpContext<'_>) -> bool {
        self.0
    }
}
