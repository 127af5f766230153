//! Buffers a finished transaction hands to the next one on its thread. CRS sets dozens of
//! `TX` values per request, and the prefilter's rows, the transformation cache and the
//! matched-variable buffers fill up again on every request; regrowing them from nothing
//! was a tenth of a GET's instructions.

use std::cell::RefCell;

use super::eval::Found;
use super::prefilter::Unions;
use super::transformed::TransformCache;
use crate::values::Values;

/// The buffers of one transaction, cleared.
#[derive(Debug, Default)]
pub(super) struct Buffers {
    pub tx: Values,
    pub args: Values,
    pub matched_vars: Values,
    pub transformed: TransformCache,
    pub unions: Unions,
    pub found: Found,
}

/// Buffers a thread keeps: more than the transactions it runs at once gains nothing.
const KEPT: usize = 16;

thread_local! {
    static KEPT_BUFFERS: RefCell<Vec<Buffers>> = const { RefCell::new(Vec::new()) };
}

impl Buffers {
    /// Buffers a transaction on this thread left, or new ones with room for `tx_capacity`
    /// TX values.
    pub fn take(tx_capacity: usize) -> Self {
        KEPT_BUFFERS
            .with(|kept| kept.borrow_mut().pop())
            .unwrap_or_else(|| Self { tx: Values::with_capacity(tx_capacity), ..Self::default() })
    }

    /// Clears the buffers and keeps them for the thread's next transaction.
    pub fn give_back(mut self) {
        self.tx.clear();
        self.args.clear();
        self.matched_vars.clear();
        self.transformed.clear();
        self.unions.clear();
        self.found.clear();
        // `try_with`: a thread that is exiting drops them instead.
        let _ = KEPT_BUFFERS.try_with(|kept| {
            let mut kept = kept.borrow_mut();
            if kept.len() < KEPT {
                kept.push(self);
            }
        });
    }
}
