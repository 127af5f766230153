#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use policy_crd::api::{FailureMode, RedirectPlan};
use policy_crd::manifests::Manifests;

use super::{node_spec, spec_bytes};

const MANIFESTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {nodeName: node-b, containers: [{name: c}]}
status: {podIP: 10.0.0.3}
---
apiVersion: chainwall.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: strict}
spec: {failureMode: Open}
---
apiVersion: chainwall.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: unused}
spec: {}
---
apiVersion: chainwall.dev/v1alpha1
kind: L7NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: http}]}]
  securityPolicyRef: {name: strict}
"#;

fn manifests() -> Manifests {
    let mut m = Manifests::default();
    m.add_yaml("test.yaml", MANIFESTS).unwrap();
    m
}

#[test]
fn a_node_spec_holds_its_pods_the_sets_they_name_and_only_the_failure_modes_used() {
    let m = manifests();
    let modes: BTreeMap<String, FailureMode> =
        m.security_policies.iter().map(|(n, s)| (n.clone(), s.failure_mode)).collect();
    let netns = BTreeMap::from([("shop/web".to_owned(), "ns-web".to_owned()), ("shop/client".into(), "ns-c".into())]);
    let spec = node_spec(&m.engine(), "node-a", &modes, &netns);
    assert_eq!(spec.node, "node-a");
    assert_eq!(spec.pods.iter().map(|p| p.pod.as_str()).collect::<Vec<_>>(), ["shop/web"]);
    assert_eq!(spec.address_sets.keys().collect::<Vec<_>>(), ["shop/web/ingress/0"]);
    assert!(spec.address_sets["shop/web/ingress/0"].addresses.contains(&"10.0.0.3".parse().unwrap()));
    assert_eq!(spec.failure_modes, BTreeMap::from([("strict".to_owned(), FailureMode::Open)]));
    assert_eq!(spec.netns, BTreeMap::from([("shop/web".to_owned(), "ns-web".to_owned())]));
}

#[test]
fn a_spec_survives_the_apiserver_round_trip() {
    let m = manifests();
    let spec = node_spec(&m.engine(), "node-a", &BTreeMap::new(), &BTreeMap::new());
    let plan = RedirectPlan::new("node-a", spec.clone());
    let json = serde_json::to_string(&plan).unwrap();
    let back: RedirectPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back.spec, spec);
    assert_eq!(spec_bytes(&spec), serde_json::to_vec(&spec).unwrap().len());
}

#[test]
fn a_node_without_pods_gets_an_empty_spec() {
    let spec = node_spec(&manifests().engine(), "node-z", &BTreeMap::new(), &BTreeMap::new());
    assert!(spec.pods.is_empty() && spec.address_sets.is_empty() && spec.failure_modes.is_empty());
}
