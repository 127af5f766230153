//! The indexed engine state: pods in label groups, compiled policies, and per-group caches of
//! which policies select a group and which rules admit it as a peer.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::api::{L7NetworkPolicySpec, SecurityPolicySpec};

use super::groups::{GroupId, Groups};
use super::model::{Labels, NAMESPACE_NAME_LABEL, Namespace, Pod, PodKey, PolicyKey};
use super::peers::{NamespaceScope, PeerMatch};
use super::policy::{CompiledPolicy, Rule};

/// Which side of a flow a rule governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Rules of policies selecting the destination.
    Ingress,
    /// Rules of policies selecting the source.
    Egress,
}

/// One rule of one policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleRef {
    /// The policy.
    pub policy: PolicyKey,
    /// Ingress or egress list.
    pub direction: Direction,
    /// Index in that list.
    pub index: usize,
}

/// The whole input, indexed. Mutate it with the `upsert_*`/`remove_*` methods; read it with
/// [`Engine::query`](super::query) and [`Engine::plan`](super::plan).
#[derive(Clone, Debug, Default)]
pub struct Engine {
    pub(super) namespaces: BTreeMap<String, Labels>,
    pub(super) pods: BTreeMap<PodKey, (Pod, GroupId)>,
    pub(super) groups: Groups,
    pub(super) security_policies: BTreeMap<String, SecurityPolicySpec>,
    pub(super) specs: BTreeMap<PolicyKey, L7NetworkPolicySpec>,
    pub(super) policies: BTreeMap<PolicyKey, CompiledPolicy>,
    /// Policies per namespace, since a policy selects pods of its own namespace only.
    by_namespace: HashMap<String, BTreeSet<PolicyKey>>,
    /// Groups each policy's `podSelector` selects.
    pub(super) selected: HashMap<PolicyKey, BTreeSet<GroupId>>,
    /// Policies selecting each group.
    pub(super) selecting: HashMap<GroupId, BTreeSet<PolicyKey>>,
    /// Groups admitted as peers by each rule that lists peers.
    pub(super) rule_groups: HashMap<RuleRef, BTreeSet<GroupId>>,
}

impl Engine {
    /// An engine over the given objects.
    pub fn new(
        namespaces: impl IntoIterator<Item = Namespace>,
        pods: impl IntoIterator<Item = Pod>,
        policies: impl IntoIterator<Item = (PolicyKey, L7NetworkPolicySpec)>,
        security_policies: impl IntoIterator<Item = (String, SecurityPolicySpec)>,
    ) -> Self {
        let mut engine = Self::default();
        for ns in namespaces {
            engine.namespaces.insert(ns.name.clone(), with_name_label(&ns.name, ns.labels));
        }
        engine.security_policies.extend(security_policies);
        for pod in pods {
            engine.insert_pod(pod);
        }
        for (key, spec) in policies {
            engine.specs.insert(key, spec);
        }
        engine.recompile_all();
        engine
    }

    /// Adds or replaces a namespace. Its labels feed every `namespaceSelector`.
    pub fn upsert_namespace(&mut self, ns: Namespace) {
        let labels = with_name_label(&ns.name, ns.labels);
        if self.namespaces.insert(ns.name, labels.clone()).as_ref() != Some(&labels) {
            self.refresh_all();
        }
    }

    /// Removes a namespace (its pods stay until removed themselves).
    pub fn remove_namespace(&mut self, name: &str) {
        if self.namespaces.remove(name).is_some() {
            self.refresh_all();
        }
    }

    /// Adds or replaces a SecurityPolicy; policies naming it are recompiled.
    pub fn upsert_security_policy(&mut self, name: String, spec: SecurityPolicySpec) {
        let known = self.security_policies.insert(name, spec).is_some();
        if !known {
            self.recompile_all();
        }
    }

    /// Removes a SecurityPolicy; policies naming it stop allowing traffic (fail closed).
    pub fn remove_security_policy(&mut self, name: &str) {
        if self.security_policies.remove(name).is_some() {
            self.recompile_all();
        }
    }

    /// Adds or replaces an L7NetworkPolicy.
    pub fn upsert_policy(&mut self, key: PolicyKey, spec: L7NetworkPolicySpec) {
        self.remove_policy(&key);
        self.specs.insert(key.clone(), spec);
        self.compile(&key);
    }

    /// Removes an L7NetworkPolicy.
    pub fn remove_policy(&mut self, key: &PolicyKey) {
        self.specs.remove(key);
        if let Some(old) = self.policies.remove(key) {
            self.forget(&old);
        }
    }

    /// Adds or replaces a pod. Returns what changed for the dataplane.
    pub fn upsert_pod(&mut self, pod: Pod) -> super::delta::Delta {
        let key = pod.key();
        let before = self.pods.get(&key).cloned();
        self.remove_pod_entry(&key);
        self.insert_pod(pod);
        let after = self.pods.get(&key).cloned();
        self.delta(&key, before, after)
    }

    /// Removes a pod. Returns what changed for the dataplane.
    pub fn remove_pod(&mut self, key: &PodKey) -> super::delta::Delta {
        let before = self.pods.get(key).cloned();
        self.remove_pod_entry(key);
        self.delta(key, before, None)
    }

    /// Whether a pod peer admits pods of `group`.
    pub(super) fn peer_admits_group(&self, peer: &PeerMatch, group: GroupId) -> bool {
        let g = self.groups.get(group);
        match peer {
            PeerMatch::Block(_) => false,
            PeerMatch::Pods { namespaces, pods } => {
                let in_scope = match namespaces {
                    NamespaceScope::Own(ns) => *ns == g.namespace,
                    NamespaceScope::Matching(sel) => match self.namespaces.get(&g.namespace) {
                        Some(labels) => sel.matches(labels),
                        None => sel.matches(&with_name_label(&g.namespace, Labels::new())),
                    },
                };
                in_scope && pods.matches(&g.labels)
            }
        }
    }

    fn insert_pod(&mut self, pod: Pod) {
        let (group, created) = self.groups.intern(&pod.namespace, &pod.labels);
        self.groups.get_mut(group).members.insert(pod.key());
        self.pods.insert(pod.key(), (pod, group));
        if created {
            self.index_group(group);
        }
    }

    fn remove_pod_entry(&mut self, key: &PodKey) {
        if let Some((_, group)) = self.pods.remove(key) {
            self.groups.get_mut(group).members.remove(key);
        }
    }

    /// Evaluates every selector against a new group.
    fn index_group(&mut self, group: GroupId) {
        let ns = self.groups.get(group).namespace.clone();
        for key in self.by_namespace.get(&ns).into_iter().flatten() {
            let policy = &self.policies[key];
            if policy.selector.as_ref().is_some_and(|s| s.matches(&self.groups.get(group).labels)) {
                self.selected.entry(key.clone()).or_default().insert(group);
                self.selecting.entry(group).or_default().insert(key.clone());
            }
        }
        let mut admitted = Vec::new();
        for policy in self.policies.values() {
            for (rule, body) in rules(policy) {
                let peers = body.peers.iter().flatten();
                if peers.into_iter().any(|p| self.peer_admits_group(p, group)) {
                    admitted.push(rule);
                }
            }
        }
        for rule in admitted {
            self.rule_groups.entry(rule).or_default().insert(group);
        }
    }

    fn compile(&mut self, key: &PolicyKey) {
        let Some(spec) = self.specs.get(key) else { return };
        let names = self.security_policies.keys().cloned().collect();
        let policy = CompiledPolicy::compile(key.clone(), spec, &names);
        for &group in self.groups.in_namespace(&key.namespace) {
            if policy.selector.as_ref().is_some_and(|s| s.matches(&self.groups.get(group).labels)) {
                self.selected.entry(key.clone()).or_default().insert(group);
                self.selecting.entry(group).or_default().insert(key.clone());
            }
        }
        for (rule, body) in rules(&policy) {
            let Some(peers) = &body.peers else { continue };
            let admitted = peers.iter().flat_map(|p| self.groups_admitted(p)).collect();
            self.rule_groups.insert(rule, admitted);
        }
        self.by_namespace.entry(key.namespace.clone()).or_default().insert(key.clone());
        self.policies.insert(key.clone(), policy);
    }

    /// The groups a pod peer admits: namespace selectors are evaluated per namespace, pod
    /// selectors per group of those namespaces.
    fn groups_admitted(&self, peer: &PeerMatch) -> Vec<GroupId> {
        let PeerMatch::Pods { namespaces, pods } = peer else { return Vec::new() };
        let scope: Vec<&str> = match namespaces {
            NamespaceScope::Own(ns) => vec![ns.as_str()],
            NamespaceScope::Matching(sel) => self
                .groups
                .namespaces()
                .filter(|ns| match self.namespaces.get(*ns) {
                    Some(labels) => sel.matches(labels),
                    None => sel.matches(&with_name_label(ns, Labels::new())),
                })
                .collect(),
        };
        let in_scope = scope.into_iter().flat_map(|ns| self.groups.in_namespace(ns).iter().copied());
        in_scope.filter(|&g| pods.matches(&self.groups.get(g).labels)).collect()
    }

    fn forget(&mut self, policy: &CompiledPolicy) {
        for group in self.selected.remove(&policy.key).unwrap_or_default() {
            if let Some(set) = self.selecting.get_mut(&group) {
                set.remove(&policy.key);
            }
        }
        for (rule, _) in rules(policy) {
            self.rule_groups.remove(&rule);
        }
        if let Some(set) = self.by_namespace.get_mut(&policy.key.namespace) {
            set.remove(&policy.key);
        }
    }

    /// Recompiles every policy (a SecurityPolicy appeared or vanished).
    fn recompile_all(&mut self) {
        let keys: Vec<PolicyKey> = self.specs.keys().cloned().collect();
        for key in keys {
            if let Some(old) = self.policies.remove(&key) {
                self.forget(&old);
            }
            self.compile(&key);
        }
    }

    /// Re-evaluates every cache (namespace labels changed).
    fn refresh_all(&mut self) {
        self.recompile_all();
    }
}

/// Every rule of a policy with its reference.
pub(super) fn rules(policy: &CompiledPolicy) -> impl Iterator<Item = (RuleRef, &Rule)> {
    side_rules(policy, Direction::Ingress, policy.ingress.as_deref()).chain(side_rules(
        policy,
        Direction::Egress,
        policy.egress.as_deref(),
    ))
}

fn side_rules<'a>(
    policy: &'a CompiledPolicy,
    direction: Direction,
    list: Option<&'a [Rule]>,
) -> impl Iterator<Item = (RuleRef, &'a Rule)> {
    list.into_iter()
        .flatten()
        .enumerate()
        .map(move |(index, rule)| (RuleRef { policy: policy.key.clone(), direction, index }, rule))
}

fn with_name_label(name: &str, mut labels: Labels) -> Labels {
    labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned());
    labels
}
