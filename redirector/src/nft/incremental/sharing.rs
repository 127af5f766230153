//! The content index behind [`SharedNames`](crate::nft::shared::SharedNames): per family, the
//! groups of plan sets with equal (non-empty) members, each with a commutative hash of its
//! members (a sum of per-element hashes, updated per element), so that a set change can be
//! checked to keep every group as it is (same ids, same name, same comment) in O(change).
//!
//! A group keeps its shape when all its ids change alike (else it splits), a set emptied was
//! alone, and no changed group's new members equal another group's (else they merge). Hashes
//! only prove inequality: equal hashes with an unchanged group are compared for real, and two
//! changed groups ending with equal hashes are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash};

use policy_crd::flow::{AddressSet, SetChange as PlanChange};

use super::effective::{in_family, is_empty};
use crate::nft::config::Families;

/// The groups of every family on.
#[derive(Clone, Debug, Default)]
pub(super) struct Sharing {
    families: Vec<Shares>,
}

/// One family's groups, each named after its smallest id.
#[derive(Clone, Debug, Default)]
struct Shares {
    v4: bool,
    group_of: BTreeMap<String, String>,
    groups: BTreeMap<String, Group>,
    by_hash: BTreeMap<u64, BTreeSet<String>>,
}

#[derive(Clone, Debug)]
struct Group {
    ids: BTreeSet<String>,
    hash: u64,
    /// Members in this family (addresses plus endpoints).
    len: usize,
}

/// How the groups change: per family, `(name, new hash, new members)`; 0 members: the group
/// (a lone set) is gone, a name not yet a group: a set no longer empty, alone.
#[derive(Clone, Debug, Default)]
pub(super) struct Regroup(Vec<Vec<(String, u64, usize)>>);

impl Sharing {
    /// Groups the plan's sets, as `SharedNames::new` does.
    pub fn new(sets: &BTreeMap<String, AddressSet>, families: Families) -> Self {
        let families = families.list().iter().map(|&v4| Shares::new(sets, v4)).collect();
        Self { families }
    }

    /// The id naming the group of `id` in this family (`id` itself when alone or empty).
    pub fn group<'a>(&'a self, id: &'a str, v4: bool) -> &'a str {
        let shares = self.families.iter().find(|s| s.v4 == v4);
        shares.and_then(|s| s.group_of.get(id)).map_or(id, String::as_str)
    }

    /// How `changes` (effective, to `sets` before them) regroup the sets; `None` when some
    /// group would split, merge or otherwise change its name or comment.
    pub fn regroup(
        &self,
        sets: &BTreeMap<String, AddressSet>,
        changes: &BTreeMap<String, PlanChange>,
    ) -> Option<Regroup> {
        self.families.iter().map(|s| s.regroup(sets, changes)).collect::<Option<_>>().map(Regroup)
    }

    /// Folds a regrouping in.
    pub fn commit(&mut self, regroup: Regroup) {
        for (shares, edits) in self.families.iter_mut().zip(regroup.0) {
            edits.into_iter().for_each(|edit| shares.commit(edit));
        }
    }
}

impl Shares {
    fn new(sets: &BTreeMap<String, AddressSet>, v4: bool) -> Self {
        let mut out = Self { v4, ..Self::default() };
        let mut by_members: BTreeMap<_, Vec<&String>> = BTreeMap::new();
        for (id, set) in sets {
            let (flag, addresses, endpoints) = members(set, v4);
            if !addresses.is_empty() || !endpoints.is_empty() {
                by_members.entry((flag, addresses, endpoints)).or_default().push(id);
            }
        }
        for ((flag, addresses, endpoints), ids) in by_members {
            let hash = flag_hash(flag)
                .wrapping_add(addresses.iter().map(|a| hash_of((1u8, a))).fold(0, u64::wrapping_add))
                .wrapping_add(endpoints.iter().map(|e| hash_of((2u8, e))).fold(0, u64::wrapping_add));
            let name = ids[0].clone(); // sorted: the smallest
            ids.iter().for_each(|id| _ = out.group_of.insert((*id).clone(), name.clone()));
            let ids = ids.into_iter().cloned().collect();
            out.groups.insert(name.clone(), Group { ids, hash, len: addresses.len() + endpoints.len() });
            out.by_hash.entry(hash).or_default().insert(name);
        }
        out
    }

    fn regroup(
        &self,
        sets: &BTreeMap<String, AddressSet>,
        changes: &BTreeMap<String, PlanChange>,
    ) -> Option<Vec<(String, u64, usize)>> {
        let mine: BTreeMap<&String, PlanChange> =
            changes.iter().map(|(id, c)| (id, in_family(c, self.v4))).filter(|(_, c)| !is_empty(c)).collect();
        let mut edits: Vec<(String, u64, usize)> = Vec::new();
        let mut changed: BTreeMap<&str, &PlanChange> = BTreeMap::new();
        for (id, c) in &mine {
            let (name, hash, len, size) = match self.group_of.get(*id) {
                Some(name) if changed.contains_key(name.as_str()) => continue,
                Some(name) => {
                    let g = &self.groups[name];
                    if g.ids.iter().any(|other| mine.get(other) != Some(c)) {
                        return None; // the group splits
                    }
                    (name, g.hash, g.len, g.ids.len())
                }
                None => (*id, flag_hash(!sets[*id].endpoints.is_empty()), 0, 0),
            };
            let (hash, len) = moved(hash, len, c);
            if len == 0 && size > 1 {
                return None; // emptied sets are not shared
            }
            changed.insert(name, c);
            edits.push((name.clone(), hash, len));
        }
        let mut hashes = BTreeSet::new();
        for (name, hash, len) in edits.iter().filter(|e| e.2 > 0) {
            if !hashes.insert(*hash) {
                return None; // two changed groups may end equal
            }
            let others = self.by_hash.get(hash).into_iter().flatten().filter(|n| !changed.contains_key(n.as_str()));
            for other in others {
                let group = &self.groups[other];
                if group.len == *len && self.equal_after(&sets[name], changed[name.as_str()], &sets[other]) {
                    return None; // merges with another group
                }
            }
        }
        Some(edits)
    }

    /// Whether `before` changed by `c` has the members of `other` in this family (their
    /// member counts being equal).
    fn equal_after(&self, before: &AddressSet, c: &PlanChange, other: &AddressSet) -> bool {
        let (flag, addresses, endpoints) = members(other, self.v4);
        flag != before.endpoints.is_empty()
            && addresses.iter().all(|a| c.add.contains(a) || (before.addresses.contains(a) && !c.remove.contains(a)))
            && endpoints.iter().all(|e| {
                c.add_endpoints.contains(e) || (before.endpoints.contains(e) && !c.remove_endpoints.contains(e))
            })
    }

    fn commit(&mut self, (name, hash, len): (String, u64, usize)) {
        if let Some(group) = self.groups.get(&name) {
            let old = group.hash;
            if let Some(bucket) = self.by_hash.get_mut(&old) {
                bucket.remove(&name);
                if bucket.is_empty() {
                    self.by_hash.remove(&old);
                }
            }
        }
        if len == 0 {
            self.groups.remove(&name);
            self.group_of.remove(&name);
            return;
        }
        let ids = BTreeSet::from([name.clone()]);
        let group = self.groups.entry(name.clone()).or_insert(Group { ids, hash, len });
        (group.hash, group.len) = (hash, len);
        self.group_of.insert(name.clone(), name.clone());
        self.by_hash.entry(hash).or_default().insert(name);
    }
}

/// A set's members in one family, as `SharedNames` compares them.
fn members(set: &AddressSet, v4: bool) -> (bool, Vec<&std::net::IpAddr>, Vec<&policy_crd::flow::Endpoint>) {
    (
        !set.endpoints.is_empty(),
        set.addresses.iter().filter(|ip| ip.is_ipv4() == v4).collect(),
        set.endpoints.iter().filter(|e| e.address.is_ipv4() == v4).collect(),
    )
}

/// A group's hash and member count after an (effective) change.
fn moved(hash: u64, len: usize, c: &PlanChange) -> (u64, usize) {
    let add = c.add.iter().map(|a| hash_of((1u8, a))).chain(c.add_endpoints.iter().map(|e| hash_of((2u8, e))));
    let remove = c.remove.iter().map(|a| hash_of((1u8, a))).chain(c.remove_endpoints.iter().map(|e| hash_of((2u8, e))));
    let hash = add.fold(hash, u64::wrapping_add);
    let hash = remove.fold(hash, u64::wrapping_sub);
    (hash, len + c.add.len() + c.add_endpoints.len() - c.remove.len() - c.remove_endpoints.len())
}

fn flag_hash(endpoints: bool) -> u64 {
    if endpoints { hash_of(0u8) } else { 0 }
}

fn hash_of(x: impl Hash) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(x)
}
