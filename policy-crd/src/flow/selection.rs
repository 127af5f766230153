//! Per-policy facts for status reporting: which pods a policy selects and what is wrong with it.

use super::engine::Engine;
use super::model::{Pod, PolicyKey};

impl Engine {
    /// The pods `podSelector` selects, sorted by key; none for an unknown policy.
    pub fn selected_pods(&self, key: &PolicyKey) -> Vec<&Pod> {
        let mut pods: Vec<&Pod> = self
            .selected
            .get(key)
            .into_iter()
            .flatten()
            .flat_map(|group| self.groups.get(*group).members.iter())
            .filter_map(|pod| self.pods.get(pod).map(|(pod, _)| pod))
            .collect();
        pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        pods
    }

    /// Problems found in one policy (empty for a sound or unknown one).
    pub fn policy_errors(&self, key: &PolicyKey) -> &[String] {
        self.policies.get(key).map_or(&[], |p| p.errors.as_slice())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use crate::api::L7NetworkPolicySpec;
    use crate::flow::{Engine, Namespace, Pod, PolicyKey};

    fn pod(name: &str, app: &str) -> Pod {
        Pod {
            namespace: "shop".into(),
            name: name.into(),
            labels: BTreeMap::from([("app".into(), app.into())]),
            ip: None,
            node: None,
            ports: Vec::new(),
        }
    }

    #[test]
    fn selected_pods_follow_the_selector_and_errors_are_per_policy() {
        let spec: L7NetworkPolicySpec = serde_json::from_value(serde_json::json!({
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [{"ports": [{"port": 0}]}]
        }))
        .unwrap();
        let key = PolicyKey::parse("shop/web").unwrap();
        let engine = Engine::new(
            [Namespace { name: "shop".into(), labels: BTreeMap::new() }],
            [pod("b", "web"), pod("a", "web"), pod("c", "db")],
            [(key.clone(), spec)],
            [],
        );
        let names: Vec<&str> = engine.selected_pods(&key).iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(engine.policy_errors(&key).len(), 1, "{:?}", engine.policy_errors(&key));
        let unknown = PolicyKey::parse("shop/none").unwrap();
        assert!(engine.selected_pods(&unknown).is_empty() && engine.policy_errors(&unknown).is_empty());
    }
}
