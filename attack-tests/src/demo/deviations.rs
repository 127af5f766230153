//! The demo's expected deviations (`corpus-lab/deviations.yaml`): core-set requests whose
//! outcome differs from the corpus's expectation on purpose, each with a reason.

use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// One expected deviation.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// Corpus id.
    pub id: String,
    /// Target app.
    pub target: String,
    /// `blocked` or `passed`.
    pub got: String,
    /// Why.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    deviations: Vec<Deviation>,
}

/// Reads the deviations file.
pub fn load(path: &Path) -> Result<Vec<Deviation>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: File = serde_saphyr::from_str(&text).map_err(|e| Error::Corpus(format!("{}: {e}", path.display())))?;
    if let Some(bad) = file.deviations.iter().find(|d| !matches!(d.got.as_str(), "blocked" | "passed")) {
        return Err(Error::Corpus(format!("{}: {}: got must be blocked or passed", path.display(), bad.id)));
    }
    Ok(file.deviations)
}

/// The deviation explaining that `id` sent to `target` was `blocked` (or passed), if listed.
pub fn explains<'a>(list: &'a [Deviation], id: &str, target: &str, blocked: bool) -> Option<&'a Deviation> {
    let got = if blocked { "blocked" } else { "passed" };
    list.iter().find(|d| d.id == id && d.target == target && d.got == got)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_committed_deviations_load_and_match() {
        let list = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-lab/deviations.yaml")).unwrap();
        assert!(explains(&list, "ok-get-015", "main-logic", true).is_some());
        assert!(explains(&list, "ok-get-015", "main-logic", false).is_none());
        assert!(list.iter().all(|d| !d.reason.trim().is_empty()));
    }
}
