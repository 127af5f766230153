//! Pods grouped by (namespace, labels). Selectors are evaluated once per group, not per pod:
//! the pods of one Deployment share a group, so 10,000 pods are typically a few hundred groups.

use std::collections::{BTreeSet, HashMap};

use super::model::{Labels, PodKey};

/// Index of a group; stable for the engine's lifetime.
pub type GroupId = usize;

/// Pods with identical namespace and labels.
#[derive(Clone, Debug)]
pub struct Group {
    /// Their namespace.
    pub namespace: String,
    /// Their labels.
    pub labels: Labels,
    /// The pods in the group.
    pub members: BTreeSet<PodKey>,
}

/// All groups, found by content.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    groups: Vec<Group>,
    index: HashMap<(String, Labels), GroupId>,
    by_namespace: HashMap<String, Vec<GroupId>>,
}

impl Groups {
    /// The group for `namespace`/`labels`, and whether it was just created.
    pub fn intern(&mut self, namespace: &str, labels: &Labels) -> (GroupId, bool) {
        let key = (namespace.to_owned(), labels.clone());
        if let Some(id) = self.index.get(&key) {
            return (*id, false);
        }
        let id = self.groups.len();
        self.groups.push(Group { namespace: key.0.clone(), labels: key.1.clone(), members: BTreeSet::new() });
        self.by_namespace.entry(key.0.clone()).or_default().push(id);
        self.index.insert(key, id);
        (id, true)
    }

    /// One group.
    pub fn get(&self, id: GroupId) -> &Group {
        &self.groups[id]
    }

    /// One group, mutably.
    pub fn get_mut(&mut self, id: GroupId) -> &mut Group {
        &mut self.groups[id]
    }

    /// The groups of one namespace.
    pub fn in_namespace(&self, namespace: &str) -> &[GroupId] {
        self.by_namespace.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// Every namespace that has a group.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.by_namespace.keys().map(String::as_str)
    }
}
