//! Which transformations can change a value, judged from the bytes it holds: a value with
//! none of a transformation's trigger bytes comes back unchanged. Benign values rarely hold
//! `%`, `&`, `\` or NUL, so most chains are known to leave them as they are without running
//! (or caching) a single step.
//!
//! Each trigger over-approximates its transformation's own "nothing to do" check (where that
//! check looks at byte pairs, such as `//` or ` (`, the trigger is one byte of the pair);
//! `tests/transform_props.rs` checks every trigger against its transformation.

use std::sync::OnceLock;

use super::REGISTRY;
use super::util::is_space;

/// What makes a transformation act.
#[derive(Clone, Copy, Debug)]
pub enum Trigger {
    /// Only input holding a byte for which this is true can change.
    On(fn(u8) -> bool),
    /// Any input may change, the empty one included (hashes, encoders, `length`).
    Any,
}

/// A set of transformations: bit `i` is `REGISTRY[i]`.
pub type Mask = u64;

const _: () = assert!(REGISTRY.len() <= Mask::BITS as usize, "one bit per registered transformation");

/// The trigger of the transformation named `name` (as spelled in the registry).
pub fn trigger_of(name: &str) -> Trigger {
    match name {
        "cmdLine" => Trigger::On(|c| {
            matches!(c, b'\\' | b'"' | b'\'' | b'^' | b',' | b';' | b' ' | b'\t' | b'\r' | b'\n')
                || c.is_ascii_uppercase()
        }),
        "compressWhitespace" | "trim" | "trimLeft" | "trimRight" => Trigger::On(is_space),
        "removeWhitespace" => Trigger::On(|c| is_space(c) || c == 0xa0 || c == 0xc2),
        "cssDecode" => Trigger::On(|c| c == b'\\' || c == 0),
        "escapeSeqDecode" | "jsDecode" => Trigger::On(|c| c == b'\\'),
        "htmlEntityDecode" => Trigger::On(|c| c == b'&'),
        "lowercase" => Trigger::On(|c| c.is_ascii_uppercase()),
        "uppercase" => Trigger::On(|c| c.is_ascii_lowercase()),
        "normalisePath" | "normalizePath" => Trigger::On(|c| c == b'.' || c == b'/'),
        "normalisePathWin" | "normalizePathWin" => Trigger::On(|c| c == b'.' || c == b'/' || c == b'\\'),
        "replaceComments" => Trigger::On(|c| c == b'*'),
        "removeComments" | "removeCommentsChar" => Trigger::On(|c| matches!(c, b'*' | b'-' | b'#')),
        "removeNulls" | "replaceNulls" => Trigger::On(|c| c == 0),
        "parityZero7bit" => Trigger::On(|c| c >= 0x80),
        "urlDecode" | "urlDecodeUni" => Trigger::On(|c| c == b'%' || c == b'+'),
        "urlEncode" => Trigger::On(|c| !(c == b'*' || c.is_ascii_alphanumeric())),
        "utf8toUnicode" => Trigger::On(|c| c == 0 || c >= 0x80),
        _ => Trigger::Any,
    }
}

/// The bit of the transformation called `name` (ASCII case-insensitive), if it exists.
pub fn bit(name: &str) -> Option<Mask> {
    REGISTRY.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)).map(|i| 1 << i)
}

/// Whether some transformation of `chain` may change `input`. False means every one of
/// them returns `input` as it is.
pub fn may_change(input: &[u8], chain: Mask) -> bool {
    let table = TABLE.get_or_init(Table::build);
    chain & table.always != 0 || input.iter().any(|&b| table.by_byte[usize::from(b)] & chain != 0)
}

/// The transformations that may change `input`.
pub fn changes(input: &[u8]) -> Mask {
    let table = TABLE.get_or_init(Table::build);
    input.iter().fold(table.always, |mask, &b| mask | table.by_byte[usize::from(b)])
}

/// Per byte, the transformations it triggers; and those that any input triggers.
struct Table {
    by_byte: [Mask; 256],
    always: Mask,
}

static TABLE: OnceLock<Table> = OnceLock::new();

impl Table {
    fn build() -> Self {
        let mut table = Table { by_byte: [0; 256], always: 0 };
        for (i, (name, _)) in REGISTRY.iter().enumerate() {
            match trigger_of(name) {
                Trigger::Any => table.always |= 1 << i,
                Trigger::On(acts_on) => {
                    for b in 0..=u8::MAX {
                        if acts_on(b) {
                            table.by_byte[usize::from(b)] |= 1 << i;
                        }
                    }
                }
            }
        }
        table
    }
}
