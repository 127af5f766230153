//! Writes the generated CRDs into a directory (default `deploy/crds`).
//!
//! `cargo run -p policy-crd --bin crdgen [DIR]`. The test suite fails when the committed
//! files drift from the types.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/crds")));
    let manifests = match policy_crd::crd::manifests() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("crdgen: cannot serialise CRDs: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, yaml) in manifests {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, yaml) {
            eprintln!("crdgen: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
