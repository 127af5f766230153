#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use policy_crd::api::{EnforcementMode, Exclusion, FailureMode, SecurityPolicySpec};
use policy_crd::manifests::Manifests;

use super::combine::combine;
use super::file::write_if_changed;
use super::{Computed, Options, compute, render};

fn examples(extra: &str) -> Manifests {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples");
    let mut m = Manifests::default();
    for name in ["namespaces.yaml", "pods.yaml", "l7-network-policies.yaml", "security-policies.yaml"] {
        m.add_yaml(name, &std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
    }
    m.add_yaml("extra.yaml", extra).unwrap();
    m
}

fn node(m: &Manifests, node: &str, options: Options) -> Computed {
    let (plan, sets) = m.engine().node_plan(node);
    compute(&plan, &sets, &m.pods, &m.security_policies, options)
}

fn flows(c: &Computed) -> Vec<(String, String, Option<String>)> {
    c.file.flows.iter().map(|f| (f.destination.clone(), f.policy.clone(), f.namespace.clone())).collect()
}

#[test]
fn the_examples_give_one_flow_per_covered_destination() {
    let m = examples("");
    let a = node(&m, "node-a", Options::default());
    let want = [("10.244.1.11:8080", "web-detect"), ("10.244.1.13:8001", "web-strict")];
    let want: Vec<_> = want.iter().map(|(d, p)| (d.to_string(), p.to_string(), None)).collect();
    assert_eq!(flows(&a), want);
    let names: Vec<&str> = a.file.security_policies.iter().map(|p| p.metadata.name.as_str()).collect();
    assert_eq!(names, ["web-detect", "web-strict"]);
    assert_eq!(a.file.security_policies[1].spec, m.security_policies["web-strict"]);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let b = node(&m, "node-b", Options { namespace: true });
    let want = [("10.244.2.11:8080", "web-detect", "shop"), ("10.244.2.12:8080", "web-detect", "shop")];
    let want: Vec<_> = want.iter().map(|(d, p, n)| (d.to_string(), p.to_string(), Some(n.to_string()))).collect();
    assert_eq!(flows(&b), want);
}

#[test]
fn the_text_is_the_inspectors_shape() {
    let m = examples("");
    let text = render(&node(&m, "node-a", Options::default()).file).unwrap();
    let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(value["securityPolicies"][0]["kind"], "SecurityPolicy");
    assert_eq!(value["securityPolicies"][0]["apiVersion"], "chainwall.dev/v1alpha1");
    assert_eq!(value["securityPolicies"][1]["spec"]["crs"]["paranoiaLevel"], 2);
    assert_eq!(value["flows"][1], serde_json::json!({"destination": "10.244.1.13:8001", "policy": "web-strict"}));
}

const SECOND: &str = "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata: {name: audit, namespace: shop}\n\
spec:\n  podSelector: {matchLabels: {app: user-auth}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports: [{protocol: TCP, port: 8001}]\n  \
securityPolicyRef: {name: audit-pl3}\n---\napiVersion: chainwall.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: audit-pl3}\n\
spec:\n  mode: Detect\n  failureMode: Open\n  crs: {paranoiaLevel: 3, inboundAnomalyThreshold: 10}\n  customRules: ['SecRule ARGS \"@contains x\" \"id:1000900,phase:2,deny\"']\n";

#[test]
fn two_policies_on_one_destination_are_combined_strictest() {
    let m = examples(SECOND);
    let a = node(&m, "node-a", Options::default());
    let flow = a.file.flows.iter().find(|f| f.destination == "10.244.1.13:8001").unwrap();
    assert_eq!(flow.policy, "audit-pl3+web-strict");
    let combined = a.file.security_policies.iter().find(|p| p.metadata.name == flow.policy).unwrap();
    let strict = &m.security_policies["web-strict"];
    assert_eq!(combined.spec.mode, EnforcementMode::Block);
    assert_eq!(combined.spec.failure_mode, FailureMode::Closed);
    assert_eq!(combined.spec.crs.paranoia_level, 3);
    assert_eq!(combined.spec.crs.inbound_anomaly_threshold, 5);
    assert_eq!(combined.spec.custom_rules.len(), strict.custom_rules.len() + 1);
    assert!(combined.spec.exclusions.is_empty(), "exclusions of one part must not weaken the other");
    assert_eq!(combined.spec.allow_list, strict.allow_list);
    assert!(!a.file.security_policies.iter().any(|p| p.metadata.name == "audit-pl3"), "unused alone");
}

#[test]
fn combining_keeps_common_exclusions_and_narrows_allow_lists() {
    let shared = Exclusion { rule_ids: vec![920350], ..Exclusion::default() };
    let only = Exclusion { rule_ids: vec![942100], ..Exclusion::default() };
    let allow = |paths: &[&str]| {
        paths.iter().map(|p| policy_crd::api::AllowRule { paths: vec![p.to_string()], ..Default::default() }).collect()
    };
    let a = SecurityPolicySpec {
        exclusions: vec![shared.clone(), only],
        allow_list: Some(allow(&["/a", "/b"])),
        ..Default::default()
    };
    let b =
        SecurityPolicySpec { exclusions: vec![shared.clone()], allow_list: Some(allow(&["/b"])), ..Default::default() };
    let (name, spec) = combine(&[(&"a".to_string(), &a), (&"b".to_string(), &b)]);
    assert_eq!(name, "a+b");
    assert_eq!(spec.exclusions, vec![shared]);
    assert_eq!(spec.allow_list, Some(allow(&["/b"])));
    let (alone, same) = combine(&[(&"a".to_string(), &a)]);
    assert_eq!((alone.as_str(), &same), ("a", &a));
}

#[test]
fn unknown_policies_and_unlistable_peers_are_reported() {
    let m = examples("");
    let (plan, sets) = m.engine().node_plan("node-a");
    let c = compute(&plan, &sets, &m.pods, &BTreeMap::new(), Options::default());
    assert!(c.file.flows.is_empty());
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
}

#[test]
fn the_file_is_written_only_when_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.yaml");
    assert!(write_if_changed(&path, "a: 1\n").unwrap());
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert!(!write_if_changed(&path, "a: 1\n").unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), before);
    assert!(write_if_changed(&path, "a: 2\n").unwrap());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 2\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
}
