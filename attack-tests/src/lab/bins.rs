//! What the lab needs on this machine, checked before anything is created: root, `ip`
//! (iproute2), `nft` (nftables), Debian's CRS (modsecurity-crs), and the `inspector` and
//! `redirector` binaries next to the running `attack-tests` (the same target directory).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

/// The two binaries the lab runs.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// `attack-tests` itself (the pods' servers and clients).
    pub attack_tests: PathBuf,
    /// `inspector`.
    pub inspector: PathBuf,
    /// `redirector`.
    pub redirector: PathBuf,
}

/// Every missing prerequisite, one line each with how to get it; `Ok` when none.
pub fn check() -> Result<Binaries, Error> {
    let mut missing = Vec::new();
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")));
    if uid != Some(true) {
        missing.push("root: network namespaces and nftables need it (run with sudo)".to_owned());
    }
    let works = |program: &str, arg: &str| Command::new(program).arg(arg).output().is_ok_and(|o| o.status.success());
    if !works("ip", "-V") {
        missing.push("ip: apt-get install iproute2".into());
    }
    if !works("nft", "--version") {
        missing.push("nft: apt-get install nftables".into());
    }
    if !Path::new("/usr/share/modsecurity-crs/rules").is_dir()
        || !Path::new("/etc/modsecurity/crs/crs-setup.conf").exists()
    {
        missing.push("the OWASP CRS: apt-get install modsecurity-crs".into());
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("the attack-tests executable", e))?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let profile = if dir.ends_with("release") { " --release" } else { "" };
    let bin = |name: &str| {
        let path = dir.join(name);
        (!path.is_file()).then(|| format!("{}: cargo build{profile} -p {name}", path.display()))
    };
    missing.extend(bin("inspector"));
    missing.extend(bin("redirector"));
    if !missing.is_empty() {
        return Err(Error::Config(format!("the lab cannot run here; missing:\n  - {}", missing.join("\n  - "))));
    }
    Ok(Binaries { attack_tests: exe, inspector: dir.join("inspector"), redirector: dir.join("redirector") })
}
