//! `deploy/redirector/*.yaml` parse as the Kubernetes types they claim, grant what the
//! controller and agent really call, and carry container arguments the binary accepts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use serde_json::Value;

fn documents(file: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/redirector").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn one<T: serde::de::DeserializeOwned>(docs: &[Value], kind: &str) -> T {
    let doc = docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"));
    serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

/// Whether some rule grants `verb` on `group`/`resource`.
fn grants(rules: &[k8s_openapi::api::rbac::v1::PolicyRule], group: &str, resource: &str, verb: &str) -> bool {
    rules.iter().any(|r| {
        let has = |list: &Option<Vec<String>>, want: &str| list.iter().flatten().any(|x| x == want);
        has(&r.api_groups, group) && has(&r.resources, resource) && r.verbs.iter().any(|v| v == verb)
    })
}

#[test]
fn the_controller_has_two_replicas_and_the_rights_it_uses() {
    let docs = documents("controller.yaml");
    for doc in &docs {
        assert!(doc["apiVersion"].is_string() && doc["kind"].is_string() && doc["metadata"]["name"].is_string());
    }
    let deployment: Deployment = one(&docs, "Deployment");
    assert_eq!(deployment.spec.as_ref().unwrap().replicas, Some(2));
    let pod = deployment.spec.unwrap().template.spec.unwrap();
    accepted(pod.containers[0].args.clone().unwrap());
    let role: ClusterRole = one(&docs, "ClusterRole");
    let rules = role.rules.unwrap();
    for (group, resource, verb) in [
        ("", "pods", "watch"),
        ("", "namespaces", "watch"),
        ("", "nodes", "watch"),
        ("chainwall.dev", "securitypolicies", "watch"),
        ("chainwall.dev", "l7networkpolicies", "watch"),
        ("chainwall.dev", "l7networkpolicies", "patch"),
        ("chainwall.dev", "l7networkpolicies/status", "patch"),
        ("chainwall.dev", "redirectplans", "watch"),
        ("chainwall.dev", "redirectplans", "patch"),
        ("chainwall.dev", "redirectplans", "delete"),
        ("events.k8s.io", "events", "create"),
    ] {
        assert!(grants(&rules, group, resource, verb), "controller may not {verb} {group}/{resource}");
    }
    let lease: Role = one(&docs, "Role");
    for verb in ["get", "create", "update"] {
        assert!(grants(lease.rules.as_deref().unwrap(), "coordination.k8s.io", "leases", verb), "lease {verb}");
    }
}

#[test]
fn the_agent_runs_on_the_host_network_with_the_capabilities_nft_needs() {
    let docs = documents("agent.yaml");
    let daemonset: DaemonSet = one(&docs, "DaemonSet");
    let pod = daemonset.spec.unwrap().template.spec.unwrap();
    assert_eq!((pod.host_network, pod.host_pid), (Some(true), Some(true)));
    let container = &pod.containers[0];
    let added = container.security_context.as_ref().unwrap().capabilities.as_ref().unwrap().add.clone().unwrap();
    for cap in ["NET_ADMIN", "SYS_ADMIN"] {
        assert!(added.iter().any(|c| c == cap), "{cap} missing: {added:?}");
    }
    let role: ClusterRole = one(&docs, "ClusterRole");
    let rules = role.rules.unwrap();
    assert!(grants(&rules, "chainwall.dev", "redirectplans", "watch"));
    assert!(grants(&rules, "chainwall.dev", "redirectplans/status", "patch"));
    assert!(!grants(&rules, "chainwall.dev", "redirectplans", "patch"), "the agent never writes a spec");

    accepted(container.args.clone().unwrap().into_iter().map(|a| a.replace("$(NODE_NAME)", "node-a")).collect());
}

/// The binary accepts the arguments: it validates them, then stops for want of a cluster.
fn accepted(args: Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_redirector"))
        .args(&args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no kubeconfig and not in a cluster"), "{args:?}: {stderr}");
}
