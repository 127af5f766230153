//! From the ruleset the kernel has to the one wanted, as one `nft -f` transaction (the kernel
//! applies a file all or nothing). When a table's rules, chains and set declarations are
//! unchanged, only set elements move: deletes, then adds. When its structure changed, the
//! table is deleted and defined anew in the same transaction, so no packet ever sees half of
//! either. Never a flush: an unchanged table costs nothing.

use std::fmt::Write;

use super::element::Element;
use super::model::{Family, Key, Ruleset, Table, element_list};

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
    /// The same element updates, typed, one entry per set that changes.
    pub sets: Vec<SetChange>,
}

/// One set's element updates in a table updated in place: deletes apply before adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetChange {
    /// The table's family.
    pub family: Family,
    /// The table's name.
    pub table: String,
    /// The set's name.
    pub set: String,
    /// The set's key type.
    pub key: Key,
    /// Whether the set is an interval set.
    pub interval: bool,
    /// Elements to delete.
    pub delete: Vec<Element>,
    /// Elements to add.
    pub add: Vec<Element>,
}

impl SetChange {
    /// How many elements move.
    pub fn len(&self) -> usize {
        self.delete.len() + self.add.len()
    }

    /// Whether nothing moves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Transaction {
    /// Whether applying it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether it only adds and deletes set elements (no table is defined, replaced or
    /// deleted), so that [`Transaction::sets`] says all it does.
    pub fn elements_only(&self) -> bool {
        self.replaced.is_empty() && self.deleted.is_empty()
    }

    /// The element-only transaction of `changes` (text and counts derived from them).
    pub fn of_sets(changes: Vec<SetChange>) -> Self {
        let (mut deletes, mut adds) = (String::new(), String::new());
        for c in changes.iter().filter(|c| !c.is_empty()) {
            c.write(&mut deletes, &mut adds);
        }
        let changes: Vec<SetChange> = changes.into_iter().filter(|c| !c.is_empty()).collect();
        let element_changes = changes.iter().map(SetChange::len).sum();
        Self { text: format!("{deletes}{adds}"), element_changes, sets: changes, ..Self::default() }
    }
}

impl SetChange {
    /// Appends its `delete element` and `add element` commands.
    fn write(&self, deletes: &mut String, adds: &mut String) {
        let id = format!("{} {}", self.family.keyword(), self.table);
        if !self.delete.is_empty() {
            let keys: Vec<String> = self.delete.iter().map(Element::key_nft).collect();
            let _ = writeln!(deletes, "delete element {id} {} {{ {} }}", self.set, keys.join(", "));
        }
        if !self.add.is_empty() {
            let _ = writeln!(adds, "add element {id} {} {}", self.set, element_list(&self.add, ""));
        }
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
                for change in elements(before, table) {
                    change.write(&mut deletes, &mut adds);
                    tx.element_changes += change.len();
                    tx.sets.push(change);
                }
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

/// The element deletes and adds between two tables of equal skeleton, per set that changes.
fn elements(before: &Table, after: &Table) -> Vec<SetChange> {
    let mut out = Vec::new();
    for (old, new) in before.sets.iter().zip(&after.sets) {
        let delete: Vec<Element> = old.elements.difference(&new.elements).cloned().collect();
        let add: Vec<Element> = new.elements.difference(&old.elements).cloned().collect();
        if delete.is_empty() && add.is_empty() {
            continue;
        }
        out.push(SetChange {
            family: after.family,
            table: after.name.clone(),
            set: new.name.clone(),
            key: new.key,
            interval: new.interval,
            delete,
            add,
        });
    }
    out
}
