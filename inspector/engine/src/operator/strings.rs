//! String comparisons: `@streq`, `@contains`, `@containsWord`, `@beginsWith`, `@endsWith`,
//! `@within` and `@strmatch`. Byte-exact and case-sensitive (CRS lowercases first); the
//! parameter may hold macros, expanded per evaluation.

use super::param::Param;
use super::{OpContext, Operator, Prefilter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StrEq,
    Contains,
    ContainsWord,
    BeginsWith,
    EndsWith,
    Within,
}

/// A compiled string comparison.
#[derive(Debug)]
pub(crate) struct StrOp {
    kind: Kind,
    param: Param,
}

impl StrOp {
    /// `name` is one of the operators of this module (`strmatch` behaves as `contains`).
    pub(crate) fn new(name: &str, param: &str) -> Self {
        let kind = match name {
            "streq" => Kind::StrEq,
            "containsWord" => Kind::ContainsWord,
            "beginsWith" => Kind::BeginsWith,
            "endsWith" => Kind::EndsWith,
            "within" => Kind::Within,
            _ => Kind::Contains,
        };
        Self { kind, param: Param::new(param) }
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// libmodsecurity's `containsWord`: only ASCII letters are word characters, so digits and
/// `_` delimit words too; a position outside the input is not a delimiter.
fn delimiter_at(hay: &[u8], pos: usize) -> bool {
    hay.get(pos).is_some_and(|b| !b.is_ascii_alphabetic())
}

fn contains_word(hay: &[u8], word: &[u8]) -> bool {
    if word.is_empty() {
        return true;
    }
    if hay.is_empty() {
        return false;
    }
    if hay == word {
        return true;
    }
    let mut next = find(hay, word, 0);
    while let Some(pos) = next {
        let end = pos + word.len();
        let before = pos.checked_sub(1).is_some_and(|p| delimiter_at(hay, p));
        if (pos == 0 && delimiter_at(hay, end)) || (end == hay.len() && before) || (before && delimiter_at(hay, end)) {
            return true;
        }
        next = find(hay, word, pos + 1);
    }
    false
}

impl Operator for StrOp {
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
        let value = self.param.value(ctx);
        let p = value.as_bytes();
        match self.kind {
            Kind::StrEq => input == p,
            Kind::Contains => find(input, p, 0).is_some(),
            Kind::ContainsWord => contains_word(input, p),
            Kind::BeginsWith => input.starts_with(p),
            Kind::EndsWith => input.ends_with(p),
            Kind::Within => input.is_empty() || find(p, input, 0).is_some(),
        }
    }

    fn prefilter(&self) -> Option<Prefilter> {
        let literal = self.param.raw().as_bytes();
        let usable =
            matches!(self.kind, Kind::StrEq | Kind::Contains | Kind::ContainsWord | Kind::BeginsWith | Kind::EndsWith);
        (usable && !self.param.is_dynamic() && !literal.is_empty())
            .then(|| Prefilter { literals: vec![literal.to_ascii_lowercase()], case_insensitive: true })
    }
}
