//! A checked step as element edits on the rendered ruleset: each local-pod set an address
//! enters or leaves, each peer set (by its shared name) an address or endpoint enters or
//! leaves, found by binary search in every table declaring it; then folded into the ruleset
//! as the [`SetChange`]s the diff would list, in the diff's order (table, then set name).

use std::collections::{BTreeMap, BTreeSet};

use policy_crd::flow::{AddressSet, Endpoint, SetChange as PlanChange};

use super::effective::in_family;
use super::members::Moves;
use super::sharing::Sharing;
use crate::nft::diff::SetChange;
use crate::nft::element::Element;
use crate::nft::grants::set_name;
use crate::nft::model::Ruleset;

/// Elements to delete and add, by (table, set) index in the ruleset.
pub(super) type Edits = BTreeMap<(usize, usize), (BTreeSet<Element>, BTreeSet<Element>)>;

/// The edits of local-pod moves and peer set changes in the families on; `None` when a set
/// they name is in no table (the indexes and the ruleset disagree: render instead).
pub(super) fn edits(
    ruleset: &Ruleset,
    families: &[bool],
    moves: &Moves,
    sets: &BTreeMap<String, AddressSet>,
    sharing: &Sharing,
    changes: &BTreeMap<String, PlanChange>,
) -> Option<Edits> {
    let mut edits = Edits::new();
    for (prefix, base, ip, enters) in moves.flips.iter().filter(|f| families.contains(&f.2.is_ipv4())) {
        edit(ruleset, &mut edits, &set_name(prefix, base, ip.is_ipv4()), Element::addr(*ip), *enters)?;
    }
    for (id, change) in changes {
        // A set holding endpoints matches them alone; its addresses only decide sharing.
        let endpoints = !sets[id].endpoints.is_empty();
        for &v4 in families {
            let name = set_name("peers", sharing.group(id, v4), v4);
            let c = in_family(change, v4);
            let endpoint = |e: &Endpoint| Element::Endpoint(e.address, e.port);
            let (add, remove): (Vec<Element>, Vec<Element>) = if endpoints {
                (c.add_endpoints.iter().map(endpoint).collect(), c.remove_endpoints.iter().map(endpoint).collect())
            } else {
                (
                    c.add.iter().map(|ip| Element::addr(*ip)).collect(),
                    c.remove.iter().map(|ip| Element::addr(*ip)).collect(),
                )
            };
            let moved = add.into_iter().map(|e| (e, true)).chain(remove.into_iter().map(|e| (e, false)));
            for (element, enters) in moved {
                edit(ruleset, &mut edits, &name, element, enters)?;
            }
        }
    }
    Some(edits)
}

/// Records one element entering or leaving the set `name` in every table declaring it.
fn edit(ruleset: &Ruleset, edits: &mut Edits, name: &str, element: Element, enters: bool) -> Option<()> {
    let mut found = false;
    for (t, table) in ruleset.tables.iter().enumerate() {
        let Ok(s) = table.sets.binary_search_by(|set| set.name.as_str().cmp(name)) else { continue };
        found = true;
        let (delete, add) = edits.entry((t, s)).or_default();
        if enters { add } else { delete }.insert(element.clone());
    }
    found.then_some(())
}

/// Folds the edits into the ruleset and lists them as set changes.
pub(super) fn fold(ruleset: &mut Ruleset, edits: Edits) -> Vec<SetChange> {
    let mut changes = Vec::with_capacity(edits.len());
    for ((t, s), (delete, add)) in edits {
        let table = &mut ruleset.tables[t];
        let set = &mut table.sets[s];
        delete.iter().for_each(|e| _ = set.elements.remove(e));
        set.elements.extend(add.iter().cloned());
        changes.push(SetChange {
            family: table.family,
            table: table.name.clone(),
            set: set.name.clone(),
            key: set.key,
            interval: set.interval,
            delete: delete.into_iter().collect(),
            add: add.into_iter().collect(),
        });
    }
    changes
}
