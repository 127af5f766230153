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
    /// A parameter without macros, parsed once.
    fixed: Option<i64>,
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
        let param = Param::new(param);
        let fixed = (!param.is_dynamic()).then(|| kind.parse(param.raw().as_bytes()));
        Self { kind, param, fixed }
    }
}

impl Kind {
    /// A value as this comparison reads it: `stoi` for `@eq`, else `atoll`.
    fn parse(self, s: &[u8]) -> i64 {
        if self == Kind::Eq { stoi(s) } else { atoll(s) }
    }
}

/// Sign and digits after C whitespace; `None` when there is no digit. The magnitude saturates
/// at `u64::MAX`, beyond what the callers keep.
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
    let magnitude = s[..digits].iter().fold(0u64, |acc, &d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
    let magnitude = i128::from(magnitude);
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
        let p = match self.fixed {
            Some(p) => p,
            None => self.kind.parse(self.param.value(ctx).as_bytes()),
        };
        let v = self.kind.parse(input);
        match self.kind {
            Kind::Eq => v == p,
            Kind::Ge => v >= p,
            Kind::Gt => v > p,
            Kind::Le => v <= p,
            Kind::Lt => v < p,
        }
    }
}
