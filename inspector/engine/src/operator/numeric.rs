//! Integer comparisons `@eq`, `@ge`, `@gt`, `@le`, `@lt`, with libmodsecurity's parsing of
//! both the input and the (macro-expanded) parameter:
//! - `@eq` uses `std::stoi`: a 32-bit value, and 0 when there are no digits or the value
//!   does not fit;
//! - the others use `atoll`: a 64-bit value that saturates on overflow, 0 without digits.
//!
//! Both skip leading C whitespace, accept one sign, and stop at the first non-digit, so
//! `"12abc"` is 12 and `"abc"` is 0.

use super::param::Param;
use super::{OpContext, Operator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

/// A compiled integer comparison: `input <op> parameter`.
#[derive(Debug)]
pub(crate) struct Compare {
    kind: Kind,
    param: Param,
}

impl Compare {
    /// `name` is one of `eq`, `ge`, `gt`, `le`, `lt`.
    pub(crate) fn new(name: &str, param: &str) -> Self {
        let kind = match name {
            "ge" => Kind::Ge,
            "gt" => Kind::Gt,
            "le" => Kind::Le,
            "lt" => Kind::Lt,
            _ => Kind::Eq,
        };
        Self { kind, param: Param::new(param) }
    }
}

/// Sign and digits after C whitespace; `None` when there is no digit. Saturates at
/// `i128` bounds, far beyond what the callers keep.
fn parse_c_integer(s: &[u8]) -> Option<i128> {
    let s = &s[s.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')).count()..];
    let (negative, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let magnitude =
        s[..digits].iter().fold(0i128, |acc, &d| acc.saturating_mul(10).saturating_add(i128::from(d - b'0')));
    Some(if negative { -magnitude } else { magnitude })
}

/// `std::stoi`: 0 on no digits or out of `int` range.
pub(crate) fn stoi(s: &[u8]) -> i64 {
    parse_c_integer(s).and_then(|v| i32::try_from(v).ok()).map_or(0, i64::from)
}

/// `atoll` (glibc `strtoll`): saturating, 0 on no digits.
pub(crate) fn atoll(s: &[u8]) -> i64 {
    parse_c_integer(s).map_or(0, |v| v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

impl Operator for Compare {
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
        let value = self.param.value(ctx);
        let p = value.as_bytes();
        match self.kind {
            Kind::Eq => stoi(input) == stoi(p),
            Kind::Ge => atoll(input) >= atoll(p),
            Kind::Gt => atoll(input) > atoll(p),
            Kind::Le => atoll(input) <= atoll(p),
            Kind::Lt => atoll(input) < atoll(p),
        }
    }
}
