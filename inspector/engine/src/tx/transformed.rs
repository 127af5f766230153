//! Transformation results, shared between rules within a phase: many rules apply the same
//! chain (`t:urlDecodeUni,t:htmlEntityDecode,...`) to the same request values, so each
//! (value, chain prefix) is computed once.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use crate::ruleset::Rule;
use crate::seclang::Collection as C;
use crate::transform::Transform;
use crate::transform::trigger::{self, Mask};

/// A transformation chain to apply, and whether every changed step counts (`multiMatch`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Chain<'r> {
    pub transforms: &'r [(String, Transform)],
    pub keys: &'r [u64],
    pub mask: Mask,
    pub multi_match: bool,
}

impl<'r> Chain<'r> {
    /// The chain of `rule`.
    pub fn of(rule: &'r Rule) -> Self {
        Self {
            transforms: &rule.transforms,
            keys: &rule.transform_keys,
            mask: rule.transform_mask,
            multi_match: rule.multi_match,
        }
    }
}

/// Bytes either borrowed from the request or shared from the cache.
#[derive(Clone, Debug)]
pub(super) enum Bytes<'a> {
    Borrowed(&'a [u8]),
    Shared(Arc<[u8]>),
}

impl Deref for Bytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Borrowed(b) => b,
            Self::Shared(s) => s,
        }
    }
}

/// (address and length of the original value, chain-prefix key) → result.
#[derive(Debug, Default)]
pub(super) struct TransformCache {
    results: RefCell<Results>,
}

/// Results a phase has room for before the map grows (only values that a chain changes
/// are cached, see `transform::trigger`: a few dozen in a CRS phase).
const RESERVED: usize = 64;

/// Address and length of a request value, and a chain (prefix) key.
type Key = (usize, usize, u64);

/// Key → transformed bytes.
type Results = HashMap<Key, Cached, BuildHasherDefault<KeyHasher>>;

/// A cached transformation result.
#[derive(Clone, Debug)]
enum Cached {
    /// The chain so far left the value as it was (the common case: no copy is kept).
    Original,
    /// The changed bytes.
    Changed(Arc<[u8]>),
}

/// The keys are an address, a length and an FNV hash: mixing them is enough (no DoS
/// concern: requests cannot choose addresses).
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// The values an operator sees for one target value.
pub(super) enum Candidates<'a> {
    /// The final result only (no `multiMatch`).
    One(Option<Bytes<'a>>),
    /// `multiMatch`: the original and every changed intermediate result.
    Many(std::vec::IntoIter<Bytes<'a>>),
}

impl<'a> Iterator for Candidates<'a> {
    type Item = Bytes<'a>;
    fn next(&mut self) -> Option<Bytes<'a>> {
        match self {
            Self::One(one) => one.take(),
            Self::Many(many) => many.next(),
        }
    }
}

impl TransformCache {
    /// Forgets everything (values may have moved or changed).
    pub fn clear(&self) {
        let mut results = self.results.borrow_mut();
        if !results.is_empty() {
            results.clear();
        }
        // Room for a phase's results up front, not by rehashing.
        if results.capacity() < RESERVED {
            results.reserve(RESERVED);
        }
    }

    /// Whether values of `collection` can be cached: borrowed from request data that does
    /// not change during a phase.
    fn cacheable(collection: C, borrowed: bool) -> bool {
        borrowed && !volatile(collection)
    }

    /// The values the operator sees for `value` of `collection`: the final result, or with
    /// `multiMatch` the original and every result that differs from the one before.
    pub fn candidates<'a>(&self, rule: Chain<'_>, collection: C, value: &'a [u8], borrowed: bool) -> Candidates<'a> {
        // The common case: no step of the chain acts on any byte of the value.
        if !trigger::may_change(value, rule.mask) {
            return Candidates::One(Some(Bytes::Borrowed(value)));
        }
        let cacheable = Self::cacheable(collection, borrowed);
        let identity = (value.as_ptr() as usize, value.len());
        let lookup = |key: u64| self.results.borrow().get(&(identity.0, identity.1, key)).cloned();
        let as_bytes = |cached: Cached| match cached {
            Cached::Original => Bytes::Borrowed(value),
            Cached::Changed(bytes) => Bytes::Shared(bytes),
        };
        // The common case: the whole chain was already applied to this value by another rule.
        if cacheable
            && !rule.multi_match
            && let Some(hit) = rule.keys.last().and_then(|key| lookup(*key))
        {
            return Candidates::One(Some(as_bytes(hit)));
        }
        let mut current = Bytes::Borrowed(value);
        let mut original = true;
        let mut out = Vec::new();
        if rule.multi_match {
            out.push(current.clone());
        }
        for ((_, transform), key) in rule.transforms.iter().zip(rule.keys) {
            let next = match cacheable.then(|| lookup(*key)).flatten() {
                Some(hit) => {
                    original = matches!(hit, Cached::Original);
                    as_bytes(hit)
                }
                None => {
                    let next = match transform(&current) {
                        // Nothing changed: the input itself comes back (`trim` may borrow a part).
                        Cow::Borrowed(same) if same.as_ptr() == current.as_ptr() && same.len() == current.len() => {
                            current.clone()
                        }
                        changed => {
                            original = false;
                            Bytes::Shared(Arc::from(changed.as_ref()))
                        }
                    };
                    if cacheable {
                        let cached = match &next {
                            Bytes::Shared(s) if !original => Cached::Changed(s.clone()),
                            _ => Cached::Original,
                        };
                        self.results.borrow_mut().insert((identity.0, identity.1, *key), cached);
                    }
                    next
                }
            };
            let changed = rule.multi_match && !same(&next, &current);
            current = next;
            if changed {
                out.push(current.clone());
            }
        }
        if rule.multi_match { Candidates::Many(out.into_iter()) } else { Candidates::One(Some(current)) }
    }
}

/// Whether two results are the same bytes (cheap when they share storage).
fn same(a: &[u8], b: &[u8]) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// Collections whose values change between rules: never cached.
fn volatile(c: C) -> bool {
    matches!(
        c,
        C::Tx
            | C::Ip
            | C::Global
            | C::Session
            | C::User
            | C::Resource
            | C::MatchedVar
            | C::MatchedVarName
            | C::MatchedVars
            | C::MatchedVarsNames
    )
}
