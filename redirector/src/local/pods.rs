//! Which network namespace each pod lives in. A real node agent finds it through the CRI
//! (the sandbox's netns path, `/var/run/netns/cni-<uuid>` under containerd) or procfs
//! (`/proc/<pid of the pause process>/ns/net`); manifests carry it instead, as the pod
//! annotation `chainwall.dev/netns`: a name under `/run/netns` (`ip netns`) or an absolute
//! path. Pods without it are left alone (and reported) in sidecar mode.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

pub use redirector::desired::NETNS_ANNOTATION;

/// `namespace/name` → netns, for every pod in the manifests that has the annotation.
pub fn netns_annotations(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut files = Vec::new();
    crate::load::collect(dir, &mut files).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut out = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        out.extend(from_yaml(&text).with_context(|| format!("{}", file.display()))?);
    }
    Ok(out)
}

/// The annotated pods of one (multi-document) YAML or JSON text.
pub fn from_yaml(text: &str) -> Result<BTreeMap<String, String>> {
    let options = serde_saphyr::options! { strict_booleans: true };
    let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)?;
    let mut out = BTreeMap::new();
    for doc in documents {
        let items = match doc.get("kind").and_then(Value::as_str) {
            Some("List") => doc.get("items").and_then(Value::as_array).cloned().unwrap_or_default(),
            _ => vec![doc],
        };
        for item in items.iter().filter(|i| i.get("kind").and_then(Value::as_str) == Some("Pod")) {
            let meta = item.get("metadata");
            let field = |f: &str| meta.and_then(|m| m.get(f)).and_then(Value::as_str);
            let netns = meta.and_then(|m| m.get("annotations")).and_then(|a| a.get(NETNS_ANNOTATION));
            if let (Some(name), Some(netns)) = (field("name"), netns.and_then(Value::as_str)) {
                out.insert(format!("{}/{name}", field("namespace").unwrap_or("default")), netns.to_owned());
            }
        }
    }
    Ok(out)
}
