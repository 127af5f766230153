//! Transaction ids (`UNIQUE_ID`, the `x-request-id` header, the audit log's `id`): a random
//! per-process prefix and a counter, so ids are unique without a clock or a lock.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out ids.
#[derive(Debug)]
pub struct Ids {
    prefix: u64,
    next: AtomicU64,
}

impl Default for Ids {
    fn default() -> Self {
        let prefix = RandomState::new().hash_one(std::process::id()) ^ RandomState::new().hash_one(0u8);
        Self { prefix, next: AtomicU64::new(1) }
    }
}

impl Ids {
    /// A new id: 28 lowercase hex digits (the prefix's 16, the counter's low 12).
    pub fn next(&self) -> String {
        let count = self.next.fetch_add(1, Ordering::Relaxed);
        let mut id = String::with_capacity(28);
        push_hex(&mut id, self.prefix, 16);
        push_hex(&mut id, count, 12);
        id
    }
}

/// Appends the low `digits` hex digits of `n` (what `{:0digits$x}` prints when it fits).
fn push_hex(out: &mut String, n: u64, digits: u32) {
    for shift in (0..digits).rev() {
        let nibble = (n >> (shift * 4)) & 0xf;
        out.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::{Ids, Ordering};

    #[test]
    fn ids_are_the_prefix_and_the_counter_in_fixed_width_hex() {
        let ids = Ids::default();
        ids.next.store(0xab_cdef, Ordering::Relaxed);
        let (first, second) = (ids.next(), ids.next());
        assert_eq!(first, format!("{:016x}{:012x}", ids.prefix, 0xab_cdef));
        assert_eq!(second, format!("{:016x}{:012x}", ids.prefix, 0xab_cdf0));
        assert_eq!(first.len(), 28);
    }
}
