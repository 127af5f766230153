//! The objects in `deploy/examples/` load cleanly, use only fields the CRDs know, and give the
//! verdicts `probes.yaml` expects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use k8s_openapi::api::core::v1 as core;
use kube::CustomResourceExt;
use policy_crd::api::{EnforcementMode, FailureMode, InspectionMode, L7NetworkPolicy, SecurityPolicy};
use policy_crd::flow::{PodKey, Probe, Protocol, Verdict};
use policy_crd::manifests::{Manifests, ProbeSpec, parse_probes};
use serde::de::DeserializeOwned;
use serde_json::Value;

const PROBES: &str = "probes.yaml";

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples")
}

/// Every manifest file (all `*.yaml` but the probes) as `(file name, text)`, sorted by name.
fn manifest_files() -> Vec<(String, String)> {
    let dir = examples_dir();
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| p.file_name().is_some_and(|n| n != PROBES))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (name, text)
        })
        .collect();
    files.sort();
    files
}

fn load() -> Manifests {
    let mut manifests = Manifests::default();
    for (name, text) in manifest_files() {
        manifests.add_yaml(&name, &text).unwrap_or_else(|e| panic!("cannot load example: {e}"));
    }
    manifests
}

/// Every document of every manifest file as `(file, document)`.
fn documents() -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    for (name, text) in manifest_files() {
        let parsed: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{name}: not YAML: {e}"));
        docs.extend(parsed.into_iter().filter(|d| !d.is_null()).map(|d| (name.clone(), d)));
    }
    docs
}

fn identity(doc: &Value) -> String {
    let field = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or("?").to_owned();
    match doc.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => format!("{} {ns}/{}", field("/kind"), field("/metadata/name")),
        None => format!("{} {}", field("/kind"), field("/metadata/name")),
    }
}

#[test]
fn the_manifest_files_are_there() {
    let names: BTreeSet<String> = manifest_files().into_iter().map(|(n, _)| n).collect();
    for expected in ["namespaces.yaml", "pods.yaml", "security-policies.yaml", "l7-network-policies.yaml"] {
        assert!(names.contains(expected), "deploy/examples/{expected} is missing (found {names:?})");
    }
    assert!(examples_dir().join(PROBES).is_file(), "deploy/examples/{PROBES} is missing");
}

#[test]
fn every_document_is_a_kubernetes_object() {
    let docs = documents();
    assert!(!docs.is_empty());
    for (file, doc) in &docs {
        for field in ["/apiVersion", "/kind", "/metadata/name"] {
            let value = doc.pointer(field).and_then(Value::as_str).unwrap_or_default();
            assert!(!value.is_empty(), "{file}: a document has no {field}: {doc}");
        }
        let namespaced = matches!(doc["kind"].as_str(), Some("Pod" | "L7NetworkPolicy"));
        assert_eq!(
            doc.pointer("/metadata/namespace").is_some(),
            namespaced,
            "{file}: {}: metadata.namespace must be set exactly on namespaced kinds",
            identity(doc)
        );
    }
}

#[test]
fn examples_load_without_errors() {
    let manifests = load();
    assert!(manifests.skipped.is_empty(), "objects of kinds the engine does not read: {:?}", manifests.skipped);
    assert!(manifests.namespaces.len() >= 2, "too few namespaces");
    assert!(!manifests.pods.is_empty() && !manifests.policies.is_empty() && !manifests.security_policies.is_empty());
    let namespaces: BTreeSet<&str> = manifests.namespaces.iter().map(|n| n.name.as_str()).collect();
    for pod in &manifests.pods {
        assert!(namespaces.contains(pod.namespace.as_str()), "pod {} is in an undeclared namespace", pod.key());
        assert!(pod.ip.is_some() && pod.node.is_some(), "pod {} needs status.podIP and spec.nodeName", pod.key());
    }
    for key in manifests.policies.keys() {
        assert!(namespaces.contains(key.namespace.as_str()), "L7NetworkPolicy {key} is in an undeclared namespace");
    }
    let plan = manifests.engine().plan();
    assert!(plan.errors.is_empty(), "policy errors: {:#?}", plan.errors);
    let nodes: Vec<&str> = plan.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(nodes, ["node-a", "node-b"]);
}

#[test]
fn every_security_policy_ref_resolves() {
    let manifests = load();
    for (key, spec) in &manifests.policies {
        if let Some(reference) = &spec.security_policy_ref {
            assert!(
                manifests.security_policies.contains_key(&reference.name),
                "L7NetworkPolicy {key} names SecurityPolicy {:?}, which no example defines",
                reference.name
            );
        }
    }
    // And every SecurityPolicy is used by something.
    let used: BTreeSet<&str> =
        manifests.policies.values().filter_map(|s| s.security_policy_ref.as_ref()).map(|r| r.name.as_str()).collect();
    for name in manifests.security_policies.keys() {
        assert!(used.contains(name.as_str()), "SecurityPolicy {name} is not referenced by any example policy");
    }
}

/// `probes.yaml`, read with the same parser as `redirector plan --query`; every entry
/// carries `expect`.
fn probes() -> Vec<ProbeSpec> {
    let path = examples_dir().join(PROBES);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let probes = parse_probes(&text).unwrap_or_else(|e| panic!("{PROBES}: {e}"));
    for p in &probes {
        assert!(p.expect.is_some(), "{PROBES}: {p:?} has no expect");
    }
    probes
}

#[test]
fn every_probe_gets_its_expected_verdict() {
    let engine = load().engine();
    let probes = probes();
    let mut failures = Vec::new();
    for spec in &probes {
        let probe = spec.probe().unwrap_or_else(|e| panic!("{PROBES}: {spec:?}: {e}"));
        let decision = engine.query(&probe).unwrap_or_else(|e| panic!("{PROBES}: {spec:?}: {e}"));
        if Some(decision.verdict) != spec.expect {
            failures.push(format!(
                "{} -> {} {}/{}: expected {:?}, got {:?} (ingress {:?}, egress {:?})",
                spec.from,
                spec.to,
                spec.protocol,
                spec.port,
                spec.expect,
                decision.verdict,
                decision.ingress,
                decision.egress
            ));
        }
    }
    assert!(failures.is_empty(), "probes with another verdict:\n{}", failures.join("\n"));
    // The probes exercise every verdict.
    let seen: BTreeSet<Verdict> = probes.iter().filter_map(|p| p.expect).collect();
    assert_eq!(seen, BTreeSet::from([Verdict::Allow, Verdict::Deny, Verdict::Inspect]));
}

/// The two HTTP flows get the SecurityPolicy and placement the README describes.
#[test]
fn inspected_flows_get_their_profile_and_placement() {
    let engine = load().engine();
    let query = |from: &str, to: &str, port| {
        let probe =
            Probe { from: PodKey::parse(from).unwrap(), to: PodKey::parse(to).unwrap(), protocol: Protocol::Tcp, port };
        engine.query(&probe).unwrap()
    };
    let auth = query("shop/frontend-6d8f7b9c4-x2kqp", "shop/user-auth-7b8d9c5f6-t9vlc", 8001);
    assert_eq!(auth.security_policies, ["web-strict"]);
    let inspection = auth.inspection.expect("frontend -> user-auth is inspected");
    assert_eq!(inspection.placement, InspectionMode::Sidecar);
    assert_eq!(inspection.mode, EnforcementMode::Block);
    assert_eq!(inspection.failure_mode, FailureMode::Closed);

    let api = query("shop/frontend-6d8f7b9c4-m7wzt", "shop/main-logic-5f9c6d7b8-q4hjn", 8080);
    assert_eq!(api.security_policies, ["web-detect"]);
    let inspection = api.inspection.expect("frontend -> main-logic is inspected");
    assert_eq!(inspection.placement, InspectionMode::Chain);
    assert_eq!(inspection.mode, EnforcementMode::Detect);
    assert_eq!(inspection.failure_mode, FailureMode::Open);

    let cache = query("shop/main-logic-5f9c6d7b8-q4hjn", "data/middleware-0", 6379);
    assert!(cache.security_policies.is_empty() && cache.inspection.is_none(), "redis is not inspected: {cache:?}");
}

/// The examples show the NetworkPolicy features they are meant to show.
#[test]
fn examples_cover_the_api() {
    let manifests = load();
    let specs = manifests.policies.values();
    let json: Vec<Value> = specs.map(|s| serde_json::to_value(s).unwrap()).collect();
    let text = serde_json::to_string(&json).unwrap();
    for (feature, needle) in [
        ("a named port", r#""port":"http""#),
        ("an endPort range", r#""endPort":"#),
        ("an ipBlock with except", r#""except":"#),
        (
            "a namespaceSelector on the namespace name",
            r#""namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name""#,
        ),
        ("matchExpressions", r#""matchExpressions":"#),
        ("Sidecar inspection", r#""mode":"Sidecar""#),
        ("Chain inspection", r#""mode":"Chain""#),
        ("a UDP port", r#""protocol":"UDP""#),
    ] {
        assert!(text.contains(needle), "no example policy uses {feature}");
    }
    let defaults_deny = |ns: &str| {
        manifests.policies.iter().any(|(k, s)| {
            k.namespace == ns
                && s.pod_selector == Default::default()
                && s.ingress.is_none()
                && s.egress.is_none()
                && s.policy_types.as_deref() == Some(&["Ingress".to_owned(), "Egress".to_owned()][..])
        })
    };
    for ns in ["shop", "data"] {
        assert!(defaults_deny(ns), "namespace {ns} has no default-deny policy");
    }
}

/// Deserialises `doc` as `T`, serialises it back, and lists every field of `doc` that did not
/// survive: misspelled or unknown fields, which serde would otherwise drop silently.
fn round_trip_losses<T: DeserializeOwned + serde::Serialize>(doc: &Value) -> Vec<String> {
    let typed: T = match serde_json::from_value(doc.clone()) {
        Ok(t) => t,
        Err(e) => return vec![format!("does not deserialise: {e}")],
    };
    let back = serde_json::to_value(&typed).unwrap();
    let mut losses = Vec::new();
    contained(doc, &back, "", &mut losses);
    losses
}

/// Whether `original` is contained in `back`: every field present with the same value. Fields
/// only in `back` are defaults filled in, and fine.
fn contained(original: &Value, back: &Value, path: &str, losses: &mut Vec<String>) {
    match (original, back) {
        (Value::Object(o), Value::Object(b)) => {
            for (key, value) in o {
                let here = format!("{path}.{key}");
                match b.get(key) {
                    Some(v) => contained(value, v, &here, losses),
                    None if value.is_null() => {}
                    None => losses.push(format!("{here}: dropped (unknown or misspelled field?)")),
                }
            }
        }
        (Value::Array(o), Value::Array(b)) if o.len() == b.len() => {
            for (i, (x, y)) in o.iter().zip(b).enumerate() {
                contained(x, y, &format!("{path}[{i}]"), losses);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        (x, y) if x == y => {}
        (x, y) => losses.push(format!("{path}: {x} came back as {y}")),
    }
}

#[test]
fn no_field_is_dropped_by_the_types() {
    let mut problems = Vec::new();
    for (file, doc) in documents() {
        let losses = match (doc["apiVersion"].as_str(), doc["kind"].as_str()) {
            (Some("chainwall.dev/v1alpha1"), Some("L7NetworkPolicy")) => round_trip_losses::<L7NetworkPolicy>(&doc),
            (Some("chainwall.dev/v1alpha1"), Some("SecurityPolicy")) => round_trip_losses::<SecurityPolicy>(&doc),
            (Some("v1"), Some("Namespace")) => round_trip_losses::<core::Namespace>(&doc),
            (Some("v1"), Some("Pod")) => round_trip_losses::<core::Pod>(&doc),
            (api, kind) => vec![format!("unexpected apiVersion/kind {api:?}/{kind:?}")],
        };
        problems.extend(losses.into_iter().map(|l| format!("{file}: {}: {l}", identity(&doc))));
    }
    assert!(problems.is_empty(), "fields the typed objects lose:\n{}", problems.join("\n"));
}

/// The `openAPIV3Schema` of a generated CRD, as JSON.
fn schema_of(crd: impl serde::Serialize) -> Value {
    let crd = serde_json::to_value(crd).unwrap();
    crd.pointer("/spec/versions/0/schema/openAPIV3Schema").cloned().expect("CRD has an openAPIV3Schema")
}

/// A light structural validation of `value` against an OpenAPI v3 schema as the apiserver reads
/// it: known properties only, types, enums, integer bounds, required fields. CEL rules
/// (`x-kubernetes-validations`) are not evaluated.
fn validate(value: &Value, schema: &Value, path: &str, errors: &mut Vec<String>) {
    let flag = |name: &str| schema.get(name).and_then(Value::as_bool).unwrap_or(false);
    if value.is_null() {
        if !flag("nullable") {
            errors.push(format!("{path}: null where the schema is not nullable"));
        }
        return;
    }
    if flag("x-kubernetes-int-or-string") {
        if !(value.is_i64() || value.is_u64() || value.is_string()) {
            errors.push(format!("{path}: {value} is neither an integer nor a string"));
        }
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{path}: {value} is not one of {allowed:?}"));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(object) = value.as_object() else {
                return errors.push(format!("{path}: expected an object, found {value}"));
            };
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, v) in object {
                let here = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(key)), additional) {
                    (Some(s), _) | (None, Some(s)) => validate(v, s, &here, errors),
                    (None, None) if flag("x-kubernetes-preserve-unknown-fields") => {}
                    (None, None) => errors.push(format!("{here}: unknown field (not in the CRD schema)")),
                }
            }
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    errors.push(format!("{path}: required field {name} is missing"));
                }
            }
        }
        Some("array") => {
            let Some(items) = value.as_array() else {
                return errors.push(format!("{path}: expected an array, found {value}"));
            };
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    validate(item, item_schema, &format!("{path}[{i}]"), errors);
                }
            }
        }
        Some("string") => {
            if let Some(s) = value.as_str() {
                let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
                if (s.chars().count() as u64) < min {
                    errors.push(format!("{path}: {value} is shorter than {min}"));
                }
            } else {
                errors.push(format!("{path}: expected a string, found {value}"));
            }
        }
        Some("integer") => match value.as_i64().map(|i| i as f64).or_else(|| value.as_u64().map(|u| u as f64)) {
            Some(n) => {
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                    && n < min
                {
                    errors.push(format!("{path}: {n} is below the minimum {min}"));
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                    && n > max
                {
                    errors.push(format!("{path}: {n} is above the maximum {max}"));
                }
            }
            None => errors.push(format!("{path}: expected an integer, found {value}")),
        },
        Some("number") if !value.is_number() => errors.push(format!("{path}: expected a number, found {value}")),
        Some("boolean") if !value.is_boolean() => errors.push(format!("{path}: expected a boolean, found {value}")),
        _ => {}
    }
}

/// Checks the document's own content (everything but apiVersion, kind and metadata, which
/// the apiserver handles itself) against the CRD schema.
fn schema_errors(doc: &Value, schema: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let mut body = doc.clone();
    if let Some(object) = body.as_object_mut() {
        for meta in ["apiVersion", "kind", "metadata"] {
            object.remove(meta);
        }
    }
    validate(&body, schema, "", &mut errors);
    errors
}

#[test]
fn examples_validate_against_the_crd_schemas() {
    let l7 = schema_of(L7NetworkPolicy::crd());
    let sp = schema_of(SecurityPolicy::crd());
    let mut problems = Vec::new();
    let mut checked = 0;
    for (file, doc) in documents() {
        let schema = match doc["kind"].as_str() {
            Some("L7NetworkPolicy") => &l7,
            Some("SecurityPolicy") => &sp,
            _ => continue,
        };
        checked += 1;
        problems.extend(schema_errors(&doc, schema).into_iter().map(|e| format!("{file}: {}: {e}", identity(&doc))));
    }
    assert!(checked > 0, "no L7NetworkPolicy or SecurityPolicy in the examples");
    assert!(problems.is_empty(), "examples the CRD schemas reject:\n{}", problems.join("\n"));
}

/// The two checks above do catch what they are for.
#[test]
fn the_checks_catch_misspelled_fields() {
    let mut doc: Value = serde_json::json!({
        "apiVersion": "chainwall.dev/v1alpha1",
        "kind": "L7NetworkPolicy",
        "metadata": {"name": "typo", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabel": {"app": "frontend"}},
            "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": "http", "endport": 9}]}],
            "securityPolicyRef": {"name": "web-strict"},
            "inspection": {"mode": "Sidecar"}
        }
    });
    let losses = round_trip_losses::<L7NetworkPolicy>(&doc);
    for expected in [".spec.podSelector.matchLabel: dropped", ".spec.ingress[0].ports[0].endport: dropped"] {
        assert!(losses.iter().any(|l| l.starts_with(expected)), "missing {expected:?} in {losses:#?}");
    }
    doc["spec"]["inspection"]["mode"] = "Sidecars".into();
    let errors = schema_errors(&doc, &schema_of(L7NetworkPolicy::crd()));
    for expected in [
        ".spec.podSelector.matchLabel: unknown field",
        ".spec.ingress[0].ports[0].endport: unknown field",
        ".spec.inspection.mode: \"Sidecars\" is not one of",
    ] {
        assert!(errors.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in {errors:#?}");
    }
    let doc: Value = serde_json::json!({
        "apiVersion": "chainwall.dev/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": "typo"},
        "spec": {"crs": {"paranoiaLevel": 5, "inboundAnomalyTreshold": 5}, "responseInspection": "yes"}
    });
    let errors = schema_errors(&doc, &schema_of(SecurityPolicy::crd()));
    for expected in [
        ".spec.crs.paranoiaLevel: 5 is above",
        ".spec.crs.inboundAnomalyTreshold: unknown field",
        ".spec.responseInspection: expected a boolean",
    ] {
        assert!(errors.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in {errors:#?}");
    }
}
