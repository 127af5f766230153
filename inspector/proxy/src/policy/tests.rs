#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use super::read;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inspector-policy-unit-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let path = dir.join("policy.yaml");
    std::fs::write(&path, text).unwrap_or_default();
    path
}

#[test]
fn a_valid_document() {
    let path = write(
        "valid",
        "securityPolicies:\n  - apiVersion: chainwall.dev/v1alpha1\n    kind: SecurityPolicy\n    metadata: {name: shop}\n    spec: {mode: Detect, crs: {paranoiaLevel: 2}}\nflows:\n  - {destination: 10.0.0.5:8080, policy: shop, namespace: shop-ns}\n  - {destination: 10.0.0.5:9090, policy: shop}\n",
    );
    let doc = read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc.flows.len(), 2);
    assert_eq!(doc.namespaces.values().collect::<Vec<_>>(), ["shop-ns"], "the namespace is optional");
    assert!(doc.policies.contains_key("shop"));
}

#[test]
fn errors_name_the_file_and_the_field() {
    let cases = [
        ("flows:\n  - {destination: nowhere, policy: shop}\n", "flows[0].destination: `nowhere`: expected ip:port"),
        ("flows:\n  - {destination: 10.0.0.5:80, policy: ghost}\n", "flows[0].policy: no SecurityPolicy `ghost`"),
        (
            "securityPolicies:\n  - {metadata: {name: a}}\nflows:\n  - {destination: 10.0.0.5:80, policy: a, namespace: Shop_NS}\n",
            "flows[0].namespace: `Shop_NS`: expected a namespace name (RFC 1123 label)",
        ),
        (
            "securityPolicies:\n  - {kind: Pod, metadata: {name: a}}\n",
            "securityPolicies[0].kind: expected SecurityPolicy",
        ),
        (
            "securityPolicies:\n  - {metadata: {name: a}}\n  - {metadata: {name: a}}\n",
            "securityPolicies[1].metadata.name: `a` is empty or defined twice",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = write(&format!("bad{i}"), text);
        let errors = read(&path).map(|_| ()).unwrap_err().to_string();
        assert_eq!(errors, format!("{}: {want}", path.display()));
    }
    let path = write("unknown", "securityPolicies:\n  - metadata: {name: a}\n    spec: {paranoia: 9}\n");
    let errors = read(&path).map(|_| ()).unwrap_err().to_string();
    assert_eq!(errors, format!("{}: securityPolicies[0].spec.paranoia: unknown field", path.display()));
    let path = write("nested", "securityPolicies:\n  - metadata: {name: a}\n    spec: {crs: {paranoiaLevl: 2}}\n");
    let errors = read(&path).map(|_| ()).unwrap_err().to_string();
    assert_eq!(errors, format!("{}: securityPolicies[0].spec.crs.paranoiaLevl: unknown field", path.display()));
    let path = write("typed", "securityPolicies:\n  - metadata: {name: a}\n    spec: {mode: Sometimes}\n");
    let errors = read(&path).map(|_| ()).unwrap_err().to_string();
    assert!(errors.starts_with(&format!("{}: securityPolicies[0].spec: unknown variant", path.display())), "{errors}");
}
