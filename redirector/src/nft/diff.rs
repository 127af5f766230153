//! From the ruleset the kernel has to the one wanted, as one `nft -f` transaction (the kernel
//! applies a file all or nothing). When a table's rules, chains and set declarations are
//! unchanged, only set elements move: deletes, then adds. When its structure changed, the
//! table is deleted and defined anew in the same transaction, so no packet ever sees half of
//! either. Never a flush: an unchanged table costs nothing.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::element::Element;
use super::model::{Ruleset, Table, element_list};

/// The transaction and what it does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    /// `nft -f` text; empty when there is nothing to do.
    pub text: String,
    /// Tables defined from nothing or replaced whole (`inet chainwall`).
    pub replaced: Vec<String>,
    /// Tables deleted.
    pub deleted: Vec<String>,
    /// Set elements added plus deleted, in tables updated in place.
    pub element_changes: usize,
}

impl Transaction {
    /// Whether applying it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// The transaction turning `old` into `new`.
pub fn diff(old: &Ruleset, new: &Ruleset) -> Transaction {
    let mut tx = Transaction::default();
    let mut deletes = String::new();
    let mut adds = String::new();
    let mut definitions = String::new();
    for table in &old.tables {
        if new.table(table.family, &table.name).is_none() {
            let _ = writeln!(deletes, "delete table {}", table.id());
            tx.deleted.push(table.id());
        }
    }
    for table in &new.tables {
        match old.table(table.family, &table.name) {
            Some(before) if before.same_skeleton(table) => {
                tx.element_changes += elements(before, table, &mut deletes, &mut adds);
            }
            Some(_) => {
                // `table` first, so that the delete cannot fail if someone removed it meanwhile.
                let _ = writeln!(definitions, "table {id}\ndelete table {id}", id = table.id());
                definitions.push_str(&table.to_nft());
                tx.replaced.push(table.id());
            }
            None => {
                definitions.push_str(&table.to_nft());
                tx.replaced.push(table.id());
            }
        }
    }
    tx.text = format!("{deletes}{adds}{definitions}");
    tx
}

/// Writes the element deletes and adds between two tables of equal skeleton; returns how many.
fn elements(before: &Table, after: &Table, deletes: &mut String, adds: &mut String) -> usize {
    let mut count = 0;
    for (old, new) in before.sets.iter().zip(&after.sets) {
        let gone: BTreeSet<&Element> = old.elements.difference(&new.elements).collect();
        let came: BTreeSet<&Element> = new.elements.difference(&old.elements).collect();
        if !gone.is_empty() {
            let keys: Vec<String> = gone.iter().map(|e| e.key_nft()).collect();
            let _ = writeln!(deletes, "delete element {} {} {{ {} }}", after.id(), new.name, keys.join(", "));
        }
        if !came.is_empty() {
            let _ =
                writeln!(adds, "add element {} {} {}", after.id(), new.name, element_list(came.iter().copied(), ""));
        }
        count += gone.len() + came.len();
    }
    count
}
