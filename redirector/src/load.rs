//! Reading manifest directories and probe files from disk.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use policy_crd::manifests::Manifests;

/// Every manifest file under `dir` (recursively), sorted by path, loaded into one set.
pub fn manifests(dir: &Path) -> Result<Manifests> {
    let mut files = Vec::new();
    collect(dir, &mut files).with_context(|| format!("cannot read manifests directory {}", dir.display()))?;
    if files.is_empty() {
        bail!("no .yaml, .yml or .json files in {}", dir.display());
    }
    files.sort();
    let mut manifests = Manifests::default();
    for file in files {
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        manifests.add_yaml(&file.display().to_string(), &text)?;
    }
    Ok(manifests)
}

pub(crate) fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json")) {
            files.push(path);
        }
    }
    Ok(())
}
