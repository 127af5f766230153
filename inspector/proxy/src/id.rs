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
    /// A new id: 28 lowercase hex digits.
    pub fn next(&self) -> String {
        format!("{:016x}{:012x}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}
