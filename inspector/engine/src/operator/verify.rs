//! `@verifyCC`, `@verifySSN`, `@verifyCPF`: the parameter is a regex finding candidates;
//! the operator matches when a candidate also passes its checksum (Luhn for card numbers,
//! area/group/serial rules for US SSNs, the two mod-11 check digits for Brazilian CPFs).
//! Non-digits inside a candidate are ignored. Group 0 captures the valid candidate.

use super::rx_translate::translate_pcre;
use super::{OpContext, Operator};

/// Which checksum to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    CreditCard,
    Ssn,
    Cpf,
}

/// A compiled verifier.
#[derive(Debug)]
pub(crate) struct Verify {
    kind: Kind,
    finder: regex::bytes::Regex,
}

impl Verify {
    pub(crate) fn new(kind: Kind, pattern: &str) -> Result<Self, String> {
        let translated = format!("(?sm){}", translate_pcre(pattern));
        let finder = regex::bytes::RegexBuilder::new(&translated)
            .unicode(false)
            .build()
            .map_err(|e| format!("verify pattern {pattern:?}: {e}"))?;
        Ok(Self { kind, finder })
    }
}

fn digits(s: &[u8]) -> Vec<u32> {
    s.iter().filter(|b| b.is_ascii_digit()).map(|b| u32::from(b - b'0')).collect()
}

/// Luhn checksum over the digits of `s` (at least one digit).
pub(crate) fn luhn(s: &[u8]) -> bool {
    let d = digits(s);
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &v)| if i % 2 == 1 { if v * 2 > 9 { v * 2 - 9 } else { v * 2 } } else { v })
        .sum();
    !d.is_empty() && sum.is_multiple_of(10)
}

/// US social security number: nine digits, area not 000, 666 or 900-999, group and serial
/// not zero, not all the same digit, not 123456789.
pub(crate) fn ssn(s: &[u8]) -> bool {
    let d = digits(s);
    if d.len() != 9 || d.iter().all(|&v| v == d[0]) || d == [1, 2, 3, 4, 5, 6, 7, 8, 9] {
        return false;
    }
    let num = |r: std::ops::Range<usize>| d[r].iter().fold(0, |acc, &v| acc * 10 + v);
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Brazilian CPF: eleven digits, not all the same, with both check digits right.
pub(crate) fn cpf(s: &[u8]) -> bool {
    let d = digits(s);
    if d.len() != 11 || d.iter().all(|&v| v == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let sum: u32 = d[..n].iter().zip((2..=n as u32 + 1).rev()).map(|(v, w)| v * w).sum();
        let r = sum * 10 % 11;
        if r == 10 { 0 } else { r }
    };
    check(9) == d[9] && check(10) == d[10]
}

impl Operator for Verify {
    fn evaluate(&self, input: &[u8], ctx: &mut OpContext<'_>) -> bool {
        let valid = |c: &[u8]| match self.kind {
            Kind::CreditCard => luhn(c),
            Kind::Ssn => ssn(c),
            Kind::Cpf => cpf(c),
        };
        match self.finder.find_iter(input).find(|m| valid(m.as_bytes())) {
            Some(m) => {
                ctx.capture([m.as_bytes().to_vec()]);
                true
            }
            None => false,
        }
    }
}
