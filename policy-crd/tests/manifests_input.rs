//! The manifest loader never panics and always names the file and object of a bad document.
#![allow(clippy::unwrap_used)]

use policy_crd::manifests::Manifests;
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../deploy/examples/l7-network-policies.yaml");

#[test]
fn errors_name_the_file_and_the_object() {
    let cases = [
        ("kind: Pod\napiVersion: v1\nmetadata: {name: p}\nstatus: {podIP: 300.1.1.1}\n", "Pod p"),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: [{name: c, ports: [{containerPort: 0}]}]}\n",
            "Pod q",
        ),
        (
            "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata: {name: r}\nspec: {}\n",
            "L7NetworkPolicy r",
        ),
        ("apiVersion: v1\nkind: Namespace\nmetadata: {}\n", "Namespace (document 1, no name)"),
        ("- just\n- [a list\n", "YAML"),
    ];
    for (text, object) in cases {
        let err = Manifests::default().add_yaml("bad.yaml", text).unwrap_err();
        assert_eq!(err.file, "bad.yaml");
        assert_eq!(err.object, object, "{err}");
        assert!(err.to_string().starts_with(&format!("bad.yaml: {object}")), "{err}");
    }
}

#[test]
fn duplicates_are_errors() {
    let policy = "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\nmetadata: {name: a, namespace: n}\nspec: {podSelector: {}}\n";
    let mut m = Manifests::default();
    m.add_yaml("one.yaml", policy).unwrap();
    let err = m.add_yaml("two.yaml", policy).unwrap_err();
    assert!(err.to_string().contains("duplicate L7NetworkPolicy n/a"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let mut m = Manifests::default();
        let _ = m.add_yaml("fuzz.yaml", &text);
        let _ = m.engine().plan();
    }

    #[test]
    fn mutated_examples_never_panic(cut in 0..EXAMPLE.len(), insert in "[ :\\-{}\\[\\]a-z0-9\\n]{0,8}") {
        let mut text = EXAMPLE.to_owned();
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(cut, &insert);
        let mut m = Manifests::default();
        let _ = m.add_yaml("fuzz.yaml", &text);
        let engine = m.engine();
        let _ = engine.plan();
    }
}
