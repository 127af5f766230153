//! Reads Namespace, Pod, L7NetworkPolicy and SecurityPolicy objects out of YAML text
//! (multi-document, `kind: List` too) into the flow engine's inputs. Pure: the caller reads
//! the files.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use kube::ResourceExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{L7NetworkPolicy, L7NetworkPolicySpec, SecurityPolicy, SecurityPolicySpec};
use crate::flow::{ContainerPort, Engine, Namespace, Pod, PolicyKey, Protocol};

/// Every object found, in file order.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// Namespaces.
    pub namespaces: Vec<Namespace>,
    /// Pods.
    pub pods: Vec<Pod>,
    /// L7NetworkPolicies by `namespace/name`.
    pub policies: BTreeMap<PolicyKey, L7NetworkPolicySpec>,
    /// SecurityPolicies by name.
    pub security_policies: BTreeMap<String, SecurityPolicySpec>,
    /// Objects of other kinds, as `file: kind name`, skipped.
    pub skipped: Vec<String>,
}

/// A manifest that could not be read, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {object}: {reason}")]
pub struct ManifestError {
    /// File name as given by the caller.
    pub file: String,
    /// `Kind name`, or `document N` when the document has no usable identity.
    pub object: String,
    /// What is wrong.
    pub reason: String,
}

impl Manifests {
    /// Adds every object of one YAML file. Errors name the file and the object.
    pub fn add_yaml(&mut self, file: &str, text: &str) -> Result<(), ManifestError> {
        // YAML 1.2 booleans: a namespace called `y` or `on` stays a string.
        let options = serde_saphyr::options! { strict_booleans: true };
        let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
            .map_err(|e| ManifestError { file: file.into(), object: "YAML".into(), reason: e.to_string() })?;
        for (index, doc) in documents.into_iter().enumerate() {
            if doc.get("kind").and_then(Value::as_str) == Some("List") {
                let items = doc.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                for item in items {
                    self.add_object(file, index, item)?;
                }
            } else if doc.is_array() {
                // A list of something else (a probe file, say): not a Kubernetes object.
                self.skipped.push(format!("{file}: document {} (a YAML list, not an object)", index + 1));
            } else if !doc.is_null() {
                self.add_object(file, index, doc)?;
            }
        }
        Ok(())
    }

    /// An engine over everything read.
    pub fn engine(&self) -> Engine {
        Engine::new(
            self.namespaces.iter().cloned(),
            self.pods.iter().cloned(),
            self.policies.clone(),
            self.security_policies.clone(),
        )
    }

    fn add_object(&mut self, file: &str, index: usize, doc: Value) -> Result<(), ManifestError> {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
        let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let object = match (kind.is_empty(), name.is_empty()) {
            (true, _) => format!("document {}", index + 1),
            (false, true) => format!("{kind} (document {}, no name)", index + 1),
            (false, false) => format!("{kind} {name}"),
        };
        let error = |reason: String| ManifestError { file: file.into(), object: object.clone(), reason };
        if kind.is_empty() || name.is_empty() {
            return Err(error("needs a kind and a string metadata.name".into()));
        }
        let group = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        match (group, kind.as_str()) {
            ("v1", "Namespace") => {
                let ns: core::Namespace = typed(doc).map_err(error)?;
                self.namespaces.push(Namespace { name, labels: ns.labels().clone() });
            }
            ("v1", "Pod") => {
                let pod: core::Pod = typed(doc).map_err(error)?;
                self.pods.push(pod_input(&pod).map_err(error)?);
            }
            ("chainwall.dev/v1alpha1", "L7NetworkPolicy") => {
                let policy: L7NetworkPolicy = typed(doc).map_err(error)?;
                let namespace = policy.namespace().unwrap_or_else(|| "default".into());
                let key = PolicyKey { namespace, name };
                if self.policies.insert(key.clone(), policy.spec).is_some() {
                    return Err(error(format!("duplicate L7NetworkPolicy {key}")));
                }
            }
            ("chainwall.dev/v1alpha1", "SecurityPolicy") => {
                let policy: SecurityPolicy = typed(doc).map_err(error)?;
                if self.security_policies.insert(name.clone(), policy.spec).is_some() {
                    return Err(error(format!("duplicate SecurityPolicy {name}")));
                }
            }
            _ => self.skipped.push(format!("{file}: {object} ({group})")),
        }
        Ok(())
    }
}

fn typed<T: DeserializeOwned>(doc: Value) -> Result<T, String> {
    serde_json::from_value(doc).map_err(|e| e.to_string())
}

/// The engine's view of a Pod: labels, IP, node and named container ports.
pub fn pod_input(pod: &core::Pod) -> Result<Pod, String> {
    let ip = match pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()) {
        Some(ip) => Some(ip.parse().map_err(|_| format!("status.podIP {ip:?} is not an IP address"))?),
        None => None,
    };
    let spec = pod.spec.as_ref();
    let mut ports = Vec::new();
    for container in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        for port in container.ports.iter().flatten() {
            let number = u16::try_from(port.container_port).ok().filter(|p| *p != 0).ok_or_else(|| {
                format!("container {}: port {} is not in 1-65535", container.name, port.container_port)
            })?;
            let protocol = match port.protocol.as_deref() {
                None => Protocol::Tcp,
                Some(p) => {
                    Protocol::parse(p).ok_or_else(|| format!("container {}: unknown protocol {p:?}", container.name))?
                }
            };
            ports.push(ContainerPort { name: port.name.clone(), port: number, protocol });
        }
    }
    Ok(Pod {
        namespace: pod.namespace().unwrap_or_else(|| "default".into()),
        name: pod.name_any(),
        labels: pod.labels().clone(),
        ip,
        node: spec.and_then(|s| s.node_name.clone()),
        ports,
    })
}

/// One probe of a query file: `{from: ns/pod, to: ns/pod, protocol: TCP, port: 80}`, with an
/// optional expected verdict.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ProbeSpec {
    /// Source pod, `namespace/name`.
    pub from: String,
    /// Destination pod, `namespace/name`.
    pub to: String,
    /// `TCP` (default), `UDP` or `SCTP`, any case.
    #[serde(default = "ProbeSpec::tcp")]
    pub protocol: String,
    /// Destination port.
    pub port: u16,
    /// The verdict the probe should get.
    #[serde(default, alias = "expected")]
    pub expect: Option<crate::flow::Verdict>,
}

impl ProbeSpec {
    fn tcp() -> String {
        "TCP".into()
    }

    /// The engine's probe, or what is wrong with this one.
    pub fn probe(&self) -> Result<crate::flow::Probe, String> {
        use crate::flow::{PodKey, Probe, Protocol};
        let pod = |s: &str| PodKey::parse(s).ok_or_else(|| format!("{s:?} is not namespace/pod"));
        let protocol = Protocol::parse(&self.protocol.to_ascii_uppercase())
            .ok_or_else(|| format!("unknown protocol {:?}", self.protocol))?;
        if self.port == 0 {
            return Err("port 0 is not a valid destination port".into());
        }
        Ok(Probe { from: pod(&self.from)?, to: pod(&self.to)?, protocol, port: self.port })
    }
}

/// A YAML or JSON list of probes (YAML 1.2 booleans, like the manifests).
pub fn parse_probes(text: &str) -> Result<Vec<ProbeSpec>, String> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| format!("not a list of probes: {e}"))
}
