//! Handing the inspector its policy file (`--inspector-policy`), for `local` (from its
//! manifests) and `agent` (from its RedirectPlan and the SecurityPolicies it watches): compute
//! with [`redirector::inspector_policy`], then write only when the text changed.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use policy_crd::api::SecurityPolicySpec;
use policy_crd::flow::{AddressSet, NodePlan, Pod};
use redirector::inspector_policy::{self, Options};

/// Write each flow's `namespace` (the inspector labels its metrics and audit lines with it).
pub const FLOW_NAMESPACE: bool = true;

/// Writes `path` from a node's plan when its text changed; prints a line when it wrote, and
/// a warning per destination it could not list. `pods` give declared ports (may be empty:
/// a grant without ports then lists nothing, and the inspector refuses what it has no flow for).
pub fn hand(
    path: &Path,
    plan: &NodePlan,
    sets: &BTreeMap<String, AddressSet>,
    pods: &[Pod],
    policies: &BTreeMap<String, SecurityPolicySpec>,
) -> Result<()> {
    let computed = inspector_policy::compute(plan, sets, pods, policies, Options { namespace: FLOW_NAMESPACE });
    for warning in &computed.warnings {
        eprintln!("redirector: inspector policy: {warning}");
    }
    let text = inspector_policy::render(&computed.file).map_err(anyhow::Error::msg)?;
    if inspector_policy::file::write_if_changed(path, &text).with_context(|| format!("writing {}", path.display()))? {
        println!("inspector policy: wrote {} ({} flows)", path.display(), computed.file.flows.len());
    }
    Ok(())
}
