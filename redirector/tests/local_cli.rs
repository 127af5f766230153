//! `redirector local` refuses bad settings before it touches any kernel state (no root needed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn local(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_redirector")).arg("local").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn chain_mode_needs_the_inspector() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = local(&["--manifests", dir.path().to_str().unwrap(), "--node", "n", "--once"]);
    assert!(!ok);
    assert!(err.contains("--inspector-netns, --inspector-veth, --inspector-mac and --inspector-ip"), "{err}");
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let chain = ["--inspector-netns", "i", "--inspector-veth", "v-i", "--inspector-ip", "10.0.0.9"];
    for (extra, want) in [
        (vec!["--inspector-mac", "02:00:00:00:00"], "inspector_mac"),
        (vec!["--inspector-mac", "02:00:00:00:00:09", "--tproxy-mark", "0x3"], "single bit"),
        (vec!["--inspector-mac", "02:00:00:00:00:09", "--inspector-readyz", "http://inspector/readyz"], "IP:PORT"),
    ] {
        let mut args = vec!["--manifests", d, "--node", "n", "--once"];
        args.extend(chain);
        args.extend(extra);
        let (ok, err) = local(&args);
        assert!(!ok && err.contains(want), "{args:?}: {err}");
    }
    let (ok, err) = local(&["--manifests", d, "--node", "n", "--mode", "sidecar", "--sidecar-uid", "0", "--once"]);
    assert!(!ok && err.contains("uid 0"), "{err}");
    let (ok, err) = local(&["--manifests", "/nonexistent/cw", "--node", "n", "--mode", "sidecar", "--once"]);
    assert!(!ok && err.contains("not a directory"), "{err}");
}
