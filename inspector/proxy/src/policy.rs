//! Policy files (`--policy FILE|DIR`): SecurityPolicies in their Kubernetes shape plus the
//! flow map saying which original destination (`ip:port`) uses which one. This is what the
//! redirector hands to the inspector.
//!
//! ```yaml
//! securityPolicies:
//!   - metadata: {name: shop}          # apiVersion and kind may be present
//!     spec: {mode: Block, crs: {paranoiaLevel: 2}, customRules: [...]}
//! flows:
//!   - {destination: 10.0.0.5:8080, policy: shop}
//! ```
//!
//! A directory is every `*.yaml` / `*.yml` file in it, in name order, merged. Each policy is
//! rendered by `policy_crd::profile::render` and compiled once, however many flows use it.
//! Errors name the file and the field. Reading and validating ([`read`]) is separate from
//! compiling ([`compile`]).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use policy_crd::api::SecurityPolicySpec;
use policy_crd::profile::{self, CrsPaths};
use serde::Deserialize;

use crate::rules::{self, Loaded};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    security_policies: Vec<Named>,
    #[serde(default)]
    flows: Vec<FlowShape>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Named {
    #[serde(default)]
    #[allow(dead_code)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    metadata: Metadata,
    #[serde(default)]
    spec: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowShape {
    destination: String,
    policy: String,
    /// The destination pod's namespace (the `namespace` metric label and audit field).
    #[serde(default)]
    namespace: Option<String>,
}

/// One problem in a policy file: `file: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: PathBuf,
    pub field: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field.as_str() {
            "" => write!(f, "{}: {}", self.file.display(), self.message),
            field => write!(f, "{}: {field}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PolicyErrors(pub Vec<PolicyError>);

/// A validated policy document: the policies (with the file each came from) and the flows.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub policies: BTreeMap<String, (PathBuf, SecurityPolicySpec)>,
    pub flows: BTreeMap<SocketAddr, String>,
    /// The destination's namespace, for the flows that name one.
    pub namespaces: BTreeMap<SocketAddr, String>,
}

/// Whether `name` is a Kubernetes namespace name (an RFC 1123 label).
pub fn valid_namespace(name: &str) -> bool {
    let inner = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-';
    let b = name.as_bytes();
    (1..=63).contains(&b.len()) && b.iter().all(|&c| inner(c)) && b[0] != b'-' && b[b.len() - 1] != b'-'
}

/// The files a `--policy` path stands for.
pub fn files(path: &Path) -> Result<Vec<PathBuf>, PolicyErrors> {
    let fail = |message: String| PolicyErrors(vec![PolicyError { file: path.into(), field: String::new(), message }]);
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| fail(e.to_string()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml") && p.is_file())
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(fail("no *.yaml or *.yml file".into()));
    }
    Ok(found)
}

/// Reads and validates the policy file or directory (nothing is compiled).
pub fn read(path: &Path) -> Result<Document, PolicyErrors> {
    let mut doc = Document::default();
    let mut errors = Vec::new();
    let mut flow_files = Vec::new();
    for file in files(path)? {
        let err = |field: String, message: String| PolicyError { file: file.clone(), field, message };
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                errors.push(err(String::new(), e.to_string()));
                continue;
            }
        };
        let shape: FileShape = match serde_saphyr::from_str(&text) {
            Ok(shape) => shape,
            Err(e) => {
                errors.push(err(String::new(), e.to_string()));
                continue;
            }
        };
        for (i, named) in shape.security_policies.into_iter().enumerate() {
            let field = format!("securityPolicies[{i}]");
            if named.kind.as_deref().is_some_and(|k| k != "SecurityPolicy") {
                errors.push(err(format!("{field}.kind"), "expected SecurityPolicy".into()));
            }
            let name = named.metadata.name;
            if name.is_empty() || doc.policies.contains_key(&name) {
                errors.push(err(format!("{field}.metadata.name"), format!("`{name}` is empty or defined twice")));
                continue;
            }
            let spec = match spec::typed(named.spec) {
                Ok(spec) => spec,
                Err((path, message)) => {
                    errors.push(err(format!("{field}.spec{path}"), message));
                    continue;
                }
            };
            doc.policies.insert(name, (file.clone(), spec));
        }
        for (i, flow) in shape.flows.into_iter().enumerate() {
            let field = format!("flows[{i}]");
            match flow.destination.parse::<SocketAddr>() {
                Ok(addr) if doc.flows.contains_key(&addr) => {
                    errors.push(err(format!("{field}.destination"), format!("{addr} is mapped twice")));
                }
                Ok(addr) => {
                    match flow.namespace {
                        Some(ns) if !valid_namespace(&ns) => errors.push(err(
                            format!("{field}.namespace"),
                            format!("`{ns}`: expected a namespace name (RFC 1123 label)"),
                        )),
                        Some(ns) => drop(doc.namespaces.insert(addr, ns)),
                        None => {}
                    }
                    doc.flows.insert(addr, flow.policy.clone());
                    flow_files.push((file.clone(), field, flow.policy));
                }
                Err(_) => errors
                    .push(err(format!("{field}.destination"), format!("`{}`: expected ip:port", flow.destination))),
            }
        }
    }
    for (file, field, policy) in flow_files {
        if !doc.policies.contains_key(&policy) {
            errors.push(PolicyError {
                file,
                field: format!("{field}.policy"),
                message: format!("no SecurityPolicy `{policy}`"),
            });
        }
    }
    if errors.is_empty() { Ok(doc) } else { Err(PolicyErrors(errors)) }
}

/// The compiled policies: each one used by a flow, compiled once.
#[derive(Debug)]
pub struct Compiled {
    pub policies: BTreeMap<String, Loaded>,
    pub flows: BTreeMap<SocketAddr, String>,
    pub namespaces: BTreeMap<SocketAddr, String>,
}

impl Compiled {
    /// The policy serving `destination` and its rules.
    pub fn take(mut self, destination: SocketAddr) -> Option<(String, Loaded)> {
        let name = self.flows.get(&destination)?.clone();
        let loaded = self.policies.remove(&name)?;
        Some((name, loaded))
    }
}

/// Renders and compiles every policy a flow uses; `extra` rule files follow each policy.
pub fn compile(doc: &Document, crs: &CrsPaths, extra: &[PathBuf]) -> Result<Compiled, PolicyErrors> {
    let mut policies = BTreeMap::new();
    let mut errors = Vec::new();
    for name in doc.flows.values() {
        let Some((file, spec)) = doc.policies.get(name).filter(|_| !policies.contains_key(name)) else { continue };
        let field = format!("SecurityPolicy {name}");
        let err = |message: String| PolicyError { file: file.clone(), field: field.clone(), message };
        let text = match profile::render(name, spec, crs) {
            Ok(text) => text,
            Err(problems) => {
                errors.extend(problems.into_iter().map(err));
                continue;
            }
        };
        let virtual_name = format!("/chainwall/policy/{name}.conf");
        match rules::load_with(Some((&virtual_name, &text)), extra) {
            Ok(mut loaded) => {
                loaded.policy.clone_from(name);
                policies.insert(name.clone(), loaded);
            }
            Err(e) => errors.push(err(e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(Compiled { policies, flows: doc.flows.clone(), namespaces: doc.namespaces.clone() })
    } else {
        Err(PolicyErrors(errors))
    }
}

/// Reads, validates and compiles; then picks the policy of `destination` (upstream mode).
pub fn load(path: &Path, crs: &CrsPaths, extra: &[PathBuf], destination: SocketAddr) -> Result<Loaded, PolicyErrors> {
    let doc = read(path)?;
    if !doc.flows.contains_key(&destination) {
        return Err(PolicyErrors(vec![PolicyError {
            file: path.into(),
            field: "flows".into(),
            message: format!("no flow for the upstream {destination}"),
        }]));
    }
    let compiled = compile(&doc, crs, extra)?;
    let namespace = doc.namespaces.get(&destination).map(|ns| (destination, ns.clone()));
    compiled
        .take(destination)
        .map(|(_, loaded)| Loaded { namespaces: namespace.into_iter().collect(), ..loaded })
        .ok_or_else(|| {
            PolicyErrors(vec![PolicyError {
                file: path.into(),
                field: "flows".into(),
                message: "unresolved flow".into(),
            }])
        })
}

mod spec;
#[cfg(test)]
mod tests;
