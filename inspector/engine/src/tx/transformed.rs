//! Transformation results, shared between rules within a phase: many rules apply the same
//! chain (`t:urlDecodeUni,t:htmlEntityDecode,...`) to the same request values, so each
//! (value, chain prefix) is computed once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use crate::ruleset::Rule;
use crate::seclang::Collection as C;

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

/// Address, length and chain key of a value → its transformed bytes.
type Results = HashMap<(usize, usize, u64), Arc<[u8]>, BuildHasherDefault<KeyHasher>>;

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

impl TransformCache {
    /// Forgets everything (values may have moved or changed).
    pub fn clear(&self) {
        self.results.borrow_mut().clear();
    }

    /// The values the operator sees for `value` of `collection`: the final result, or with
    /// `multiMatch` the original and every result that differs from the one before.
    pub fn candidates<'a>(&self, rule: &Rule, collection: C, value: &'a [u8], stable: bool) -> Vec<Bytes<'a>> {
        let cacheable = stable && !volatile(collection);
        let identity = (value.as_ptr() as usize, value.len());
        // The common case: the whole chain was already applied to this value by another rule.
        if cacheable
            && !rule.multi_match
            && let Some(last) = rule.transform_keys.last()
            && let Some(hit) = self.results.borrow().get(&(identity.0, identity.1, *last))
        {
            return vec![Bytes::Shared(hit.clone())];
        }
        let mut current = Bytes::Borrowed(value);
        let mut out = Vec::new();
        if rule.multi_match {
            out.push(current.clone());
        }
        for ((_, transform), key) in rule.transforms.iter().zip(&rule.transform_keys) {
            let cache_key = (identity.0, identity.1, *key);
            let hit = cacheable.then(|| self.results.borrow().get(&cache_key).cloned()).flatten();
            let next = match hit {
                Some(shared) => Bytes::Shared(shared),
                None => {
                    let next = match transform(&current) {
                        // Transformations borrow their input exactly when nothing changed.
                        std::borrow::Cow::Borrowed(_) => current.clone(),
                        std::borrow::Cow::Owned(changed) => Bytes::Shared(Arc::from(changed)),
                    };
                    if cacheable {
                        let shared: Arc<[u8]> = match &next {
                            Bytes::Shared(s) => s.clone(),
                            Bytes::Borrowed(b) => Arc::from(*b),
                        };
                        self.results.borrow_mut().insert(cache_key, shared);
                    }
                    next
                }
            };
            let changed = !same(&next, &current);
            current = next;
            if rule.multi_match && changed {
                out.push(current.clone());
            }
        }
        if !rule.multi_match {
            out.push(current);
        }
        out
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
