//! The lab's manifests, derived from `deploy/examples/` (pure: text in, text out):
//!
//! - one pod per `app` among [`APPS`] (the first in file order); the examples spread them over
//!   two nodes and run two replicas of some, the lab runs one of each on one node;
//! - each kept pod gets `spec.nodeName: lab` and the annotation `chainwall.dev/netns:
//!   <prefix>-<app>`; its IP stays the example's (the lab's bridge is 10.244.0.0/16);
//! - every SecurityPolicy runs in `mode: Block` (the examples ship `web-detect` in Detect, a
//!   staged rollout; the lab shows blocking);
//! - in chain or sidecar mode, every L7NetworkPolicy that names a SecurityPolicy gets
//!   `inspection.mode` set to that placement (a node programmed for one placement drops covered
//!   flows of the other); mixed mode keeps the examples' placements;
//! - Namespaces are kept as they are; other pods (coredns, second replicas) are left out, and
//!   probe files are not manifests.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The apps the lab runs, one pod each.
pub const APPS: [&str; 5] = ["frontend", "user-auth", "main-logic", "middleware", "db"];
/// The lab's node name.
pub const NODE: &str = "lab";

/// A port a lab pod listens on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPort {
    /// Number.
    pub port: u16,
    /// The container port's name.
    pub name: String,
    /// `http` (an echo server: ports named `http` or `metrics`) or `tcp` (a banner listener).
    pub server: String,
}

/// One pod of the lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPod {
    /// `namespace/name`.
    pub pod: String,
    /// Its `app` label.
    pub app: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Its network namespace.
    pub netns: String,
    /// Its IP (the example's).
    pub ip: Ipv4Addr,
    /// Its TCP ports.
    pub ports: Vec<LabPort>,
}

/// The lab's manifests (one multi-document YAML text) and its pods.
/// `placement` is `Chain` or `Sidecar`, or `None` to keep each policy's own.
pub fn derive(
    files: &[(String, String)],
    prefix: &str,
    placement: Option<&str>,
) -> Result<(String, Vec<LabPod>), String> {
    let mut docs = Vec::new();
    let mut pods: Vec<LabPod> = Vec::new();
    let options = serde_saphyr::options! { strict_booleans: true };
    for (name, text) in files {
        let parsed: Vec<Value> =
            serde_saphyr::from_multiple_with_options(text, options.clone()).map_err(|e| format!("{name}: {e}"))?;
        for mut doc in parsed.into_iter().filter(Value::is_object) {
            match doc.get("kind").and_then(Value::as_str) {
                Some("Pod") => {
                    let app = doc.pointer("/metadata/labels/app").and_then(Value::as_str).unwrap_or_default();
                    if !APPS.contains(&app) || pods.iter().any(|p| p.app == app) {
                        continue;
                    }
                    let netns = format!("{prefix}-{app}");
                    let pod = lab_pod(&doc, app, &netns).map_err(|e| format!("{name}: {e}"))?;
                    doc["spec"]["nodeName"] = json!(NODE);
                    let meta = doc["metadata"].as_object_mut().ok_or(format!("{name}: pod without metadata"))?;
                    let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
                    annotations["chainwall.dev/netns"] = json!(netns);
                    pods.push(pod);
                }
                Some("SecurityPolicy") => doc["spec"]["mode"] = json!("Block"),
                Some("L7NetworkPolicy") => {
                    if let Some(placement) = placement
                        && doc.pointer("/spec/securityPolicyRef").is_some()
                    {
                        doc["spec"]["inspection"] = json!({"mode": placement});
                    }
                }
                Some("Namespace") => {}
                _ => continue,
            }
            docs.push(doc);
        }
    }
    let missing: Vec<&str> = APPS.iter().copied().filter(|a| !pods.iter().any(|p| p.app == *a)).collect();
    if !missing.is_empty() {
        return Err(format!("the examples have no pod for app {missing:?}"));
    }
    let mut text =
        String::from("# Derived by `attack-tests lab up` from deploy/examples/ (see attack-tests/README.md).\n");
    for doc in &docs {
        text.push_str("---\n");
        text.push_str(&serde_saphyr::to_string(doc).map_err(|e| e.to_string())?);
    }
    Ok((text, pods))
}

fn lab_pod(doc: &Value, app: &str, netns: &str) -> Result<LabPod, String> {
    let field = |p: &str| doc.pointer(p).and_then(Value::as_str).ok_or(format!("pod {app}: no {p}"));
    let ip: Ipv4Addr = field("/status/podIP")?.parse().map_err(|e| format!("pod {app}: podIP: {e}"))?;
    let mut ports = Vec::new();
    for container in doc.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten() {
        for port in container.get("ports").and_then(Value::as_array).into_iter().flatten() {
            if port.get("protocol").and_then(Value::as_str).unwrap_or("TCP") != "TCP" {
                continue;
            }
            let number = port.get("containerPort").and_then(Value::as_u64).and_then(|p| u16::try_from(p).ok());
            let number = number.ok_or(format!("pod {app}: a containerPort is not a port"))?;
            let name = port.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            let server = if matches!(name.as_str(), "http" | "metrics") { "http" } else { "tcp" }.to_owned();
            ports.push(LabPort { port: number, name, server });
        }
    }
    let pod = format!("{}/{}", field("/metadata/namespace")?, field("/metadata/name")?);
    Ok(LabPod { pod, app: app.into(), namespace: field("/metadata/namespace")?.into(), netns: netns.into(), ip, ports })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn examples() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples");
        ["namespaces.yaml", "pods.yaml", "l7-network-policies.yaml", "security-policies.yaml", "probes.yaml"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).unwrap()))
            .collect()
    }

    #[test]
    fn one_pod_per_app_on_the_lab_node_with_its_netns() {
        let (text, pods) = derive(&examples(), "cwlab", Some("Sidecar")).unwrap();
        let apps: Vec<&str> = pods.iter().map(|p| p.app.as_str()).collect();
        assert_eq!(apps, ["frontend", "main-logic", "user-auth", "middleware", "db"]);
        let auth = pods.iter().find(|p| p.app == "user-auth").unwrap();
        assert_eq!((auth.netns.as_str(), auth.ip.to_string().as_str()), ("cwlab-user-auth", "10.244.1.13"));
        assert_eq!(auth.ports[0], LabPort { port: 8001, name: "http".into(), server: "http".into() });
        let db = pods.iter().find(|p| p.app == "db").unwrap();
        assert_eq!((db.pod.as_str(), db.ports[0].server.as_str()), ("data/db-0", "tcp"));
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        let kept: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Pod").collect();
        assert_eq!(kept.len(), 5);
        assert!(kept.iter().all(|d| d["spec"]["nodeName"] == NODE));
        assert_eq!(kept[0]["metadata"]["annotations"]["chainwall.dev/netns"], "cwlab-frontend");
        let modes: Vec<&Value> =
            docs.iter().filter(|d| d["kind"] == "SecurityPolicy").map(|d| &d["spec"]["mode"]).collect();
        assert_eq!(modes, ["Block", "Block"]);
        let policies: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "L7NetworkPolicy").collect();
        assert_eq!(policies.len(), 13);
        let placed: Vec<&Value> = policies.iter().filter_map(|p| p.pointer("/spec/inspection/mode")).collect();
        assert_eq!(placed, ["Sidecar", "Sidecar", "Sidecar"]);
    }

    #[test]
    fn mixed_keeps_each_policys_own_placement() {
        let (text, _) = derive(&examples(), "cwlab", None).unwrap();
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        let placed: Vec<(&Value, &Value)> = docs
            .iter()
            .filter(|d| d["kind"] == "L7NetworkPolicy")
            .filter_map(|p| Some((&p["metadata"]["name"], p.pointer("/spec/inspection/mode")?)))
            .collect();
        let want = [("frontend-ingress", "Chain"), ("user-auth-ingress", "Sidecar"), ("main-logic-ingress", "Chain")];
        assert_eq!(placed.len(), want.len(), "{placed:?}");
        for (name, mode) in want {
            assert!(placed.iter().any(|(n, m)| *n == name && *m == mode), "{name}: {placed:?}");
        }
    }

    #[test]
    fn a_missing_app_is_an_error() {
        let files = vec![("p.yaml".to_string(), "kind: Namespace\nmetadata: {name: x}\n".to_string())];
        assert!(derive(&files, "x", Some("Chain")).unwrap_err().contains("frontend"));
    }
}
