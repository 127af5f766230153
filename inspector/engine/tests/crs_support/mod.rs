//! Debian's CRS 3.3.4 behind tests/data/base.conf, compiled once per test binary.

use std::path::Path;
use std::sync::OnceLock;

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::{FsSource, parse};

/// The compiled rule set; fails with the install hint when the CRS is missing.
pub fn crs() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        assert!(
            Path::new("/usr/share/modsecurity-crs/rules").is_dir(),
            "Debian's CRS is missing: apt-get install modsecurity-crs (the test command installs it)"
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/base.conf");
        let config = parse(&root, &FsSource).unwrap_or_else(|e| panic!("{e}"));
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        ruleset::compile(&config, &read).unwrap_or_else(|e| panic!("{e}"))
    })
}
