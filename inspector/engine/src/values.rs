//! Runtime collections: ordered multimaps of byte strings, as ModSecurity keeps ARGS, headers and
//! cookies. Keys compare case-insensitively (ASCII), like libmodsecurity's variable maps;
//! insertion order is kept, because rules see values in request order. An index by key hash
//! finds a key without scanning (CRS reads `TX` by key hundreds of times per request).

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::OnceLock;

/// One collection (`ARGS`, `REQUEST_HEADERS`, `TX`, ...). Keys and values live one after
/// another in one buffer, so adding a value allocates nothing once the buffers have grown,
/// and a cleared collection keeps its room.
#[derive(Clone, Debug, Default)]
pub struct Values {
    /// Every key and value; the entries point into it.
    bytes: Vec<u8>,
    entries: Vec<Entry>,
    /// Key hash → where entries with that hash are. Hashes may collide: the keys are always
    /// compared, and a collision only widens the range scanned.
    index: HashMap<u64, Slot, BuildHasherDefault<Prehashed>>,
    /// Bytes of `bytes` that no entry points at any more (replaced or removed values).
    garbage: usize,
}

/// Where one entry's key and value are in `Values::bytes`.
#[derive(Clone, Debug)]
struct Entry {
    key: Range<usize>,
    value: Range<usize>,
}

/// The entries whose keys share one hash: the first position and how many there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    first: usize,
    count: usize,
}

/// Garbage below this is never worth a compaction.
const COMPACT_AFTER: usize = 4096;

impl PartialEq for Values {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Values {}

impl Values {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty collection with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(n * 32),
            entries: Vec::with_capacity(n),
            index: HashMap::with_capacity_and_hasher(n, Default::default()),
            garbage: 0,
        }
    }

    /// Appends a value (a key may repeat: `a=1&a=2` gives two `ARGS:a`).
    pub fn push(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let key = self.append(key.as_ref());
        let value = self.append(value.as_ref());
        let at = self.entries.len();
        let hash = key_hash(&self.bytes[key.clone()]);
        self.index.entry(hash).and_modify(|s| s.count += 1).or_insert(Slot { first: at, count: 1 });
        self.entries.push(Entry { key, value });
    }

    /// Replaces every value of `key` with one value (`setvar`, `initcol`).
    pub fn set(&mut self, key: &[u8], value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        let (start, end) = self.range(key);
        let Some(i) = (start..end).find(|&i| self.key_at(i).eq_ignore_ascii_case(key)) else {
            return self.push(key, value);
        };
        let old = self.entries[i].value.clone();
        if value.len() <= old.len() {
            // In place: CRS rewrites the same scores and flags all the time.
            self.bytes[old.start..old.start + value.len()].copy_from_slice(value);
            self.entries[i].value = old.start..old.start + value.len();
            self.garbage += old.len() - value.len();
        } else {
            self.entries[i].value = self.append(value);
            self.garbage += old.len();
        }
        if (i + 1..end).any(|j| self.key_at(j).eq_ignore_ascii_case(key)) {
            let mut n = 0;
            let bytes = &self.bytes;
            let mut dropped = 0;
            self.entries.retain(|e| {
                n += 1;
                let keep = n - 1 <= i || !bytes[e.key.clone()].eq_ignore_ascii_case(key);
                if !keep {
                    dropped += e.key.len() + e.value.len();
                }
                keep
            });
            self.garbage += dropped;
            self.reindex();
        }
        self.compact_if_wasteful();
    }

    /// Removes every value, keeping the room they took (a collection reused per rule).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
        self.index.clear();
        self.garbage = 0;
    }

    /// Removes every value of `key`.
    pub fn remove(&mut self, key: &[u8]) {
        if self.get(key).next().is_some() {
            let bytes = &self.bytes;
            let mut dropped = 0;
            self.entries.retain(|e| {
                let keep = !bytes[e.key.clone()].eq_ignore_ascii_case(key);
                if !keep {
                    dropped += e.key.len() + e.value.len();
                }
                keep
            });
            self.garbage += dropped;
            self.reindex();
            self.compact_if_wasteful();
        }
    }

    /// The first value of `key`.
    pub fn first(&self, key: &[u8]) -> Option<&[u8]> {
        self.get(key).next().map(|(_, v)| v)
    }

    /// Every `(key, value)` whose key equals `key`.
    pub fn get<'a: 'k, 'k>(&'a self, key: &'k [u8]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'k {
        self.positions_of(key).map(|(_, entry)| entry)
    }

    /// Every `(key, value)` whose key equals `key`, with its position in insertion order.
    pub fn positions_of<'a: 'k, 'k>(
        &'a self,
        key: &'k [u8],
    ) -> impl Iterator<Item = (usize, (&'a [u8], &'a [u8]))> + 'k {
        let (start, end) = self.range(key);
        (start..end).map(move |i| (i, self.entry(i))).filter(move |(_, (k, _))| k.eq_ignore_ascii_case(key))
    }

    /// Every `(key, value)`, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries.iter().map(|e| (&self.bytes[e.key.clone()], &self.bytes[e.value.clone()]))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of key and value lengths (`ARGS_COMBINED_SIZE`).
    pub fn combined_size(&self) -> usize {
        self.entries.iter().map(|e| e.key.len() + e.value.len()).sum()
    }

    /// The key and value at position `i`.
    fn entry(&self, i: usize) -> (&[u8], &[u8]) {
        let e = &self.entries[i];
        (&self.bytes[e.key.clone()], &self.bytes[e.value.clone()])
    }

    fn key_at(&self, i: usize) -> &[u8] {
        &self.bytes[self.entries[i].key.clone()]
    }

    /// Copies `b` to the end of the buffer; where it went.
    fn append(&mut self, b: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(b);
        start..self.bytes.len()
    }

    /// Rewrites the buffer without its garbage once that is most of it.
    fn compact_if_wasteful(&mut self) {
        if self.garbage < COMPACT_AFTER || self.garbage * 2 < self.bytes.len() {
            return;
        }
        let mut bytes = Vec::with_capacity(self.bytes.len() - self.garbage);
        for e in &mut self.entries {
            for range in [&mut e.key, &mut e.value] {
                let start = bytes.len();
                bytes.extend_from_slice(&self.bytes[range.clone()]);
                *range = start..bytes.len();
            }
        }
        self.bytes = bytes;
        self.garbage = 0;
    }

    /// The positions that can hold `key`: its hash's one entry, or from its first to the end.
    fn range(&self, key: &[u8]) -> (usize, usize) {
        match self.index.get(&key_hash(key)) {
            None => (0, 0),
            Some(s) if s.count == 1 => (s.first, s.first + 1),
            Some(s) => (s.first, self.entries.len()),
        }
    }

    /// Rebuilds the index after entries moved.
    fn reindex(&mut self) {
        self.index.clear();
        for (at, e) in self.entries.iter().enumerate() {
            let hash = key_hash(&self.bytes[e.key.clone()]);
            self.index.entry(hash).and_modify(|s| s.count += 1).or_insert(Slot { first: at, count: 1 });
        }
    }
}

/// A case-insensitive hash of a key, eight bytes at a time: each word ASCII-lowercased
/// without branches, then folded in by a multiply from a per-process random seed (requests
/// cannot aim at chosen hashes; a collision costs a wider scan). CRS hashes `TX` keys of
/// 20-30 bytes hundreds of times per request, so the per-byte loop this replaced showed.
fn key_hash(key: &[u8]) -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u8));
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(K);
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        h = (h ^ lowercase_word(u64::from_le_bytes(bytes))).wrapping_mul(K).rotate_left(29);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut bytes = [0u8; 8];
        bytes[..rest.len()].copy_from_slice(rest);
        h = (h ^ lowercase_word(u64::from_le_bytes(bytes))).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// `to_ascii_lowercase` of eight bytes at once: 0x20 added to each byte in `A..=Z`.
fn lowercase_word(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = x & LOW7;
    // Per byte, bit 7 set when the low seven bits are >= 'A' (0x41), and when they are > 'Z'.
    let at_least_a = low + 0x3f3f_3f3f_3f3f_3f3f;
    let above_z = low + 0x2525_2525_2525_2525;
    let upper = at_least_a & !above_z & !x & HIGH;
    x | (upper >> 2)
}

/// Hasher for keys that are already hashes.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests;
