//! `redirector plan` as a user runs it: real files, the real binary, JSON on stdout.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: red}}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a, namespace: x, labels: {pod: a}}
  spec:
    nodeName: n1
    containers: [{name: web, ports: [{containerPort: 80, name: serve-80-tcp}]}]
  status: {podIP: 10.0.0.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: b, namespace: y, labels: {pod: b}}
  spec: {nodeName: n2, containers: [{name: web}]}
  status: {podIP: 10.0.0.2}
---
apiVersion: chainwall.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: strict}
spec: {mode: Block}
---
apiVersion: chainwall.dev/v1alpha1
kind: L7NetworkPolicy
metadata: {name: allow-y, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]
    ports: [{port: serve-80-tcp}]
  securityPolicyRef: {name: strict}
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redirector"));
    cmd.arg("plan").arg("--manifests").arg(dir).args(args);
    cmd.output().unwrap()
}

fn cluster() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.yaml"), CLUSTER).unwrap();
    dir
}

#[test]
fn answers_probes_with_verdicts_policies_and_security_policies() {
    let dir = cluster();
    let query = dir.path().join("probes.yaml");
    std::fs::write(
        &query,
        "- {from: y/b, to: x/a, protocol: TCP, port: 80, expect: inspect}\n\
         - {from: y/b, to: x/a, protocol: UDP, port: 80, expect: deny}\n\
         - {from: x/a, to: y/b, port: 80, expect: allow}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["--query", query.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<&str> = answers.iter().map(|a| a["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["inspect", "deny", "allow"]);
    assert_eq!(answers[0]["policies"], serde_json::json!(["x/allow-y"]));
    assert_eq!(answers[0]["securityPolicies"], serde_json::json!(["strict"]));
    assert_eq!(answers[0]["inspection"]["mode"], "Block");
    assert_eq!(answers[1]["securityPolicies"], serde_json::json!([]));
}

#[test]
fn a_wrong_expectation_exits_3() {
    let dir = cluster();
    let query = dir.path().join("probes.yaml");
    std::fs::write(&query, "- {from: y/b, to: x/a, protocol: TCP, port: 80, expect: deny}\n").unwrap();
    let out = run(dir.path(), &["--query", query.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("differ from their expected verdict"));
}

#[test]
fn an_unknown_pod_is_an_error_for_that_probe() {
    let dir = cluster();
    let query = dir.path().join("probes.yaml");
    std::fs::write(&query, "- {from: y/nope, to: x/a, port: 80}\n- {from: y/b, to: x/a, port: 80}\n").unwrap();
    let out = run(dir.path(), &["--query", query.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answers[0]["error"], "unknown pod y/nope");
    assert_eq!(answers[1]["verdict"], "inspect");
}

#[test]
fn without_query_prints_the_plan() {
    let dir = cluster();
    let out = run(dir.path(), &[]);
    assert!(out.status.success());
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["nodes"][0]["node"], "n1");
    assert_eq!(plan["nodes"][0]["pods"][0]["ingress"][0]["inspect"]["securityPolicy"], "strict");
    assert_eq!(plan["addressSets"]["x/allow-y/ingress/0"]["addresses"], serde_json::json!(["10.0.0.2"]));
}

#[test]
fn manifest_errors_name_the_file_and_the_object() {
    let dir = cluster();
    let bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: broken, namespace: x}\nstatus: {podIP: not-an-ip}\n";
    std::fs::write(dir.path().join("broken.yaml"), bad).unwrap();
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml: Pod broken:"), "{stderr}");
    assert!(stderr.contains("not-an-ip"), "{stderr}");
}

#[test]
fn policy_errors_are_reported_and_fail_closed() {
    let dir = cluster();
    let policy = "apiVersion: chainwall.dev/v1alpha1\nkind: L7NetworkPolicy\n\
                  metadata: {name: typo, namespace: y}\n\
                  spec: {podSelector: {}, ingress: [{}], securityPolicyRef: {name: strikt}}\n";
    std::fs::write(dir.path().join("typo.yaml"), policy).unwrap();
    let query = dir.path().join("probes.json");
    std::fs::write(&query, r#"[{"from": "x/a", "to": "y/b", "protocol": "TCP", "port": 80}]"#).unwrap();
    let out = run(dir.path(), &["--query", query.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("L7NetworkPolicy y/typo: spec.securityPolicyRef"), "{stderr}");
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answers[0]["verdict"], "deny");
}
